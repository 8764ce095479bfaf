"""The `gexp` form (`#~`): compile a g-expression's Hy body into Python when the spec is read.

Each `#$x` / `#$@xs` in the body becomes a placeholder name and `x` is evaluated on the
controller where the gexp is written; the body itself is compiled, with the spec's own macros,
into Python statements that need nothing but the standard library. Code that would need the
Hy runtime on the host is reported here, at the offending form, with what to write instead.
`#$output` inside a `computed-file` names the file to produce, as in Guix.

This is the one place, besides the spec loader, where Hy compiles code.
"""

from __future__ import annotations

import ast
from typing import List as TList, Tuple as TTuple

from hy.compiler import hy_compile
from hy.models import Dict, Expression, Integer, Keyword, List, Set, String, Symbol, Tuple

from lispdeploy.gexp.gexp import PLACEHOLDER_PREFIX
from lispdeploy.spec.syntax import INTERNALS, call, internal, location_of, syntax_error

_UNGEXP = ("ungexp", "ungexp-splicing", "ungexp-native", "ungexp-native-splicing")
_BODY_HEADS = ("do", "begin", "hy-do")


def gexp(_hy_compiler, *body):
    """`#~(form ...)` / `(gexp form ...)`: staged code, see the module docstring."""
    compiler = _hy_compiler
    form = compiler.this
    if not body:
        syntax_error(compiler, form, "gexp: nothing to stage", hint="write #~(expression)")
    references: TList = []

    def walk(model, statement_position=False):
        if isinstance(model, Expression) and model and isinstance(model[0], Symbol):
            head = str(model[0])
            if head in _UNGEXP:
                if len(model) != 2:
                    syntax_error(compiler, model, f"{head} takes exactly one expression")
                if head == "ungexp" and isinstance(model[1], Symbol) and str(model[1]) == "output":
                    return Symbol("output")
                name = Symbol(f"{PLACEHOLDER_PREFIX}{len(references)}")
                references.append(model[1])
                if head.endswith("splicing"):
                    spliced = Expression([Symbol("unpack-iterable"), name])
                    return List([spliced]) if statement_position else spliced
                return name
            if head == "gexp":
                syntax_error(compiler, model, "gexp: a #~ inside a #~ cannot run on a host",
                             hint="build the inner gexp outside and splice it in with #$")
            inner_body = head in _BODY_HEADS
            return _rebuild(model, [walk(m, inner_body and i > 0) for i, m in enumerate(model)])
        if isinstance(model, (Expression, List, Tuple, Dict, Set)):
            return _rebuild(model, [walk(m) for m in model])
        return model

    staged = [walk(m, True) for m in body]
    # Sequence models are immutable: `replace` returns the located copy.
    tree = Expression([Symbol("hy-do"), *staged]).replace(form)
    module_ast, expr_ast = hy_compile(tree, compiler.module, get_expr=True, import_stdlib=False,
                                      filename=compiler.filename, source=compiler.source,
                                      extra_macros=_HOST_MACROS)
    _reject_hy_runtime(compiler, form, module_ast, expr_ast)
    source, lines = _function_body(module_ast, expr_ast, getattr(form, "start_line", 0),
                                   getattr(_last_form(body), "start_line", 0))
    return call(internal("Gexp"),
                source=String(source),
                references=List(references),
                spec_lines=Tuple([Integer(n) for n in lines]),
                location=location_of(compiler, form))


def _rebuild(model, items):
    # `replace` returns a copy carrying model's position (a new model has none of its own).
    return type(model)(items).replace(model)


def _reject_hy_runtime(compiler, form, module_ast, expr_ast):
    nodes = [module_ast] + ([expr_ast] if expr_ast is not None else [])
    for root in nodes:
        for node in ast.walk(root):
            name = None
            if isinstance(node, ast.Name) and node.id in ("hy", INTERNALS):
                name = node.id
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]
                if any(m == "hy" or m.startswith("hy.") for m in modules):
                    name = "hy"
            if name is None:
                continue
            where = _model_at(form, getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
            if name == INTERNALS:
                syntax_error(compiler, where,
                             "gexp: records, services and file-like objects cannot be built "
                             "on a host",
                             hint="build the value outside the gexp and splice it in with #$")
            syntax_error(compiler, where,
                         "gexp: this code needs the Hy runtime, which hosts do not have",
                         hint="quoted code, keyword values (:kw) and hy.* calls need Hy; use "
                              "strings and plain data, or compute the value outside the gexp "
                              "and splice it in with #$")


def _model_at(form, line, column):
    """The innermost model of `form` starting at (line, column+1), else `form`."""
    best = form
    stack = [form]
    while stack:
        m = stack.pop()
        if getattr(m, "start_line", None) == line and getattr(m, "start_column", None) == column + 1:
            best = m
        if isinstance(m, (Expression, List, Tuple, Dict, Set)):
            stack.extend(m)
    return best


def _last_form(body):
    """The form whose value a body returns: the last one, inside `begin`/`do`."""
    last = body[-1]
    while (isinstance(last, Expression) and len(last) > 1 and isinstance(last[0], Symbol)
           and str(last[0]) in _BODY_HEADS):
        last = last[-1]
    return last


def _function_body(module_ast: ast.Module, expr_ast, first_line: int,
                   value_line: int) -> TTuple[str, TList[int]]:
    """Python source of a function body (statements, then `return` of the value) and, for
    each source line, the spec line it came from. Hy leaves some nodes (imports) without a
    position; they get the line of the statement before them."""
    out: TList[str] = []
    lines: TList[int] = []
    value = ast.Return(value=expr_ast.body if isinstance(expr_ast, ast.Expression) else
                       (expr_ast or ast.Constant(None)))
    value.lineno = value_line
    known = first_line
    for statement in list(module_ast.body) + [value]:
        text = ast.unparse(ast.fix_missing_locations(statement))
        spec_line = getattr(statement, "lineno", 0) or 0
        if spec_line < first_line:
            spec_line = known
        known = spec_line
        for line in text.splitlines():
            out.append(line)
            lines.append(spec_line)
    return "\n".join(out) + "\n", lines


def _host_error(_hy_compiler, *args):
    """`(error "message" irritant...)` in staged code: the host's `error` procedure."""
    # The head is an expression, so Hy calls the host's `error` instead of expanding again.
    return Expression([Expression([Symbol("do"), Symbol("error")]), *args])


# Inside gexp bodies, forms that mean something else on the controller.
_HOST_MACROS = {"error": _host_error}

MACROS = {"gexp": gexp}


def stray_ungexp(_hy_compiler, *args):
    """`#$x` outside of a `#~`: an error, as in Guix."""
    syntax_error(_hy_compiler, _hy_compiler.this, "#$ (ungexp) used outside of a gexp",
                 hint="#$ splices a value into staged code; use it inside #~(...)")


for _name in _UNGEXP:
    MACROS[_name] = stray_ungexp

__all__ = ["MACROS", "Keyword"]
