"""`use-modules` and friends: Guix module names a spec may import, and the user's own modules
found on the load path (`-L DIR`).

Guix's modules need no loading: everything they export is already in every spec's prelude, so
naming them only checks that lispdeploy provides them. A module that is not Guix's is looked
up on the load path as `DIR/a/b.hy` or `DIR/a/b.py` for `(a b)`, loaded once (a `.hy` module
with the same prelude and syntax as specs), and its public names and macros become visible
to the rest of the spec.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Iterable, List as TList, Tuple as TTuple

from hy.models import Expression, List, Symbol

from lispdeploy.records import did_you_mean
from lispdeploy.spec.syntax import syntax_error

# Guix modules whose names a spec may use beyond those the vocabularies declare.
_ALWAYS_KNOWN = {
    ("gnu",), ("guix",), ("gnu", "machine"), ("gnu", "services"), ("gnu", "system"),
    ("gnu", "bootloader"), ("gnu", "bootloader", "grub"), ("gnu", "system", "accounts"),
    ("gnu", "system", "shadow"), ("gnu", "system", "file-systems"),
    ("gnu", "system", "keyboard"), ("gnu", "system", "uuid"), ("guix", "gexp"),
    ("guix", "records"), ("guix", "utils"), ("guix", "packages"), ("srfi", "srfi-1"),
    ("srfi", "srfi-26"), ("gnu", "services", "base"), ("gnu", "services", "shepherd"),
}


def _module_name(compiler, spec) -> TTuple[str, ...]:
    if isinstance(spec, (Expression, List)) and spec and all(isinstance(p, Symbol) for p in spec):
        return tuple(str(p) for p in spec)
    syntax_error(compiler, spec if hasattr(spec, "start_line") else compiler.this,
                 "use-modules: a module name is a list of names, such as (gnu services ssh)")


def _show(name: Iterable[str]) -> str:
    return "(" + " ".join(name) + ")"


def known_modules(compiler) -> set:
    """Guix module names this lispdeploy provides (from the prelude's vocabularies)."""
    return _ALWAYS_KNOWN | compiler.module.__dict__["_ld"].guix_modules


def use_modules(_hy_compiler, *specs):
    """`(use-modules (gnu) (my services) ...)`; see the module docstring."""
    for spec in specs:
        # `((my module) #:select (a b))` imports only some names.
        selected = None
        if (isinstance(spec, Expression) and spec and isinstance(spec[0], Expression)):
            selected = _selection(_hy_compiler, spec)
            spec = spec[0]
        _use(_hy_compiler, spec, _module_name(_hy_compiler, spec), selected)
    return Symbol("None")


def _selection(compiler, spec):
    names = None
    rest = list(spec[1:])
    while rest:
        key = rest.pop(0)
        if getattr(key, "name", None) == "select" and rest:
            names = [str(n) for n in rest.pop(0)]
    return names


def _use(compiler, spec, name: TTuple[str, ...], selected):
    known = known_modules(compiler)
    if name in known or (len(name) >= 3 and name[:2] == ("gnu", "packages")):
        return
    internals = compiler.module.__dict__["_ld"]
    found = _find_on_load_path(internals.load_path, name)
    if found is None:
        choices = [_show(k) for k in known]
        hint = did_you_mean(_show(name), choices)
        where = (", ".join(internals.load_path) if internals.load_path
                 else "no directories: give them with -L DIR")
        syntax_error(compiler, spec, f"unknown module {_show(name)}",
                     hint=hint or f"your own modules are looked up on the load path ({where}) "
                                   f"as {'/'.join(name)}.hy or .py")
    module = internals.load_module(found, name)
    target = compiler.module.__dict__
    public = getattr(module, "__all__", None) or [k for k in vars(module) if not k.startswith("_")]
    if selected is not None:
        from hy import mangle
        public = [mangle(n) for n in selected]
    for key in public:
        if key in vars(module):
            target[key] = vars(module)[key]
    from lispdeploy.spec.prelude import tables
    prelude_macros = tables().macros()
    macros = getattr(module, "_hy_macros", {})
    target.setdefault("_hy_macros", {}).update(
        {k: v for k, v in macros.items() if k not in prelude_macros})


def _find_on_load_path(load_path: Iterable[str], name: TTuple[str, ...]):
    for directory in load_path:
        base = os.path.join(directory, *name)
        for suffix in (".hy", ".py"):
            if os.path.isfile(base + suffix):
                return base + suffix
    return None


def load_python_module(path: str, module_name: str):
    """Import a Python module of the user's from its file."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module_group(prefix: TTuple[str, ...]):
    def use_group(_hy_compiler, *names):
        for n in names:
            if not isinstance(n, Symbol):
                syntax_error(_hy_compiler, n if hasattr(n, "start_line") else _hy_compiler.this,
                             f"use-{prefix[-1].rstrip('s')}-modules: expects module names such "
                             "as ssh")
            full = prefix + (str(n),)
            if prefix == ("gnu", "packages"):
                continue
            known = known_modules(_hy_compiler)
            if full not in known:
                choices = sorted(k[-1] for k in known if k[:-1] == prefix)
                hint = did_you_mean(str(n), choices)
                syntax_error(_hy_compiler, n, f"unknown module {_show(full)}",
                             hint=hint or f"lispdeploy provides: {', '.join(choices)}")
        return Symbol("None")
    return use_group


MACROS = {
    "use-modules": use_modules,
    "use-service-modules": _module_group(("gnu", "services")),
    "use-package-modules": _module_group(("gnu", "packages")),
    "use-system-modules": _module_group(("gnu", "system")),
    "use-machine-modules": _module_group(("gnu", "machine")),
}

__all__: TList[str] = ["MACROS", "load_python_module"]
