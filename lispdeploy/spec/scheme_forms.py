"""Scheme's special forms with Scheme's semantics, as macros: quote and quasiquote (symbols,
dotted pairs, vectors, nesting), truth (only #f is false: `if`, `cond`, `case`, `when`,
`unless`, `and`, `or`, `not`), `cond` with `else` and `=>`, `case`, `do`, `letrec`,
`receive`/`let-values`/`define-values`, `define-syntax-rule` and `syntax-rules`, and
(ice-9 match)'s `match`, `match-lambda`, `match-lambda*`, `match-let`, `match-let*`.

Expansions are plain Python once compiled, calling only the procedures of
`lispdeploy.hostside.scheme` (`%ld-symbol`, `%ld-match`, ...), so the same forms work inside
g-expression bodies on hosts. `#f` and `None` (what records hold for #f) are false;
everything else, the empty list and 0 included, is true.
Imports Hy and spec.syntax only.
"""

from __future__ import annotations

import builtins
from typing import Dict as TDict, List as TList, Optional

import hy
from hy.models import (Bytes, Complex, Dict, Expression, Float, Integer, Keyword, List, String,
                       Symbol, Tuple)

from lispdeploy.spec.syntax import is_symbol, syntax_error

_CORE = builtins._hy_macros
_SEQUENCES = (Expression, List)
_ELLIPSES = ("...", "___")


def _sym(name: str) -> Symbol:
    return Symbol(name)


def _expr(*items) -> Expression:
    return Expression([i if isinstance(i, hy.models.Object) else _sym(i) for i in items])


def _located(model, where):
    """`model` carrying `where`'s position (for errors and tracebacks)."""
    try:
        return model.replace(where)
    except (TypeError, AttributeError):
        return model


# Quote and quasiquote ----------------------------------------------------------------------

def _dotted(form) -> Optional[int]:
    """The index of the `.` in a dotted list `(a b . c)`, or None."""
    for i, item in enumerate(form):
        if is_symbol(item, "."):
            return i
    return None


# How the reader's names for quote forms read back as data: '(a 'b) is (a (quote b)).
_READER_HEADS = {"scheme-quote": "quote", "scheme-quasiquote": "quasiquote",
                 "scheme-unquote": "unquote", "scheme-unquote-splicing": "unquote-splicing",
                 "ungexp": "ungexp", "ungexp-splicing": "ungexp-splicing", "gexp": "gexp"}


def quote_data(compiler, form):
    """Quoted data as an expression building plain values: lists, symbols, pairs, vectors."""
    if isinstance(form, Expression) and len(form) == 2 and isinstance(form[0], Symbol) \
            and str(form[0]) in _READER_HEADS:
        return List([_expr("%ld-symbol", String(_READER_HEADS[str(form[0])])),
                     quote_data(compiler, form[1])])
    if isinstance(form, _SEQUENCES):
        dot = _dotted(form)
        if dot is not None:
            if dot == 0 or dot != len(form) - 2:
                syntax_error(compiler, form, "a dotted list is written (a b . c), with one "
                             "item after the dot")
            tail = quote_data(compiler, form[-1])
            for item in reversed(form[:dot]):
                tail = _expr("%ld-pair", quote_data(compiler, item), tail)
            return tail
        return List([quote_data(compiler, f) for f in form])
    if isinstance(form, Tuple):
        return Tuple([quote_data(compiler, f) for f in form])
    if isinstance(form, Symbol):
        if str(form) in ("True", "False", "None"):
            return form
        return _expr("%ld-symbol", String(str(form)))
    if isinstance(form, Keyword):
        return String(form.name)
    if isinstance(form, Dict):
        return Dict([quote_data(compiler, f) for f in form])
    if isinstance(form, (String, Bytes, Integer, Float, Complex)):
        return form
    syntax_error(compiler, form, f"cannot quote {type(form).__name__} here")


def scheme_quote(_hy_compiler, form):
    """`'form` / `(quote form)`: data; nothing in it is evaluated."""
    return quote_data(_hy_compiler, form)


def _uses_hy_unquote(form) -> bool:
    stack = [form]
    while stack:
        m = stack.pop()
        if isinstance(m, Expression) and m and isinstance(m[0], Symbol) and str(m[0]) in (
                "unquote", "unquote-splice"):
            return True
        if isinstance(m, (Expression, List, Tuple, Dict)):
            stack.extend(m)
    return False


def _head(form) -> Optional[str]:
    if isinstance(form, Expression) and len(form) == 2 and isinstance(form[0], Symbol):
        return str(form[0])
    return None


def _quasi(compiler, form, level: int):
    head = _head(form)
    if head == "scheme-unquote":
        if level == 0:
            return form[1]
        return List([_expr("%ld-symbol", String("unquote")), _quasi(compiler, form[1],
                                                                    level - 1)])
    if head == "scheme-quasiquote":
        return List([_expr("%ld-symbol", String("quasiquote")),
                     _quasi(compiler, form[1], level + 1)])
    if head == "scheme-unquote-splicing" and level > 0:
        return List([_expr("%ld-symbol", String("unquote-splicing")),
                     _quasi(compiler, form[1], level - 1)])
    if head == "scheme-unquote-splicing":
        syntax_error(compiler, form, ",@ (unquote-splicing) must be inside a list")
    if isinstance(form, (Expression, List, Tuple)):
        dot = _dotted(form) if not isinstance(form, Tuple) else None
        items = form[:dot] if dot is not None else form
        out = []
        for item in items:
            if _head(item) == "scheme-unquote-splicing" and level == 0:
                out.append(_expr("unpack-iterable", item[1]))
            else:
                out.append(_quasi(compiler, item, level))
        if isinstance(form, Tuple):
            return Tuple(out)
        if dot is not None:
            if dot != len(form) - 2:
                syntax_error(compiler, form, "a dotted list is written (a b . c)")
            return _expr("%ld-cons*", *out, _quasi(compiler, form[-1], level))
        return List(out)
    return quote_data(compiler, form)


def scheme_quasiquote(_hy_compiler, form):
    """`` `(a ,b ,@c) ``: data with parts computed. A template using Hy's `~` unquote is Hy's
    own quasiquote (code for a Hy macro) instead."""
    if _uses_hy_unquote(form):
        return _CORE["quasiquote"](_hy_compiler, form)
    return _quasi(_hy_compiler, form, 0)


def stray_unquote(_hy_compiler, *args):
    """`,x` outside of a quasiquote."""
    syntax_error(_hy_compiler, _hy_compiler.this, ", (unquote) used outside of a quasiquote",
                 hint="write `(a ,b) to compute part of a quoted list")


# Truth ------------------------------------------------------------------------------------

_BOOLEAN_HEADS = frozenset(("=", "<", ">", "<=", ">=", "not", "and", "or", "is", "is-not",
                            "in", "not-in", "isinstance", "callable", "True", "False"))


def truth(test):
    """An expression that is Python-true exactly when `test` is Scheme-true."""
    if isinstance(test, Expression) and test and isinstance(test[0], Symbol):
        name = str(test[0])
        if name.endswith("?") or name in _BOOLEAN_HEADS:
            return test
    if is_symbol(test, "True") or is_symbol(test, "False"):
        return test
    return _expr("%ld-true?", test)


def if_(_hy_compiler, *args):
    """`(if test then [else])`: only #f (and a record's empty field) is false."""
    if len(args) == 2:
        args = (*args, _sym("None"))
    if len(args) != 3:
        syntax_error(_hy_compiler, _hy_compiler.this, "if takes a test, a then-form and an "
                     "optional else-form")
    return _expr("hy-if", truth(args[0]), args[1], args[2])


def when(_hy_compiler, test, *body):
    """`(when test body...)`."""
    return _expr("hy-if", truth(test), _expr("hy-do", *(body or [_sym("None")])), _sym("None"))


def unless(_hy_compiler, test, *body):
    """`(unless test body...)`."""
    return _expr("hy-if", truth(test), _sym("None"), _expr("hy-do", *(body or [_sym("None")])))


def not_(_hy_compiler, *args):
    """`(not x)`: #t only for #f."""
    if len(args) != 1:
        syntax_error(_hy_compiler, _hy_compiler.this, "not takes one argument")
    return _expr("hy-not", truth(args[0]))


def and_(_hy_compiler, *args):
    """`(and a b ...)`: #f at the first false value, else the last value."""
    if not args:
        return _sym("True")
    result = args[-1]
    for test in reversed(args[:-1]):
        result = _expr("hy-if", truth(test), result, _sym("False"))
    return result


def or_(_hy_compiler, *args):
    """`(or a b ...)`: the first true value, else #f."""
    if not args:
        return _sym("False")
    result = args[-1]
    for test in reversed(args[:-1]):
        temp = hy.gensym("or")
        result = _expr("hy-if", _expr("%ld-true?", _expr("setx", temp, test)), temp, result)
    return result


# cond, case, do -------------------------------------------------------------------------------

def cond(_hy_compiler, *clauses):
    """`(cond (test body...) (test => proc) (else body...))`. Hy's flat `(cond t1 v1 t2 v2)`
    is kept for clauses that are not lists, which Scheme's cond never has."""
    if any(not isinstance(c, _SEQUENCES) for c in clauses):
        return _CORE["cond"](_hy_compiler, *clauses)
    result = _sym("None")
    for i, clause in reversed(list(enumerate(clauses))):
        if not clause:
            syntax_error(_hy_compiler, clause, "cond: an empty clause")
        test, body = clause[0], list(clause[1:])
        if is_symbol(test, "else"):
            if i != len(clauses) - 1:
                syntax_error(_hy_compiler, clause, "cond: else must be the last clause")
            result = _else_body(_hy_compiler, clause, body, None)
            continue
        if body and is_symbol(body[0], "=>"):
            if len(body) != 2:
                syntax_error(_hy_compiler, clause, "cond: (TEST => PROCEDURE) takes one "
                             "procedure")
            temp = hy.gensym("cond")
            result = _expr("hy-if", _expr("%ld-true?", _expr("setx", temp, test)),
                           Expression([body[1], temp]), result)
        elif not body:
            temp = hy.gensym("cond")
            result = _expr("hy-if", _expr("%ld-true?", _expr("setx", temp, test)), temp, result)
        else:
            result = _expr("hy-if", truth(test), _expr("hy-do", *body), result)
    return result


def _else_body(compiler, clause, body, key):
    if body and is_symbol(body[0], "=>"):
        if len(body) != 2 or key is None:
            syntax_error(compiler, clause, "(else => PROCEDURE) is only allowed in case")
        return Expression([body[1], key])
    return _expr("hy-do", *(body or [_sym("None")]))


def case(_hy_compiler, key, *clauses):
    """`(case key ((datum ...) body...) ((datum ...) => proc) (else body...))`."""
    temp = hy.gensym("case")
    result = _sym("None")
    for i, clause in reversed(list(enumerate(clauses))):
        if not (isinstance(clause, _SEQUENCES) and clause):
            syntax_error(_hy_compiler, clause if hasattr(clause, "start_line") else
                         _hy_compiler.this, "case: expected ((DATUM ...) BODY ...) or "
                         "(else BODY ...)")
        data, body = clause[0], list(clause[1:])
        if is_symbol(data, "else"):
            if i != len(clauses) - 1:
                syntax_error(_hy_compiler, clause, "case: else must be the last clause")
            result = _else_body(_hy_compiler, clause, body, temp)
            continue
        if not isinstance(data, _SEQUENCES):
            syntax_error(_hy_compiler, clause, "case: the data of a clause are a list, such "
                         "as ((a b) ...)")
        test = _expr("%ld-true?", _expr("memv", temp, quote_data(_hy_compiler, data)))
        if body and is_symbol(body[0], "=>"):
            then = Expression([body[1], temp])
        else:
            then = _expr("hy-do", *(body or [_sym("None")]))
        result = _expr("hy-if", test, then, result)
    return _expr("hy-do", _expr("setv", temp, key), result)


def do_loop(_hy_compiler, specs, exit_clause, *body):
    """`(do ((var init step) ...) (test result...) body...)`."""
    if not isinstance(specs, _SEQUENCES) or not isinstance(exit_clause, _SEQUENCES) \
            or not exit_clause:
        syntax_error(_hy_compiler, _hy_compiler.this,
                     "do: expected (do ((VAR INIT STEP) ...) (TEST RESULT ...) BODY ...)")
    names, inits, steps = [], [], []
    for spec in specs:
        if not (isinstance(spec, _SEQUENCES) and len(spec) in (2, 3)
                and isinstance(spec[0], Symbol)):
            syntax_error(_hy_compiler, spec, "do: a variable is (VAR INIT [STEP])")
        names.append(spec[0])
        inits.append(spec[1])
        steps.append(spec[2] if len(spec) == 3 else spec[0])
    test, results = exit_clause[0], list(exit_clause[1:])
    loop = hy.gensym("do")
    return _expr(_expr("fn", List([]),
                       _expr("defn", loop, List(names),
                             _expr("while", _expr("hy-not", truth(test)),
                                   *body,
                                   _expr("setv", List(names), List(steps))),
                             _expr("hy-do", *(results or [_sym("None")]))),
                       Expression([loop, *inits])))


def letrec(_hy_compiler, bindings, *body):
    """`(letrec ((name value) ...) body...)`: the values may refer to each other."""
    if not isinstance(bindings, _SEQUENCES):
        syntax_error(_hy_compiler, _hy_compiler.this, "letrec expects ((NAME VALUE) ...)")
    statements = []
    for b in bindings:
        if not (isinstance(b, _SEQUENCES) and len(b) == 2 and isinstance(b[0], Symbol)):
            syntax_error(_hy_compiler, b, "a letrec binding is (NAME VALUE)")
        statements.append(_expr("setv", b[0], b[1]))
    return _expr(_expr("fn", List([]), *statements, *(body or [_sym("None")])))


# Several values ---------------------------------------------------------------------------

def _formals(compiler, formals):
    """(names, rest-name or None) of `(a b)`, `(a . rest)` or `rest`."""
    if isinstance(formals, Symbol):
        return [], formals
    if not isinstance(formals, _SEQUENCES):
        syntax_error(compiler, compiler.this, "expected formals such as (a b) or (a . rest)")
    dot = _dotted(formals)
    names = list(formals[:dot] if dot is not None else formals)
    rest = formals[-1] if dot is not None else None
    for n in names + ([rest] if rest is not None else []):
        if not isinstance(n, Symbol):
            syntax_error(compiler, n, "a formal must be a name")
    return names, rest


def _receive(compiler, formals, expression, body):
    names, rest = _formals(compiler, formals)
    params = names + ([rest] if rest is not None else [])
    return _expr(_expr("fn", List(params), *(body or [_sym("None")])),
                 _expr("unpack-iterable", _expr("%ld-receive", expression, Integer(len(names)),
                                                _sym("True" if rest is not None else "False"))))


def receive(_hy_compiler, formals, expression, *body):
    """`(receive (a b . rest) expression body...)`."""
    return _receive(_hy_compiler, formals, expression, body)


def let_values(_hy_compiler, bindings, *body):
    """`(let-values (((a b) expression) ...) body...)`."""
    result = _expr("hy-do", *(body or [_sym("None")]))
    for b in reversed(list(bindings)):
        if not (isinstance(b, _SEQUENCES) and len(b) == 2):
            syntax_error(_hy_compiler, b, "a let-values binding is (FORMALS EXPRESSION)")
        result = _receive(_hy_compiler, b[0], b[1], [result])
    return result


def define_values(_hy_compiler, formals, expression):
    """`(define-values (a b) expression)`."""
    names, rest = _formals(_hy_compiler, formals)
    targets = names + ([rest] if rest is not None else [])
    return _expr("setv", List(targets), _expr("%ld-receive", expression, Integer(len(names)),
                                              _sym("True" if rest is not None else "False")))


# syntax-rules ---------------------------------------------------------------------------

class _NoMatch(Exception):
    pass


def _is_ellipsis(model) -> bool:
    return isinstance(model, Symbol) and str(model) in _ELLIPSES


def _pattern_vars(pattern, literals) -> set:
    found = set()
    stack = [pattern]
    while stack:
        p = stack.pop()
        if isinstance(p, Symbol):
            if str(p) not in literals and str(p) not in ("_", ".") and not _is_ellipsis(p):
                found.add(str(p))
        elif isinstance(p, (Expression, List, Tuple)):
            stack.extend(p)
    return found


def _rules_match(pattern, form, literals, out: TDict[str, object]):
    if isinstance(pattern, Symbol):
        name = str(pattern)
        if name == "_":
            return
        if name in literals:
            if not is_symbol(form, name):
                raise _NoMatch
            return
        out[name] = form
        return
    if isinstance(pattern, (Expression, List, Tuple)):
        if not isinstance(form, (Expression, List, Tuple)):
            raise _NoMatch
        items = list(pattern)
        dot = _dotted(items) if not isinstance(pattern, Tuple) else None
        tail = None
        if dot is not None:
            tail, items = items[dot + 1], items[:dot]
        forms = list(form)
        ellipsis = next((i for i, p in enumerate(items) if _is_ellipsis(p)), None)
        if ellipsis is None:
            if len(forms) < len(items) or (tail is None and len(forms) != len(items)):
                raise _NoMatch
            for p, f in zip(items, forms):
                _rules_match(p, f, literals, out)
            if tail is not None:
                _rules_match(tail, Expression(forms[len(items):]), literals, out)
            return
        before, repeated, after = items[:ellipsis - 1], items[ellipsis - 1], items[ellipsis + 1:]
        if len(forms) < len(before) + len(after):
            raise _NoMatch
        for p, f in zip(before, forms):
            _rules_match(p, f, literals, out)
        middle = forms[len(before):len(forms) - len(after)]
        matches = []
        for f in middle:
            sub: TDict[str, object] = {}
            _rules_match(repeated, f, literals, sub)
            matches.append(sub)
        for name in _pattern_vars(repeated, literals):
            out[name] = _Sequence([m[name] for m in matches])
        for p, f in zip(after, forms[len(forms) - len(after):]):
            _rules_match(p, f, literals, out)
        return
    if pattern != form:
        raise _NoMatch


class _Sequence(list):
    """What a pattern variable under an ellipsis matched, once per repetition."""


def _expand_template(compiler, template, bindings):
    if isinstance(template, Symbol):
        value = bindings.get(str(template), template)
        if isinstance(value, _Sequence):
            syntax_error(compiler, template, f"syntax-rules: '{template}' is followed by "
                         "... in the pattern, so it needs ... in the template too")
        return value
    if isinstance(template, (Expression, List, Tuple)):
        items = list(template)
        # (... ...) is a literal ellipsis.
        if len(items) == 2 and _is_ellipsis(items[0]):
            return items[1]
        out = []
        i = 0
        while i < len(items):
            item = items[i]
            depth = 0
            while i + 1 + depth < len(items) and _is_ellipsis(items[i + 1 + depth]):
                depth += 1
            if depth:
                out.extend(_expand_repeated(compiler, item, bindings, depth))
                i += 1 + depth
            else:
                out.append(_expand_template(compiler, item, bindings))
                i += 1
        return _located(type(template)(out), template)
    return template


def _expand_repeated(compiler, item, bindings, depth):
    names = [n for n in _template_symbols(item) if isinstance(bindings.get(n), _Sequence)]
    if not names:
        syntax_error(compiler, item, "syntax-rules: ... follows a template with no pattern "
                     "variable that had ... in the pattern")
    lengths = {len(bindings[n]) for n in names}
    if len(lengths) > 1:
        syntax_error(compiler, item, "syntax-rules: the variables under this ... matched "
                     "different numbers of forms")
    out = []
    for k in range(lengths.pop()):
        local = dict(bindings)
        for n in names:
            local[n] = bindings[n][k]
        if depth > 1:
            out.extend(_expand_repeated(compiler, item, local, depth - 1))
        else:
            out.append(_expand_template(compiler, item, local))
    return out


def _template_symbols(template) -> TList[str]:
    found = []
    stack = [template]
    while stack:
        t = stack.pop()
        if isinstance(t, Symbol):
            found.append(str(t))
        elif isinstance(t, (Expression, List, Tuple)):
            stack.extend(t)
    return found


def _rules_macro(name: str, literals, rules, where):
    """A Hy macro applying `rules` ((pattern, template) pairs, patterns without the name)."""
    def macro(_hy_compiler, *args):
        form = Expression(list(args))
        for pattern, template in rules:
            bindings: TDict[str, object] = {}
            try:
                _rules_match(pattern, form, literals, bindings)
            except _NoMatch:
                continue
            return _expand_template(_hy_compiler, template, bindings)
        syntax_error(_hy_compiler, _hy_compiler.this,
                     f"{name}: no syntax rule matches this use",
                     hint=f"the rules of {name} are at {where}")
    macro.__doc__ = f"({name} ...): a syntax-rules macro defined at {where}."
    return macro


def _register(compiler, name, macro):
    compiler.module.__dict__.setdefault("_hy_macros", {})[hy.mangle(name)] = macro


def _where(compiler, form) -> str:
    return f"{compiler.filename}:{getattr(form, 'start_line', 0)}"


def _rules_of(compiler, name, spec):
    """(literals, rules) of `(syntax-rules (literal ...) ((_ . pattern) template) ...)`."""
    if not (isinstance(spec, Expression) and spec and is_symbol(spec[0], "syntax-rules")
            and len(spec) >= 2 and isinstance(spec[1], _SEQUENCES)):
        syntax_error(compiler, spec if hasattr(spec, "start_line") else compiler.this,
                     f"define-syntax {name}: lispdeploy supports (syntax-rules (LITERAL ...) "
                     "((_ PATTERN ...) TEMPLATE) ...)",
                     hint="syntax-case and procedural macros are Guile-only; a Hy defmacro "
                          "does the same job")
    literals = {str(x) for x in spec[1]}
    rules = []
    for rule in spec[2:]:
        if not (isinstance(rule, _SEQUENCES) and len(rule) == 2
                and isinstance(rule[0], _SEQUENCES) and rule[0]):
            syntax_error(compiler, rule if hasattr(rule, "start_line") else spec,
                         "syntax-rules: a rule is ((_ PATTERN ...) TEMPLATE)")
        rules.append((Expression(list(rule[0][1:])), rule[1]))
    return literals, rules


def define_syntax_rule(_hy_compiler, head, template):
    """`(define-syntax-rule (name pattern ...) template)`."""
    if not (isinstance(head, _SEQUENCES) and head and isinstance(head[0], Symbol)):
        syntax_error(_hy_compiler, _hy_compiler.this,
                     "define-syntax-rule expects (define-syntax-rule (NAME PATTERN ...) "
                     "TEMPLATE)")
    name = str(head[0])
    _register(_hy_compiler, name, _rules_macro(name, set(), [(Expression(list(head[1:])),
                                                              template)],
                                               _where(_hy_compiler, _hy_compiler.this)))
    return _sym("None")


def define_syntax(_hy_compiler, name, spec):
    """`(define-syntax name (syntax-rules ...))`."""
    if not isinstance(name, Symbol):
        syntax_error(_hy_compiler, _hy_compiler.this, "define-syntax expects a name")
    literals, rules = _rules_of(_hy_compiler, str(name), spec)
    _register(_hy_compiler, str(name), _rules_macro(str(name), literals, rules,
                                                    _where(_hy_compiler, _hy_compiler.this)))
    return _sym("None")


def let_syntax(_hy_compiler, bindings, *body):
    """`(let-syntax ((name (syntax-rules ...)) ...) body...)` (names stay visible after)."""
    for b in bindings:
        define_syntax(_hy_compiler, b[0], b[1])
    return _expr("hy-do", *(body or [_sym("None")]))


# match (ice-9 match) ---------------------------------------------------------------------

class _PatternCompiler:
    """Compiles a match pattern into the tuple tree `scheme.match_pattern` walks."""

    def __init__(self, compiler):
        self.compiler = compiler
        self.variables: TList[str] = []

    def var(self, name: str) -> Tuple:
        if name not in self.variables:
            self.variables.append(name)
        return Tuple([String("var"), Integer(self.variables.index(name))])

    def compile(self, p):
        c = self.compiler
        if isinstance(p, Symbol):
            name = str(p)
            if name == "_":
                return Tuple([String("_")])
            if name in ("True", "False", "None"):
                return Tuple([String("lit"), p])
            if _is_ellipsis(p) or name.startswith(".."):
                syntax_error(c, p, f"match: {name} must follow a pattern inside a list")
            return self.var(name)
        if isinstance(p, (String, Integer, Float, Bytes, Complex)):
            return Tuple([String("lit"), p])
        if isinstance(p, Keyword):
            return Tuple([String("lit"), String(p.name)])
        if isinstance(p, Tuple):
            return Tuple([String("vector"), Tuple(self.items(p))])
        if isinstance(p, _SEQUENCES):
            return self.sequence(p)
        syntax_error(c, p, f"match: cannot use {type(p).__name__} as a pattern")

    def sequence(self, p):
        c = self.compiler
        head = str(p[0]) if p and isinstance(p[0], Symbol) else None
        if head in ("scheme-quote", "quote") and len(p) == 2:
            return Tuple([String("lit"), quote_data(c, p[1])])
        if head == "scheme-quasiquote" and len(p) == 2:
            return self.quasi(p[1])
        if head == "?" and len(p) >= 2:
            return Tuple([String("pred"), p[1], Tuple([self.compile(q) for q in p[2:]])])
        if head == "=" and len(p) == 3:
            return Tuple([String("app"), p[1], self.compile(p[2])])
        if head in ("and", "or") and _dotted(p) is None:
            return Tuple([String(head), Tuple([self.compile(q) for q in p[1:]])])
        if head == "not" and len(p) == 2:
            return Tuple([String("not"), self.compile(p[1])])
        if head == "$":
            syntax_error(c, p, "match: ($ RECORD ...) patterns are not supported",
                         hint="use (? operating-system? (= operating-system-host-name name))")
        dot = _dotted(p)
        items = p[:dot] if dot is not None else p
        tail = self.compile(p[dot + 1]) if dot is not None else Symbol("None")
        if dot is not None and dot != len(p) - 2:
            syntax_error(c, p, "match: a dotted pattern is written (a b . rest)")
        return Tuple([String("list"), Tuple(self.items(items)), tail])

    def items(self, items):
        out = []
        for i, item in enumerate(items):
            name = str(item) if isinstance(item, Symbol) else ""
            minimum = None
            if name in _ELLIPSES:
                minimum = 0
            elif name.startswith("..") and name[2:].isdigit():
                minimum = int(name[2:])
            if minimum is None:
                out.append(self.compile(item))
                continue
            if not out or out[-1][0] == "ellipsis":
                syntax_error(self.compiler, item, f"match: {name} must follow a pattern")
            if any(str(x) in _ELLIPSES or str(x).startswith("..")
                   for x in items[i + 1:] if isinstance(x, Symbol)):
                syntax_error(self.compiler, item, "match: one ellipsis per list")
            out[-1] = Tuple([String("ellipsis"), out[-1], Integer(minimum)])
        return out

    def quasi(self, p):
        head = _head(p)
        if head == "scheme-unquote":
            return self.compile(p[1])
        if head == "scheme-unquote-splicing":
            syntax_error(self.compiler, p, "match: ,@ is not allowed in a pattern")
        if isinstance(p, _SEQUENCES):
            dot = _dotted(p)
            items = p[:dot] if dot is not None else p
            out = []
            for item in items:
                if isinstance(item, Symbol) and (str(item) in _ELLIPSES
                                                 or str(item).startswith("..")):
                    out.append(item)
                else:
                    out.append(_QuasiItem(self.quasi(item)))
            compiled = []
            for item in out:
                if isinstance(item, _QuasiItem):
                    compiled.append(item.compiled)
                else:
                    minimum = 0 if str(item) in _ELLIPSES else int(str(item)[2:] or 0)
                    compiled[-1] = Tuple([String("ellipsis"), compiled[-1], Integer(minimum)])
            tail = self.quasi(p[dot + 1]) if dot is not None else Symbol("None")
            return Tuple([String("list"), Tuple(compiled), tail])
        return Tuple([String("lit"), quote_data(self.compiler, p)])


class _QuasiItem:
    def __init__(self, compiled):
        self.compiled = compiled


def _match_chain(compiler, value, clauses):
    result = _expr("%ld-match-error", value)
    for clause in reversed(clauses):
        if not (isinstance(clause, _SEQUENCES) and len(clause) >= 1):
            syntax_error(compiler, clause if hasattr(clause, "start_line") else compiler.this,
                         "match: a clause is (PATTERN BODY ...)")
        body = list(clause[1:])
        if body and isinstance(body[0], _SEQUENCES) and body[0] and is_symbol(body[0][0], "=>"):
            syntax_error(compiler, body[0], "match: (=> fail) clauses are not supported")
        patterns = _PatternCompiler(compiler)
        compiled = patterns.compile(clause[0])
        bindings = hy.gensym("bindings")
        names = [Symbol(n) for n in patterns.variables]
        run = _expr(_expr("fn", List(names), *(body or [_sym("None")])),
                    _expr("unpack-iterable", bindings))
        test = _expr("is-not", _expr("setx", bindings, _expr(
            "%ld-match", compiled, value, Integer(len(names)))), _sym("None"))
        result = _expr("hy-if", test, run, result)
    return result


def match(_hy_compiler, expression, *clauses):
    """`(match expression (pattern body...) ...)`: (ice-9 match)'s patterns: `_`, names,
    literals, 'datum, lists, `...`/`___`/`..N`, dotted tails, `?`, `=`, `and`, `or`, `not`,
    quasi-patterns and vectors. No clause matching is an error naming the value."""
    value = hy.gensym("value")
    return _expr(_expr("fn", List([value]), _match_chain(_hy_compiler, value, clauses)),
                 expression)


def match_lambda(_hy_compiler, *clauses):
    """`(match-lambda (pattern body...) ...)`: a one-argument procedure that matches it."""
    value = hy.gensym("value")
    return _expr("fn", List([value]), _match_chain(_hy_compiler, value, clauses))


def match_lambda_star(_hy_compiler, *clauses):
    """`(match-lambda* (pattern body...) ...)`: matches the list of all arguments."""
    args = hy.gensym("args")
    value = hy.gensym("value")
    return _expr("fn", List([_expr("unpack-iterable", args)]),
                 _expr(_expr("fn", List([value]), _match_chain(_hy_compiler, value, clauses)),
                       _expr("%ld-list", args)))


def match_let(_hy_compiler, bindings, *body):
    """`(match-let ((pattern expression) ...) body...)` (also `match-let*`)."""
    if isinstance(bindings, Symbol):
        syntax_error(_hy_compiler, _hy_compiler.this, "named match-let is not supported")
    result = _expr("hy-do", *(body or [_sym("None")]))
    for b in reversed(list(bindings)):
        if not (isinstance(b, _SEQUENCES) and len(b) == 2):
            syntax_error(_hy_compiler, b, "a match-let binding is (PATTERN EXPRESSION)")
        result = match(_hy_compiler, b[1], Expression([b[0], result]))
    return result


def cut(_hy_compiler, *args):
    """SRFI-26 `(cut proc <> x)`: a procedure of the `<>` slots (`<...>` takes the rest).
    Without slots it is Hy's own `cut` (slicing)."""
    if not any(is_symbol(a, "<>") or is_symbol(a, "<...>") for a in args):
        return _CORE["cut"](_hy_compiler, *args)
    params, call_args = [], []
    for a in args:
        if is_symbol(a, "<>"):
            slot = hy.gensym("slot")
            params.append(slot)
            call_args.append(slot)
        elif is_symbol(a, "<...>"):
            rest = hy.gensym("rest")
            params.append(_expr("unpack-iterable", rest))
            call_args.append(_expr("unpack-iterable", rest))
        else:
            call_args.append(a)
    return _expr("fn", List(params), Expression(call_args))


def cute(_hy_compiler, *args):
    """SRFI-26 `(cute proc <> (f x))`: like cut, with the other arguments evaluated once."""
    bindings, rewritten = [], []
    for a in args:
        if isinstance(a, Expression) and not (is_symbol(a, "<>") or is_symbol(a, "<...>")):
            temp = hy.gensym("cute")
            bindings.append(_expr("setv", temp, a))
            rewritten.append(temp)
        else:
            rewritten.append(a)
    return _expr("hy-do", *bindings, cut(_hy_compiler, *rewritten))


MACROS = {
    "cut": cut,
    "cute": cute,
    "scheme-quote": scheme_quote,
    "quote": scheme_quote,
    "scheme-quasiquote": scheme_quasiquote,
    "scheme-unquote": stray_unquote,
    "scheme-unquote-splicing": stray_unquote,
    "hy-if": _CORE["if"],
    "hy-do": _CORE["do"],
    "hy-not": _CORE["not"],
    "hy-cond": _CORE["cond"],
    "hy-match": _CORE["match"],
    "hy-and": _CORE["and"],
    "hy-or": _CORE["or"],
    "if": if_,
    "when": when,
    "unless": unless,
    "not": not_,
    "and": and_,
    "or": or_,
    "cond": cond,
    "case": case,
    "letrec": letrec,
    "letrec*": letrec,
    "receive": receive,
    "let-values": let_values,
    "let*-values": let_values,
    "define-values": define_values,
    "define-syntax-rule": define_syntax_rule,
    "define-syntax": define_syntax,
    "let-syntax": let_syntax,
    "letrec-syntax": let_syntax,
    "match": match,
    "match-lambda": match_lambda,
    "match-lambda*": match_lambda_star,
    "match-let": match_let,
    "match-let*": match_let,
}


def scheme_do(_hy_compiler, *args):
    """`do`: Scheme's loop, `(do ((VAR INIT STEP) ...) (TEST RESULT ...) BODY ...)`, when its
    first two arguments have that shape; otherwise Hy's `do` (Scheme's `begin`)."""
    specs = args[0] if args else None
    if (len(args) >= 2 and isinstance(specs, Expression) and isinstance(args[1], Expression)
            and args[1] and not (specs and isinstance(specs[0], Symbol))
            and all(isinstance(s, _SEQUENCES) and len(s) in (2, 3) and isinstance(s[0], Symbol)
                    for s in specs)):
        return do_loop(_hy_compiler, *args)
    return _CORE["do"](_hy_compiler, *args)


MACROS["do"] = scheme_do
__all__ = ["MACROS", "quote_data", "truth"]
