"""Evaluating a service's g-expression on the controller, to learn what it describes.

Guix writes a daemon's start command as `#~(make-forkexec-constructor (list "/bin/x" "-D"))`
and a cron job as `#~(job "5 0 * * *" "cmd")`. lispdeploy does not run these on the host: it
needs their *value* (an argv, a schedule) to write a systemd unit or a cron entry. So the
gexp's Python source is evaluated here against a namespace that knows only the Scheme
procedures (`list`, `string-append`, ...) and the helpers the caller names (the constructors,
`job`); its `#$` references become what they are on the host (file-likes become store paths,
nested gexps their value). Anything else the code names is an error at its spec line.
Names are mangled by `hostside.names`, as Hy mangles them (Hy is not needed here).
"""

from __future__ import annotations

import builtins
import textwrap
import traceback
import unicodedata
from typing import Any, Callable, Dict, Mapping

from lispdeploy.errors import LispdeployError, ServiceError
from lispdeploy.gexp.files import FileLike
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.location import Location
from lispdeploy.hostside import scheme
from lispdeploy.hostside.names import mangle

_SOURCE_NAME = "<gexp>"

# Pure built-ins a compiled gexp body may call; nothing that reaches files or processes.
_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "frozenset", "int", "isinstance",
    "len", "max", "min", "range", "repr", "reversed", "round", "set", "sorted", "str", "sum",
    "tuple", "zip", "Exception", "ValueError", "TypeError",
    "KeyError", "IndexError")}


def _unmangle(name: str) -> str:
    stripped = name.lstrip("_")
    leading, name = "_" * (len(name) - len(stripped)), stripped
    if name.startswith("hyx_"):
        out, rest = [], name[4:]
        while rest:
            if rest[0] == "X" and "X" in rest[1:]:
                code, rest = rest[1:].split("X", 1)
                try:
                    out.append(chr(int(code[1:], 16)) if code.startswith("U")
                               else unicodedata.lookup(code.replace("_", " ").replace("H", "-")))
                except (KeyError, ValueError):
                    out.append(code)
            else:
                out.append(rest[0])
                rest = rest[1:]
        name = "".join(out)
    return leading + name.replace("_", "-")


def evaluate(gexp: Gexp, helpers: Mapping[str, Any], path_of: Callable[[FileLike], str], *,
             what: str) -> Any:
    """The value of `gexp`'s body, computed here. `helpers` maps spec names to the procedures
    the body may call; `path_of` gives the host path of a file-like reference; `what` names
    the gexp in messages ("the start of shepherd service 'x'")."""
    names: Dict[str, Any] = {mangle(k): v for k, v in scheme.PROCEDURES.items()}
    names.update({mangle(k): v for k, v in helpers.items()})
    namespace: Dict[str, Any] = dict(names)
    namespace["__builtins__"] = _BUILTINS
    for index, reference in enumerate(gexp.references):
        namespace[gexp.placeholder(index)] = _resolve(reference, gexp, helpers,
                                                      path_of=path_of, what=what)
    source = "def _staged():\n" + textwrap.indent(gexp.source, "    ")
    try:
        exec(compile(source, _SOURCE_NAME, "exec"), namespace)
        return namespace["_staged"]()
    except LispdeployError:
        raise
    except NameError as e:
        shown = _unmangle(getattr(e, "name", None) or str(e).split("'")[1])
        raise ServiceError(f"{what}: '{shown}' is not available when lispdeploy reads this "
                           "g-expression", location=_where(gexp, e),
                           hint=_available(helpers)) from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # SystemExit too: the spec's code never ends lispdeploy
        raise ServiceError(f"{what}: {type(e).__name__}: {e}", location=_where(gexp, e)) from None


def _available(helpers: Mapping[str, Any]) -> str:
    procedures = sorted(k for k, v in helpers.items() if callable(v))
    constants = [k for k, v in helpers.items() if not callable(v)]
    return ("it may use " + ", ".join(procedures)
            + (", names such as " + constants[0] if constants else "")
            + ", the Scheme procedures (list, string-append, ...) and values spliced in with #$")


def _resolve(value: Any, gexp: Gexp, helpers, *, path_of, what: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, FileLike):
        return path_of(value)
    if isinstance(value, Gexp):
        return evaluate(value, helpers, path_of, what=what)
    if isinstance(value, (list, tuple)):
        return [_resolve(v, gexp, helpers, path_of=path_of, what=what) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, gexp, helpers, path_of=path_of, what=what)
                for k, v in value.items()}
    kind = getattr(value, "record_name", None) or type(value).__name__
    hint = None
    if kind == "package":
        hint = ("a Debian package has no store path; name the program by its path on the "
                "host, e.g. \"/usr/sbin/sshd\"")
    raise ServiceError(f"{what}: cannot use a {kind} spliced in with #$ here",
                       location=gexp.location, hint=hint)


def _where(gexp: Gexp, error: BaseException) -> Location:
    """The spec location of the gexp line where `error` was raised."""
    base = gexp.location
    line = 0
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == _SOURCE_NAME and frame.lineno:
            line = gexp.spec_line(frame.lineno - 1)
    if base is None:
        return Location(_SOURCE_NAME, line)
    if line and line != base.line:
        return Location(base.file, line)
    return base
