"""Modules: `use-modules` (and `use-service-modules` ...), `define-module`, `load`,
`add-to-load-path` and `(current-filename)`, with Guile's semantics.

- Any module name Guix or Guile has is accepted (spec.guix_namespace): what lispdeploy
  provides of it is already in every spec's prelude, and a name it lacks is reported where it
  is used, saying where in Guix it comes from.
- The user's own modules are found on the load path (`-L DIR`, `GUIX_PACKAGE_PATH`,
  `add-to-load-path`) as `DIR/a/b.scm`, `.hy` or `.py` for `(a b)`, before Guix's: a `.scm` or
  `.hy` module is read with the spec syntax and prelude and loaded once per spec load. Its
  interface is its `define-module`'s `#:export` list and its `define-public`s (every public
  name, for a module without `define-module`), macros included. `#:select`, `#:prefix`,
  `#:renamer`, `#:hide` shape what an import binds.
- Circular imports work as far as Guile lets them: a module that imports one still loading
  gets its exported procedures, usable once the other has loaded (calling them earlier is an
  error naming both modules).
- `(load "file.scm")` runs a file in the current module, relative to the file that says it,
  and gives its last value.

These take effect while the spec is compiled, as Guile's do at expansion time.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Iterable, List as TList, Optional, Tuple as TTuple

import hy
from hy.models import Expression, Integer, Keyword, List, String, Symbol

from lispdeploy.records import did_you_mean
from lispdeploy.spec import guix_namespace
from lispdeploy.spec.syntax import INTERNALS, call, internal, is_symbol, syntax_error

SUFFIXES = (".scm", ".hy", ".py")


def _module_name(compiler, spec) -> TTuple[str, ...]:
    if isinstance(spec, (Expression, List)) and spec and all(isinstance(p, Symbol) for p in spec):
        return tuple(str(p) for p in spec)
    syntax_error(compiler, spec if hasattr(spec, "start_line") else compiler.this,
                 "use-modules: a module name is a list of names, such as (gnu services ssh)")


def _internals(compiler):
    return compiler.module.__dict__[INTERNALS]


def provided_modules(compiler) -> set:
    """Guix module names lispdeploy provides (from the prelude's vocabularies)."""
    return set(_internals(compiler).guix_modules)


class _Interface:
    """What one import binds: `#:select`, `#:prefix`, `#:renamer`, `#:hide`."""

    def __init__(self):
        self.select: Optional[TList[TTuple[str, str]]] = None
        self.prefix = ""
        self.hide: set = set()

    def binding(self, name: str) -> Optional[str]:
        """The name `name` is bound under, or None if this import leaves it out."""
        if name in self.hide:
            return None
        if self.select is not None:
            for original, local in self.select:
                if original == name:
                    return local
            return None
        return self.prefix + name


def _interface(compiler, options) -> _Interface:
    interface = _Interface()
    rest = list(options)
    while rest:
        key = rest.pop(0)
        if not isinstance(key, Keyword) or not rest:
            syntax_error(compiler, key if hasattr(key, "start_line") else compiler.this,
                         "use-modules: expected ((MODULE) #:select (NAME ...)), #:prefix or "
                         "#:hide options")
        value = rest.pop(0)
        if key.name == "select":
            interface.select = []
            for item in value:
                # (original . local) renames.
                if isinstance(item, (Expression, List)) and len(item) == 3 \
                        and is_symbol(item[1], "."):
                    interface.select.append((str(item[0]), str(item[2])))
                else:
                    interface.select.append((str(item), str(item)))
        elif key.name == "prefix":
            interface.prefix = str(value)
        elif key.name == "renamer":
            # (symbol-prefix-proc 'p): the one renamer Guix configurations write.
            if (isinstance(value, Expression) and len(value) == 2
                    and is_symbol(value[0], "symbol-prefix-proc")):
                quoted = value[1]
                interface.prefix = str(quoted[1] if isinstance(quoted, Expression)
                                       else quoted)
            else:
                syntax_error(compiler, value, "use-modules: #:renamer supports "
                             "(symbol-prefix-proc 'PREFIX)")
        elif key.name == "hide":
            interface.hide = {str(n) for n in value}
        elif key.name == "version":
            continue
        else:
            syntax_error(compiler, key, f"use-modules: unknown option #:{key.name}",
                         hint="options are #:select, #:prefix, #:renamer and #:hide")
    return interface


def use_modules(_hy_compiler, *specs):
    """`(use-modules (gnu) ((my module) #:select (a b)) ...)`; see the module docstring."""
    for spec in specs:
        options = ()
        if isinstance(spec, (Expression, List)) and spec and isinstance(spec[0],
                                                                        (Expression, List)):
            spec, options = spec[0], spec[1:]
        use(_hy_compiler, spec, _module_name(_hy_compiler, spec),
            _interface(_hy_compiler, options))
    return Symbol("None")


def use(compiler, where, name: TTuple[str, ...], interface: _Interface):
    """Import module `name` (written at model `where`) into the module being compiled."""
    internals = _internals(compiler)
    found = find_on_load_path(internals.load_path, name)
    if found is None:
        if guix_namespace.is_guix_module(name) or name in provided_modules(compiler) \
                or name[:2] == ("gnu", "packages"):
            return
        choices = [guix_namespace.show(k) for k in provided_modules(compiler)]
        hint = did_you_mean(guix_namespace.show(name), choices) or did_you_mean(
            guix_namespace.show(name), [guix_namespace.show(k)
                                        for k in guix_namespace.guix_modules()])
        where_text = (", ".join(internals.load_path) if internals.load_path
                      else "no directories: give them with -L DIR or GUIX_PACKAGE_PATH")
        syntax_error(compiler, where, f"unknown module {guix_namespace.show(name)}",
                     hint=hint or f"it is not a Guix module; your own modules are looked up "
                                  f"on the load path ({where_text}) as "
                                  f"{'/'.join(name)}.scm, .hy or .py")
    module = internals.load_module(found, name)
    _bind(compiler, module, name, interface)


def _bind(compiler, module, name, interface: _Interface):
    target = compiler.module.__dict__
    exported = _exports_of(module)
    pending = []
    for key in exported:
        local = interface.binding(hy.unmangle(key))
        if local is None:
            continue
        local_key = hy.mangle(local)
        if key in vars(module):
            target[local_key] = vars(module)[key]
        else:
            pending.append((key, local_key))
    if pending:
        # The module is still loading (a circular import): bind forwarders now, the real
        # values once it has loaded.
        for key, local_key in pending:
            target[local_key] = _Forward(module, key, name)
        module.__dict__[INTERNALS].context.pending_bindings(module, target, pending)
    from lispdeploy.spec.prelude import tables
    prelude_macros = tables().macros()
    macros = getattr(module, "_hy_macros", {})
    target_macros = target.setdefault("_hy_macros", {})
    for key, macro in macros.items():
        if key in prelude_macros and prelude_macros[key] is macro:
            continue
        local = interface.binding(hy.unmangle(key))
        if local is not None:
            target_macros[hy.mangle(local)] = macro
    if interface.select is not None:
        known = {hy.unmangle(k) for k in exported} | {hy.unmangle(k) for k in macros}
        for original, _ in interface.select:
            if original not in known:
                syntax_error(compiler, compiler.this,
                             f"use-modules: {guix_namespace.show(name)} does not export "
                             f"'{original}'",
                             hint=did_you_mean(original, sorted(known)))


def _exports_of(module) -> TList[str]:
    """The mangled names a user module exports."""
    internals = module.__dict__.get(INTERNALS)
    declared = getattr(internals, "exports", None)
    if declared is not None:
        return [hy.mangle(n) for n in declared]
    public = getattr(module, "__all__", None)
    if public is not None:
        return list(public)
    prelude = _prelude_by_key()
    return [k for k, v in vars(module).items() if not k.startswith("_")
            and not (k in prelude and prelude[k] is v)]


_PRELUDE = {}


def _prelude_by_key():
    """The prelude's values by mangled name (to tell a module's own names from them)."""
    if not _PRELUDE:
        from lispdeploy.spec.prelude import tables
        _PRELUDE.update({hy.mangle(k): v for k, v in tables().values.items()})
    return _PRELUDE


class _Forward:
    """A procedure of a module still loading (circular import), found when called."""

    def __init__(self, module, key, name):
        self._module = module
        self._key = key
        self._name = name

    def __call__(self, *args, **kwargs):
        value = vars(self._module).get(self._key)
        if value is None or isinstance(value, _Forward):
            from lispdeploy.errors import SpecError
            raise SpecError(f"'{hy.unmangle(self._key)}' of {guix_namespace.show(self._name)} "
                            "was used before that module finished loading (the two modules "
                            "import each other)",
                            hint="in Guile too, a circular import only works for procedures "
                                 "called after both modules have loaded")
        return value(*args, **kwargs)

    def __repr__(self):
        return f"#<procedure {hy.unmangle(self._key)} (loading)>"


def find_on_load_path(load_path: Iterable[str], name: TTuple[str, ...]) -> Optional[str]:
    """The file of module `name` on the load path, or None."""
    for directory in load_path:
        base = os.path.join(directory, *name)
        for suffix in SUFFIXES:
            if os.path.isfile(base + suffix):
                return base + suffix
    return None


def load_python_module(path: str, module_name: str):
    """Import a Python module of the user's from its file."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def define_module(_hy_compiler, name, *options):
    """`(define-module (my module) #:use-module (gnu) #:export (a b) ...)`."""
    module_name = _module_name(_hy_compiler, name)
    internals = _internals(_hy_compiler)
    internals.module_name = module_name
    exports: TList[str] = list(internals.exports or [])
    uses = []
    rest = list(options)
    while rest:
        key = rest.pop(0)
        if not isinstance(key, Keyword):
            syntax_error(_hy_compiler, key if hasattr(key, "start_line") else _hy_compiler.this,
                         "define-module: expected #:use-module, #:export and the like")
        if key.name in ("pure", "no-backtrace"):
            continue
        if not rest:
            syntax_error(_hy_compiler, key, f"define-module: #:{key.name} needs a value")
        value = rest.pop(0)
        if key.name in ("export", "re-export", "export-syntax", "re-export-syntax", "replace",
                        "re-export-and-replace"):
            for item in value:
                exports.append(str(item[-1]) if isinstance(item, (Expression, List)) else
                               str(item))
        elif key.name == "use-module":
            uses.append(value)
        elif key.name == "autoload":
            uses.append(value)
            if rest and isinstance(rest[0], (Expression, List)):
                rest.pop(0)
        elif key.name in ("declarative?", "version", "duplicates", "filename"):
            continue
        else:
            syntax_error(_hy_compiler, key, f"define-module: unknown option #:{key.name}",
                         hint="options are #:use-module, #:export, #:re-export, #:autoload ...")
    # Exports first: a module importing this one back (circularly) sees them.
    internals.exports = exports
    use_modules(_hy_compiler, *uses)
    return Symbol("None")


def define_public(_hy_compiler, target, *body):
    """`(define-public name value)`: define and export."""
    from lispdeploy.spec.idioms import define
    internals = _internals(_hy_compiler)
    name = target
    while isinstance(name, Expression) and name:
        name = name[0]
    if isinstance(name, Symbol) and internals.exports is not None:
        internals.exports.append(str(name))
    return define(_hy_compiler, target, *body)


def export(_hy_compiler, *names):
    """`(export name ...)`: add to the module's interface."""
    internals = _internals(_hy_compiler)
    if internals.exports is not None:
        internals.exports.extend(str(n) for n in names)
        return Symbol("None")
    return Expression([Symbol("hy-export"), *names])


def current_filename(_hy_compiler):
    """`(current-filename)`: the absolute name of the file this form is in."""
    return String(os.path.abspath(_hy_compiler.filename))


def _with_filename(form, compiler):
    """`form` with each (current-filename) replaced by this file's name (hy.eval compiles
    without one)."""
    if isinstance(form, Expression) and len(form) == 1 and is_symbol(form[0],
                                                                     "current-filename"):
        return current_filename(compiler)
    if isinstance(form, (Expression, List)):
        return type(form)([_with_filename(f, compiler) for f in form]).replace(form)
    return form


def _compile_time_value(compiler, form):
    """The value of `form` evaluated now, in the module being compiled (for forms Guile
    evaluates at expansion time)."""
    try:
        return hy.eval(_with_filename(form, compiler), compiler.module.__dict__,
                       module=compiler.module)
    except Exception as e:
        if hasattr(e, "location"):
            raise
        syntax_error(compiler, form, f"this must be computable while the file is read: "
                     f"{type(e).__name__}: {e}")


def add_to_load_path(_hy_compiler, directory):
    """`(add-to-load-path DIR)`: search DIR (first) for the modules used after this form."""
    value = _compile_time_value(_hy_compiler, directory)
    if not isinstance(value, str):
        syntax_error(_hy_compiler, directory, "add-to-load-path expects a directory name")
    if not os.path.isabs(value):
        value = os.path.join(os.path.dirname(os.path.abspath(_hy_compiler.filename)), value)
    _internals(_hy_compiler).context.add_to_load_path(value)
    return Symbol("None")


def load(_hy_compiler, filename):
    """`(load "file.scm")`: run the file here, in this module; its last value."""
    value = _compile_time_value(_hy_compiler, filename)
    if not isinstance(value, str):
        syntax_error(_hy_compiler, filename, "load expects a file name")
    path = value if os.path.isabs(value) else os.path.join(
        os.path.dirname(os.path.abspath(_hy_compiler.filename)), value)
    if not os.path.isfile(path):
        syntax_error(_hy_compiler, filename, f"load: no such file {path}",
                     hint="a relative name is resolved against the directory of the file that "
                          "loads it")
    index = _internals(_hy_compiler).compile_loaded(path, _hy_compiler.module)
    return call(internal("run_loaded"), Integer(index))


def _module_group(prefix: TTuple[str, ...]):
    def use_group(_hy_compiler, *names):
        for n in names:
            if not isinstance(n, Symbol):
                syntax_error(_hy_compiler, n if hasattr(n, "start_line") else _hy_compiler.this,
                             f"use-{prefix[-1].rstrip('s')}-modules: expects module names such "
                             "as ssh")
            full = prefix + (str(n),)
            if full in provided_modules(_hy_compiler) or guix_namespace.is_guix_module(full):
                continue
            choices = sorted(k[-1] for k in guix_namespace.guix_modules() if k[:-1] == prefix)
            syntax_error(_hy_compiler, n, f"unknown module {guix_namespace.show(full)}",
                         hint=did_you_mean(str(n), choices)
                         or f"Guix has no such module under {guix_namespace.show(prefix)}")
        return Symbol("None")
    return use_group


MACROS = {
    "use-modules": use_modules,
    "use-service-modules": _module_group(("gnu", "services")),
    "use-package-modules": _module_group(("gnu", "packages")),
    "use-system-modules": _module_group(("gnu", "system")),
    "use-machine-modules": _module_group(("gnu", "machine")),
    "define-module": define_module,
    "define-public": define_public,
    "define-public*": define_public,
    "export": export,
    "hy-export": __import__("builtins")._hy_macros["export"],
    "current-filename": current_filename,
    "add-to-load-path": add_to_load_path,
    "load": load,
}

__all__: TList[str] = ["MACROS", "load_python_module", "find_on_load_path"]
