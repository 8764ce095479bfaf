"""Loading a deployment file: compile it (or take its compiled code from the cache), run it in
a fresh module holding the prelude, and check that its last value is a list of machines.

Every mistake in a spec becomes a `SpecError` located at `file:line:col`, with a hint where
the fix is known: reader errors and bad forms (see spec.compiler), unknown names (shown in Hy
spelling: `%base-servics`), run-time errors inside the spec. Never a Python traceback.
Importing this module does not import Hy; compiling does.
"""

from __future__ import annotations

import os
import sys
import traceback
import types
from typing import Any, Dict, Iterable, List, Optional, Tuple

from lispdeploy.errors import LispdeployError, SpecError
from lispdeploy.location import Location
from lispdeploy.machine import (DeploymentDeclaration, Machine, default_deployment_name,
                                describe_target, machine_targets)
from lispdeploy.records import did_you_mean
from lispdeploy.spec import cache, prelude
from lispdeploy.hostside.scheme import SchemeError

_counter = 0


class Spec:
    """A loaded deployment file: its path and text, its machines, the name of the deployment
    they form, and the module it ran in (for evaluating more expressions in its context)."""

    def __init__(self, path: str, text: str, machines: List[Machine], module: types.ModuleType,
                 operating_system_only: bool = False, deployment: Optional[str] = None):
        self.path = path
        self.text = text
        self.machines = machines
        self.module = module
        # The file's last value was an operating-system (what `guix system` takes): its one
        # machine has no environment, so it can be described and built, not deployed.
        self.operating_system_only = operating_system_only
        # (deployment (name ...) ...) in the spec, else the spec's file name.
        self.deployment = deployment or default_deployment_name(path)


def load_spec(path: str, *, load_path: Iterable[str] = (), use_cache: bool = True) -> Spec:
    """Load the deployment file at `path` and return its machines."""
    load_path = tuple(load_path) + guix_package_path()
    text = _read(path)
    cache_key = cache.key(text, path, load_path) if use_cache else None
    entry = cache.lookup(cache_key) if cache_key else None
    context = prelude.LoadContext(load_path, _load_user_module, _compile_file)
    context.files.append(path)
    if entry is not None:
        body, value_code, last, names = entry
        module = _new_module(path, context, names, with_macros=False)
    else:
        names = prelude.mangled_names()
        module = _new_module(path, context, names, with_macros=True)
        from lispdeploy.spec.compiler import compile_spec
        body, value_code, last = compile_spec(text, path, module)
    value = _execute(body, value_code, path, module)
    where = Location(path, *last)
    deployment = None
    if isinstance(value, DeploymentDeclaration):
        deployment, value = value.name, list(value.machines)
    only_os = _is_operating_system(value)
    machines = [_unplaced_machine(value, where)] if only_os else _machines(value, where)
    if cache_key and entry is None and not context.used_user_modules:
        cache.store(cache_key, body, value_code, last, names)
    return Spec(path, text, machines, module, operating_system_only=only_os,
                deployment=deployment)


def load_expression(text: str, *, load_path: Iterable[str] = ()) -> Spec:
    """`-e EXPR`: the machines (or operating system) an expression evaluates to, as a spec
    read from the current directory."""
    context = prelude.LoadContext(tuple(load_path) + guix_package_path(), _load_user_module,
                                  _compile_file)
    filename = "<expression>"
    context.files.append(filename)
    module = _new_module(os.path.join(os.getcwd(), "expression.scm"), context,
                         prelude.mangled_names(), with_macros=True)
    from lispdeploy.spec.compiler import compile_spec
    body, value_code, last = compile_spec(text, filename, module)
    value = _execute(body, value_code, filename, module)
    where = Location(filename, *last)
    deployment = None
    if isinstance(value, DeploymentDeclaration):
        deployment, value = value.name, list(value.machines)
    only_os = _is_operating_system(value)
    machines = [_unplaced_machine(value, where)] if only_os else _machines(value, where)
    return Spec(os.path.join(os.getcwd(), "expression"), text, machines, module,
                operating_system_only=only_os, deployment=deployment)


def _is_operating_system(value: Any) -> bool:
    return getattr(value, "record_name", None) == "operating-system"


def _unplaced_machine(os_: Any, where: Location) -> Machine:
    """The machine of a file that gives only an operating-system: no environment yet."""
    from lispdeploy.machine import EnvironmentType
    environment = EnvironmentType(
        name="none", description="the file gives an operating-system, not machines: "
        "describe and build work; deploy needs (list (machine ...))")
    return Machine(operating_system=os_, environment=environment, location=where)


def guix_package_path() -> Tuple[str, ...]:
    """The directories of `GUIX_PACKAGE_PATH` (colon-separated), searched after -L's."""
    value = os.environ.get("GUIX_PACKAGE_PATH", "")
    return tuple(d for d in value.split(":") if d)


def evaluate(spec: Spec, text: str, filename: str = "<expression>") -> Any:
    """Evaluate `text` (Hy with Guix syntax) in the context of a loaded spec."""
    module = spec.module
    if "_hy_macros" not in module.__dict__:
        module.__dict__["_hy_macros"] = dict(prelude.tables().macros())
    from lispdeploy.spec.compiler import compile_spec
    body, value_code, _ = compile_spec(text, filename, module)
    return _execute(body, value_code, filename, module)


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise SpecError(f"no such deployment file: {path}") from None
    except IsADirectoryError:
        raise SpecError(f"{path} is a directory, not a deployment file") from None
    except OSError as e:
        raise SpecError(f"cannot read deployment file {path}: {e}") from None
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as some editors write
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError(f"the file is not UTF-8 text: byte 0x{data[e.start]:02x} cannot start "
                        "a character here", location=Location(path, line, column),
                        hint="save the file as UTF-8 (iconv -f LATIN1 -t UTF-8, or your "
                             "editor's encoding setting)") from None


def _new_module(path: str, context, names: Dict[str, str],
                with_macros: bool) -> types.ModuleType:
    global _counter
    _counter += 1
    module = types.ModuleType(f"lispdeploy_spec_{_counter}")
    module.__file__ = os.path.abspath(path)
    module.__dict__.update(prelude.namespace(context, names, with_macros))
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
    from lispdeploy.spec.compiler import compile_spec
    context = internals.context
    module = _new_module(path, context, prelude.mangled_names(), with_macros=True)
    context.loading[path] = module
    try:
        body, value_code, _ = compile_spec(_read(path), path, module)
        _execute(body, value_code, path, module)
    finally:
        del context.loading[path]
    context.finished(module)
    return module


def _compile_file(path: str, module: types.ModuleType):
    """Compile a `load`ed file against `module`: (body code, value code)."""
    from lispdeploy.spec.compiler import compile_spec
    body, value_code, _ = compile_spec(_read(path), path, module)
    return body, value_code


def _execute(body, value_code, filename: str, module: types.ModuleType) -> Any:
    """Run compiled spec code in `module`; translate run-time errors into SpecErrors located
    in the innermost frame of the spec or of a file it loaded."""
    internals = module.__dict__.get(prelude.INTERNALS)
    files = tuple(internals.context.files) if internals is not None else (filename,)
    if filename not in files:
        files = files + (filename,)
    if _uses_hy(body, value_code):
        import hy
        module.__dict__.setdefault("hy", hy)
    try:
        exec(body, module.__dict__)
        return eval(value_code, module.__dict__) if value_code is not None else None
    except LispdeployError as e:
        if e.location is None:
            e.location = _innermost_location(e, files)
        raise
    except NameError as e:
        raise _name_error(e, files, module) from None
    except RecursionError as e:
        raise SpecError(f"the spec recursed too deeply (more than {sys.getrecursionlimit()} "
                        "nested calls)", location=_innermost_location(e, files),
                        hint="a procedure here calls itself without end, or nests too "
                             "deeply; check its base case") from None
    except SystemExit as e:
        raise SpecError(f"the spec called sys.exit({e.code!r})",
                        location=_innermost_location(e, files),
                        hint="a deployment file cannot end lispdeploy; report a problem with "
                             "(error \"message\" ...)") from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # the spec's own code: whatever it raises is its error
        message = str(e) if isinstance(e, SchemeError) else (
            f"{type(e).__name__}: {e}" if str(e) else f"{type(e).__name__} raised")
        raise SpecError(message, location=_innermost_location(e, files)) from None


def _uses_hy(*codes) -> bool:
    stack = [c for c in codes if c is not None]
    while stack:
        code = stack.pop()
        if "hy" in code.co_names:
            return True
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return False


def _machines(value: Any, where: Location) -> List[Machine]:
    hint = ("end the file with a list of machines, (list (machine ...) ...), or with an "
            "(operating-system ...) to describe and build")
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
        second = [m for m in value if m.display_name == duplicates[0]][1]
        raise SpecError(f"two machines have the host name '{duplicates[0]}'",
                        location=second.location or where,
                        hint="each machine's operating-system needs its own host-name")
    seen: Dict[tuple, Machine] = {}
    for machine in value:
        for target in machine_targets(machine):
            first = seen.setdefault(target, machine)
            if first is not machine:
                raise SpecError(
                    f"machines '{first.display_name}'"
                    + (f" ({first.location})" if first.location else "")
                    + f" and '{machine.display_name}' deploy to the same host "
                      f"({describe_target(target)})",
                    location=machine.location or where,
                    hint="each machine needs its own host: two deploys to one host would "
                         "replace each other's system")
    return list(value)


def _name_error(e: NameError, files: Tuple[str, ...], module: types.ModuleType) -> SpecError:
    import hy
    from lispdeploy.spec import guix_namespace
    name = getattr(e, "name", None) or str(e).split("'")[1]
    shown = hy.unmangle(name)
    location = _innermost_location(e, files)
    candidates = [hy.unmangle(k) for k in module.__dict__ if not k.startswith("_")]
    candidates += [hy.unmangle(k) for k in module.__dict__.get("_hy_macros", {})]
    internals = module.__dict__.get(prelude.INTERNALS)
    explained = guix_namespace.explain_name(
        shown, internals.guix_modules if internals is not None else ())
    if explained is not None:
        message, hint = explained
        return SpecError(message, location=location, hint=hint)
    hint = did_you_mean(shown, candidates)
    if hint is None and shown.replace("-", "").isalnum():
        hint = ("if it is a package, write (specification->package \"NAME\") or just "
                "\"NAME\" in the packages list; if it is yours, define it before this line")
    return SpecError(f"unknown name '{shown}'", location=location, hint=hint)


def _innermost_location(e: Optional[BaseException], files: Tuple[str, ...]) -> Optional[Location]:
    """The deepest traceback frame in one of `files`, with its column when Python knows it."""
    if e is None or e.__traceback__ is None:
        return None
    found = None
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename in files:
            # Hy gives Python 1-based columns (its own), so no adjustment.
            column = getattr(frame, "colno", None) or 0
            found = Location(frame.filename, frame.lineno or 0, column)
    return found
