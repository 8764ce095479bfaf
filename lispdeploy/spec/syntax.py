"""Shared helpers for the spec layer's macros: building Hy models, locations, and syntax
errors that carry a hint.
"""

from __future__ import annotations

from typing import Optional

import hy
from hy.errors import HySyntaxError
from hy.models import Expression, Integer, Keyword, List, String, Symbol

# The name under which every spec module sees lispdeploy's internals (see prelude.Internals).
INTERNALS = "_ld"


class SpecSyntaxError(HySyntaxError):
    """A syntax error found while expanding a spec form, with a hint for the user."""

    def __init__(self, message, expression, filename=None, source=None, hint=None):
        super().__init__(message, expression, filename, source)
        self.hint = hint


def syntax_error(compiler, model, message: str, hint: Optional[str] = None):
    """Raise a SpecSyntaxError located at `model` (a Hy model from the spec)."""
    raise SpecSyntaxError(message, model, compiler.filename, compiler.source, hint=hint)


def internal(name: str) -> Expression:
    """An expression naming `name` in lispdeploy's internals namespace of the spec module."""
    return Expression([Symbol("."), Symbol(INTERNALS), Symbol(name)])


def call(fn, *args, **kwargs) -> Expression:
    """An expression `(fn args... :k v ...)` built from models."""
    items = [fn if isinstance(fn, hy.models.Object) else Symbol(fn), *args]
    for key, value in kwargs.items():
        items.extend([Keyword(key), value])
    return Expression(items)


def location_of(compiler, model) -> Expression:
    """An expression that builds the Location of `model` at run time."""
    return call(internal("Location"), String(compiler.filename or "<spec>"),
                Integer(getattr(model, "start_line", 0) or 0),
                Integer(getattr(model, "start_column", 0) or 0))


def python_name(name: str) -> str:
    """A Guix keyword or field spelling as a Python name: `recursive?` -> `recursive`."""
    return name.rstrip("?").replace("-", "_")


def is_symbol(model, name: Optional[str] = None) -> bool:
    """Whether `model` is a symbol (named `name`, if given)."""
    return isinstance(model, Symbol) and (name is None or str(model) == name)


def as_list(models) -> List:
    """A Hy list model of `models`."""
    return List(list(models))
