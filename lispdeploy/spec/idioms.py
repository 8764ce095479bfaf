"""Macros for the Scheme idioms deployment files use: `define`, `define*`, `lambda`, `let`,
`let*`, named `let`, `begin`, one-armed `if`, `unless`, `set!`, quoted data, `error`.

Each macro is a Python function whose first parameter is `_hy_compiler` (so Hy passes the
compiler, for located errors) and which returns Hy models that compile to plain Python: the
same macros serve g-expression bodies, which must run on hosts without Hy.
"""

from __future__ import annotations

import builtins

import hy
from hy.models import (Bytes, Complex, Dict, Expression, Float, Integer, Keyword, List, String,
                       Symbol, Tuple)

from lispdeploy.spec.syntax import (as_list, call, internal, is_symbol, location_of,
                                    syntax_error)

_CORE_IF = builtins._hy_macros["if"]


def _params(compiler, form, params):
    """Scheme parameters as a Hy lambda list: `(a b)`, `args` (rest), and the `define*` /
    `lambda*` markers `#:optional`, `#:key`, `#:rest`."""
    if isinstance(params, Symbol):
        return List([Expression([Symbol("unpack-iterable"), params])])
    if not isinstance(params, (Expression, List)):
        syntax_error(compiler, form, "expected a parameter list such as (a b)")
    out = []
    mode = "required"
    for p in params:
        if isinstance(p, Keyword) and p.name in ("optional", "key", "rest"):
            mode = p.name
            if mode == "key":
                out.append(Symbol("*"))
            continue
        if mode == "rest":
            out.append(Expression([Symbol("unpack-iterable"), p]))
            continue
        if isinstance(p, Expression) and len(p) == 2 and isinstance(p[0], Symbol):
            if mode == "required":
                syntax_error(compiler, p, "a parameter with a default needs #:optional or #:key "
                             "before it")
            out.append(List([p[0], p[1]]))
        elif isinstance(p, Symbol):
            out.append(p if mode == "required" else List([p, Symbol("None")]))
        else:
            syntax_error(compiler, p, "a parameter must be a name or (name default)")
    return List(out)


def _fn(compiler, form, params, body):
    return Expression([Symbol("fn"), _params(compiler, form, params), *(body or [Symbol("None")])])


def define(_hy_compiler, target, *body):
    """`(define name value)` or `(define (name args...) body...)`."""
    form = _hy_compiler.this
    if isinstance(target, Expression) and target and isinstance(target[0], Symbol):
        return Expression([Symbol("defn"), target[0], _params(_hy_compiler, form, target[1:]),
                           *(body or [Symbol("None")])])
    if isinstance(target, Symbol):
        if len(body) > 1:
            syntax_error(_hy_compiler, form, "(define name value) takes one value")
        return Expression([Symbol("setv"), target, body[0] if body else Symbol("None")])
    syntax_error(_hy_compiler, form, "define expects a name or (name args...)",
                 hint="write (define name value) or (define (name arg ...) body ...)")


def define_star(_hy_compiler, target, *body):
    """`(define* (name a #:optional (b 1) #:key (c 2)) body...)`."""
    if not (isinstance(target, Expression) and target and isinstance(target[0], Symbol)):
        syntax_error(_hy_compiler, _hy_compiler.this, "define* expects (name args...)")
    return define(_hy_compiler, target, *body)


def lambda_(_hy_compiler, params, *body):
    """`(lambda (args...) body...)`; `(lambda args body...)` takes any number of arguments."""
    return _fn(_hy_compiler, _hy_compiler.this, params, body)


def _bindings(compiler, form, bindings):
    """Scheme `((a 1) (b 2))` or Hy `[a 1 b 2]` bindings as (name, value) pairs."""
    if isinstance(bindings, List) and all(not isinstance(b, Expression) for b in bindings[::2]):
        if len(bindings) % 2:
            syntax_error(compiler, form, "let bindings need a value for every name")
        return list(zip(bindings[::2], bindings[1::2]))
    if not isinstance(bindings, (Expression, List)):
        syntax_error(compiler, form, "let expects bindings such as ((name value) ...)")
    pairs = []
    for b in bindings:
        if not (isinstance(b, (Expression, List)) and len(b) == 2 and isinstance(b[0], Symbol)):
            syntax_error(compiler, b, "a let binding is (name value)")
        pairs.append((b[0], b[1]))
    return pairs


def let(_hy_compiler, bindings, *body):
    """`(let ((a 1) (b 2)) body...)` with parallel binding; `(let name ((i 0)) body...)` is
    a named let (a local loop procedure). Hy's `(let [a 1] ...)` also works."""
    form = _hy_compiler.this
    if isinstance(bindings, Symbol) and body:
        pairs = _bindings(_hy_compiler, form, body[0])
        loop = Expression([Symbol("defn"), bindings, List([n for n, _ in pairs]),
                           *(body[1:] or [Symbol("None")])])
        return Expression([Expression([Symbol("fn"), List([]), loop,
                                       Expression([bindings, *[v for _, v in pairs]])])])
    if isinstance(bindings, List) and not any(isinstance(b, Expression) for b in bindings[::2]):
        return let_star(_hy_compiler, bindings, *body)
    pairs = _bindings(_hy_compiler, form, bindings)
    return Expression([Expression([Symbol("fn"), List([n for n, _ in pairs]),
                                   *(body or [Symbol("None")])]),
                       *[v for _, v in pairs]])


def let_star(_hy_compiler, bindings, *body):
    """`(let* ((a 1) (b (+ a 1))) body...)`: each binding sees the ones before it."""
    pairs = _bindings(_hy_compiler, _hy_compiler.this, bindings)
    result = Expression([Expression([Symbol("fn"), List([]), *(body or [Symbol("None")])])])
    for name, value in reversed(pairs):
        result = Expression([Expression([Symbol("fn"), List([name]), result]), value])
    return result


def begin(_hy_compiler, *body):
    """`(begin form...)`: Hy's `do`."""
    return Expression([Symbol("do"), *body])


def if_(_hy_compiler, *args):
    """`if` with an optional else branch, as in Scheme."""
    if len(args) == 2:
        args = (*args, Symbol("None"))
    if len(args) != 3:
        syntax_error(_hy_compiler, _hy_compiler.this, "if takes a test, a then-form and an "
                     "optional else-form")
    return _CORE_IF(_hy_compiler, *args)


def unless(_hy_compiler, test, *body):
    """`(unless test body...)`."""
    return Expression([Symbol("when"), Expression([Symbol("not"), test]), *body])


def set_bang(_hy_compiler, name, value):
    """`(set! name value)`."""
    return Expression([Symbol("setv"), name, value])


def scheme_quote(_hy_compiler, form):
    """`'form`: quoted data as plain values: lists, strings (symbols give their name),
    numbers; nothing in it is evaluated."""
    return _quote_data(_hy_compiler, form)


def _quote_data(compiler, form):
    if isinstance(form, (Expression, List, Tuple)):
        if len(form) == 3 and is_symbol(form[1], "."):
            syntax_error(compiler, form, "dotted pairs (a . b) cannot be written in a spec",
                         hint="use a two-element list '(a b) instead")
        return List([_quote_data(compiler, f) for f in form])
    if isinstance(form, Symbol):
        if str(form) in ("True", "False", "None"):
            return form
        return String(str(form))
    if isinstance(form, Keyword):
        return String(form.name)
    if isinstance(form, Dict):
        return Dict([_quote_data(compiler, f) for f in form])
    if isinstance(form, (String, Bytes, Integer, Float, Complex)):
        return form
    syntax_error(compiler, form, f"cannot quote {type(form).__name__} here")


def error(_hy_compiler, message, *irritants):
    """`(error "message" irritant...)`: stop loading the spec with a located error."""
    return call(internal("spec_error"), location_of(_hy_compiler, _hy_compiler.this), message,
                *irritants)


MACROS = {
    "define": define,
    "define-public": define,
    "define*": define_star,
    "define-public*": define_star,
    "lambda": lambda_,
    "lambda*": lambda_,
    "let": let,
    "let*": let_star,
    "begin": begin,
    "if": if_,
    "unless": unless,
    "set!": set_bang,
    "scheme-quote": scheme_quote,
    # Guix writes (quote x) for 'x; both are data here.
    "quote": scheme_quote,
    "error": error,
}


def mangled(macros):
    """The macro table keyed by mangled names, as Hy looks macros up."""
    return {hy.mangle(k): v for k, v in macros.items()}


__all__ = ["MACROS", "mangled", "as_list"]
