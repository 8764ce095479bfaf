"""Compiling a spec's text with Hy: the spec reader, the prelude's macros, and the
translation of every compile-time mistake (reader errors, unknown fields, bad forms) into a
located `SpecError` with a hint.
"""

from __future__ import annotations

import types
from typing import Any, Optional, Tuple

from hy.compiler import hy_compile
from hy.errors import HyLanguageError
from hy.models import Lazy
from hy.reader.exceptions import LexException

from lispdeploy.errors import LispdeployError, SpecError
from lispdeploy.location import Location
from lispdeploy.spec.reader import read_many
from lispdeploy.spec.syntax import SpecSyntaxError


def compile_spec(text: str, filename: str, module: types.ModuleType
                 ) -> Tuple[Any, Optional[Any], Tuple[int, int]]:
    """Compile `text` against `module` (which holds the prelude and macros): the code of its
    statements, the code of its last expression (or None), and the last form's position."""
    try:
        forms = list(read_many(text, filename))
        last = (getattr(forms[-1], "start_line", 0), getattr(forms[-1], "start_column", 0)
                ) if forms else (0, 0)
        # Without `import hy` in the result: a cached spec then runs without importing Hy
        # (see uses_hy for the specs that call Hy functions themselves).
        code, expr = hy_compile(Lazy(iter(forms)), module, get_expr=True, filename=filename,
                                source=text, import_stdlib=False)
        body = compile(code, filename, "exec")
        value = compile(expr, filename, "eval") if expr is not None else None
        return body, value, last
    except LispdeployError:
        raise
    except LexException as e:
        message = _reader_message(e)
        hint = None
        location = _location(e, filename)
        if "maximum recursion depth" in message:
            message = "forms are nested too deeply here to be read"
            hint = "define the inner parts with (define ...) and use their names"
        elif "Premature end of input" in e.msg:
            opened = unclosed_form(text)
            if opened is not None:
                location = Location(filename, *opened)
                message = "unbalanced parentheses: this form is never closed"
                hint = "the file ends before its closing ')'"
        raise SpecError(message, location=location, hint=hint) from None
    except HyLanguageError as e:
        cause = _lispdeploy_cause(e)
        if cause is not None:
            raise cause from None
        message = e.msg if isinstance(e, SpecSyntaxError) else _hy_message(e)
        hint = getattr(e, "hint", None)
        if "maximum recursion depth" in message:
            message = "forms are nested too deeply here to be compiled"
            hint = "define the inner parts with (define ...) and use their names"
        raise SpecError(message, location=_location(e, filename), hint=hint) from None
    except RecursionError:
        raise SpecError("forms are nested too deeply to be read", location=Location(filename),
                        hint="define the inner parts with (define ...) and use their "
                             "names") from None


def _lispdeploy_cause(e: BaseException) -> Optional[LispdeployError]:
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, LispdeployError):
            return e
        e = e.__cause__ or e.__context__
    return None


def _location(e, filename: str) -> Location:
    return Location(getattr(e, "filename", None) or filename, getattr(e, "lineno", 0) or 0,
                    getattr(e, "offset", None) or getattr(e, "colno", 0) or 0)


def unclosed_form(text: str) -> Optional[Tuple[int, int]]:
    """(line, column) of the outermost top-level form that the text never closes, skipping
    strings and comments; None if the parentheses balance."""
    stack = []
    line, column, i, n = 1, 0, 0, len(text)
    while i < n:
        c = text[i]
        column += 1
        if c == "\n":
            line, column = line + 1, 0
        elif c == ";":
            while i + 1 < n and text[i + 1] != "\n":
                i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                    column += 1
                if i < n and text[i] == "\n":
                    line, column = line + 1, 0
                else:
                    column += 1
                i += 1
            column += 1
        elif c in "([{":
            stack.append((line, column))
        elif c in ")]}" and stack:
            stack.pop()
        i += 1
    return stack[0] if stack else None


def _reader_message(e: LexException) -> str:
    message = e.msg
    if "Premature end of input" in message:
        return "unbalanced parentheses: the file ends inside a form"
    return message


def _hy_message(e: HyLanguageError) -> str:
    message = (e.msg or "").strip()
    if message.startswith("expanding macro"):
        message = message.split("\n", 1)[-1].strip()
    return message

