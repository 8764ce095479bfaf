"""Macros for the Scheme idioms deployment files use: `define`, `define*`, `lambda`, `let`,
`let*`, named `let`, `begin`, `set!`, `error` (the special forms with Scheme's own semantics,
quote, `if`, `cond`, `match`..., are in spec.scheme_forms).

Each macro is a Python function whose first parameter is `_hy_compiler` (so Hy passes the
compiler, for located errors) and which returns Hy models that compile to plain Python: the
same macros serve g-expression bodies, which must run on hosts without Hy.
"""

from __future__ import annotations

import hy
from hy.models import (Bytes, Complex, Dict, Expression, Float, Integer, Keyword, List, String,
                       Symbol, Tuple)

from lispdeploy.spec.syntax import (as_list, call, internal, is_symbol, location_of,
                                    syntax_error)

def _params(compiler, form, params):
    """Scheme parameters as a Hy lambda list: `(a b)`, `args` (rest), and the `define*` /
    `lambda*` markers `#:optional`, `#:key`, `#:rest`."""
    if isinstance(params, Symbol):
        return List([Expression([Symbol("unpack-iterable"), params])])
    if not isinstance(params, (Expression, List)):
        syntax_error(compiler, form, "expected a parameter list such as (a b)")
    out = []
    mode = "required"
    items = list(params)
    # (a b . rest): Scheme's rest parameter.
    dots = [i for i, p in enumerate(items) if is_symbol(p, ".")]
    if dots:
        if dots[0] != len(items) - 2 or not isinstance(items[-1], Symbol):
            syntax_error(compiler, form, "a rest parameter is written (a b . rest)")
        items = items[:-2] + [Keyword("rest"), items[-1]]
    for p in items:
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
    lambda_list = _params(compiler, form, params)
    return Expression([Symbol("fn"), lambda_list, *_body(lambda_list, body)])


def _body(lambda_list, body):
    """The body, first making a rest parameter a list (Python passes a tuple), as in Scheme."""
    rest = [p[1] for p in lambda_list if isinstance(p, Expression) and len(p) == 2
            and is_symbol(p[0], "unpack-iterable") and isinstance(p[1], Symbol)]
    prologue = [Expression([Symbol("setv"), r, Expression([Symbol("%ld-list"), r])]) for r in rest]
    return [*prologue, *(body or [Symbol("None")])]


def define(_hy_compiler, target, *body):
    """`(define name value)` or `(define (name args...) body...)`."""
    form = _hy_compiler.this
    if isinstance(target, Expression) and target and isinstance(target[0], (Symbol, Expression)):
        # Curried define: (define ((f a) b) ...) is (define (f a) (lambda (b) ...)).
        if isinstance(target[0], Expression):
            return define(_hy_compiler, target[0], lambda_(_hy_compiler, target[1:], *body))
        lambda_list = _params(_hy_compiler, form, target[1:])
        return Expression([Symbol("defn"), target[0], lambda_list,
                           *_body(lambda_list, body)])
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
    return Expression([Symbol("hy-do"), *body])


def set_bang(_hy_compiler, name, value):
    """`(set! name value)`."""
    return Expression([Symbol("setv"), name, value])


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
    "set!": set_bang,
    "error": error,
}


def mangled(macros):
    """The macro table keyed by mangled names, as Hy looks macros up."""
    return {hy.mangle(k): v for k, v in macros.items()}


__all__ = ["MACROS", "mangled", "as_list"]
