"""Loading a deployment file: read it with the spec reader, compile it against a fresh module
holding the prelude, run it, and check that its last value is a list of machines.

Every mistake in a spec becomes a `SpecError` located at `file:line:col`, with a hint where
the fix is known: reader errors, unknown or duplicate fields, unknown names (shown in Hy
spelling: `%base-servics`), run-time errors inside the spec. Never a Python traceback.
Imports Hy and the spec layer, records and machine.
"""

from __future__ import annotations

import os
import traceback
import types
from typing import Any, Iterable, List, Optional, Tuple

import hy
from hy.compiler import hy_compile
from hy.errors import HyLanguageError
from hy.models import Expression, Lazy, Symbol
from hy.reader.exceptions import LexException

from lispdeploy.errors import LispdeployError, SpecError
from lispdeploy.location import Location
from lispdeploy.machine import Machine
from lispdeploy.records import did_you_mean
from lispdeploy.spec import prelude
from lispdeploy.spec.reader import read_many
from lispdeploy.spec.syntax import SpecSyntaxError
from lispdeploy.target.scheme import SchemeError

_counter = 0


class Spec:
    """A loaded deployment file: its path and text, its machines, and the module it ran in
    (for evaluating more expressions in its context)."""

    def __init__(self, path: str, text: str, machines: List[Machine], module: types.ModuleType):
        self.path = path
        self.text = text
        self.machines = machines
        self.module = module


def load_spec(path: str, *, load_path: Iterable[str] = ()) -> Spec:
    """Load the deployment file at `path` and return its machines."""
    text = _read(path)
    module = _new_module(path, load_path)
    value, last = _run(text, path, module)
    machines = _machines(value, last, path)
    return Spec(path, text, machines, module)


def evaluate(spec: Spec, text: str, filename: str = "<expression>") -> Any:
    """Evaluate `text` (Hy with Guix syntax) in the context of a loaded spec."""
    value, _ = _run(text, filename, spec.module)
    return value


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise SpecError(f"no such deployment file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read deployment file {path}: {e}") from None


def _new_module(path: str, load_path: Iterable[str]) -> types.ModuleType:
    global _counter
    _counter += 1
    module = types.ModuleType(f"lispdeploy_spec_{_counter}")
    module.__file__ = os.path.abspath(path)
    module.__dict__.update(prelude.namespace(load_path, _load_user_module))
    return module


def _load_user_module(path: str, name: Tuple[str, ...], internals) -> types.ModuleType:
    """Load a user module (from `use-modules`) with the same prelude as the spec."""
    if path.endswith(".py"):
        from lispdeploy.spec.modules import load_python_module
        try:
            return load_python_module(path, "lispdeploy_user_" + "_".join(name))
        except LispdeployError:
            raise
        except Exception as e:
            raise SpecError(f"module {path} failed to load: {type(e).__name__}: {e}",
                            location=_innermost_location(e, (path,))) from None
    module = _new_module(path, internals.load_path)
    _run(_read(path), path, module)
    return module


def _run(text: str, filename: str, module: types.ModuleType):
    """Compile and run `text` in `module`; return (last value, last form)."""
    last = None
    try:
        forms = list(read_many(text, filename))
        if forms:
            last = forms[-1]
        code, expr = hy_compile(Lazy(iter(forms)), module, get_expr=True, filename=filename, source=text)
        exec(compile(code, filename, "exec"), module.__dict__)
        value = eval(compile(expr, filename, "eval"), module.__dict__) if expr is not None else None
        return value, last
    except LispdeployError as e:
        if e.location is None:
            e.location = _innermost_location(e, (filename,))
        raise
    except LexException as e:
        raise SpecError(_reader_message(e), location=_hy_location(e, filename)) from None
    except HyLanguageError as e:
        cause = _lispdeploy_cause(e)
        if cause is not None:
            raise cause from None
        hint = getattr(e, "hint", None)
        message = e.msg if isinstance(e, SpecSyntaxError) else _hy_message(e)
        raise SpecError(message, location=_hy_location(e, filename), hint=hint) from None
    except NameError as e:
        raise _name_error(e, filename, module) from None
    except RecursionError:
        raise SpecError("the spec recursed too deeply",
                        location=_innermost_location(None, (filename,))) from None
    except Exception as e:
        message = str(e) if isinstance(e, SchemeError) else f"{type(e).__name__}: {e}"
        raise SpecError(message,
                        location=_innermost_location(e, (filename,))) from None


def _machines(value: Any, last, path: str) -> List[Machine]:
    where = (Location(path, getattr(last, "start_line", 0), getattr(last, "start_column", 0))
             if last is not None else Location(path))
    hint = "end the file with a list of machines: (list (machine ...) ...)"
    if not isinstance(value, (list, tuple)):
        got = "nothing" if value is None else getattr(value, "record_name", type(value).__name__)
        raise SpecError(f"the deployment file's last value must be a list of machines, got {got}",
                        location=where, hint=hint)
    for item in value:
        if not isinstance(item, Machine):
            got = getattr(item, "record_name", None) or type(item).__name__
            raise SpecError("the deployment file's last value must be a list of machines, "
                            f"but it holds a {got}", location=where, hint=hint)
    if not value:
        raise SpecError("the deployment file declares no machines", location=where, hint=hint)
    names = [m.display_name for m in value]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(f"two machines have the host name '{duplicates[0]}'", location=where,
                        hint="each machine's operating-system needs its own host-name")
    return list(value)


def _lispdeploy_cause(e: BaseException) -> Optional[LispdeployError]:
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, LispdeployError):
            return e
        e = e.__cause__ or e.__context__
    return None


def _hy_location(e, filename: str) -> Location:
    return Location(getattr(e, "filename", None) or filename, getattr(e, "lineno", 0) or 0,
                    getattr(e, "colno", 0) or 0)


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


def _name_error(e: NameError, filename: str, module: types.ModuleType) -> SpecError:
    name = getattr(e, "name", None) or str(e).split("'")[1]
    shown = hy.unmangle(name)
    candidates = [hy.unmangle(k) for k in module.__dict__ if not k.startswith("__")]
    candidates += [hy.unmangle(k) for k in module.__dict__.get("_hy_macros", {})]
    hint = did_you_mean(shown, candidates)
    if hint is None and shown.isidentifier() is False and "-" not in shown:
        hint = None
    if hint is None:
        hint = ("a package? use (specification->package \"NAME\") or a string"
                if _looks_like_package(shown) else None)
    return SpecError(f"unknown name '{shown}'", location=_innermost_location(e, (filename,)),
                     hint=hint)


def _looks_like_package(name: str) -> bool:
    return name.replace("-", "").isalnum() and not name.startswith("%")


def _innermost_location(e: Optional[BaseException], files: Tuple[str, ...]) -> Optional[Location]:
    """The deepest traceback frame in one of `files`, with its column when Python knows it."""
    if e is None or e.__traceback__ is None:
        return None
    found = None
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename in files:
            column = (getattr(frame, "colno", None) or 0) + 1
            found = Location(frame.filename, frame.lineno or 0, column)
    return found


__all__ = ["Spec", "load_spec", "evaluate", "Expression", "Symbol"]
