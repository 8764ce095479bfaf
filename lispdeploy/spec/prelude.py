"""The prelude: every name a spec sees before its first line, and every macro it can use.

Names come from the vocabularies of lispdeploy's modules (records, procedures, values such as
`openssh-service-type` or `%base-services`) and from the Scheme idioms. Each record also gets
a predicate `name?` and accessors `name-field`. Spec modules reach lispdeploy's internals
through one name, `_ld` (see `Internals`). Built once per process.

Importing this module does not import Hy: a spec whose compiled code is cached runs without
it. The macro table, which needs Hy, is built by `macros()` when a spec is compiled.
The vocabularies are imported by name from PROVIDERS.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from lispdeploy.errors import SpecError
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.location import Location
from lispdeploy.hostside import scheme
from lispdeploy.vocabulary import Vocabulary

# The name under which spec modules see `Internals` (spec.syntax.INTERNALS, without Hy).
INTERNALS = "_ld"

# Modules that contribute to the spec language (each has SPEC_VOCABULARY).
PROVIDERS = (
    "lispdeploy.system.vocabulary",
    "lispdeploy.services.vocabulary",
    "lispdeploy.gexp.vocabulary",
    "lispdeploy.environments.vocabulary",
)


class LoadContext:
    """What one spec load shares between the spec and the modules and files it loads: the
    load path, the modules loaded (once each), the ones still loading (for circular imports),
    and the code of `load`ed files."""

    def __init__(self, load_path: Iterable[str], loader, compiler_of):
        self.load_path: List[str] = list(load_path)
        self.modules: Dict[str, Any] = {}
        self.loading: Dict[str, Any] = {}
        self.files: List[str] = []
        self.loaded: List[Tuple[Any, Any, Any, str]] = []
        self.used_user_modules = False
        self._loader = loader
        self._compiler_of = compiler_of
        self._pending: Dict[int, List[Tuple[Dict[str, Any], str, str]]] = {}

    def add_to_load_path(self, directory: str) -> None:
        """`add-to-load-path`: search `directory` first."""
        self.used_user_modules = True
        if directory not in self.load_path:
            self.load_path.insert(0, directory)

    def pending_bindings(self, module, target: Dict[str, Any], pairs) -> None:
        """Bind `pairs` (key in module, key in target) once `module` has loaded."""
        self._pending.setdefault(id(module), []).extend((target, k, lk) for k, lk in pairs)

    def finished(self, module) -> None:
        """`module` has loaded: give the modules that imported it circularly its values."""
        for target, key, local_key in self._pending.pop(id(module), []):
            if key in vars(module):
                target[local_key] = vars(module)[key]


class Internals:
    """What expanded spec code calls: bound to `_ld` in every spec module."""

    Location = Location
    Gexp = Gexp

    def __init__(self, tables: "_Tables", context: LoadContext):
        self.records = tables.records
        self.procedures = tables.procedures
        self.guix_modules = tables.guix_modules
        self.context = context
        # Set by define-module: the module's name and interface (None: every public name).
        self.module_name: Optional[Tuple[str, ...]] = None
        self.exports: Optional[List[str]] = None

    @property
    def load_path(self) -> Tuple[str, ...]:
        """The directories searched for the user's modules, first first."""
        return tuple(self.context.load_path)

    @property
    def used_user_modules(self) -> bool:
        """Whether compiling loaded a user module or file (whose names are bound at compile
        time, so the spec's compiled code cannot be cached on its own)."""
        return self.context.used_user_modules

    def service(self, kind, *value, location=None):
        """`(service TYPE [VALUE])`."""
        from lispdeploy.services.core import service
        return service(kind, *value, location=location)

    def modify_services(self, services, updates, deletions, *, location=None):
        """`(modify-services ...)` after expansion."""
        from lispdeploy.services.core import modify_services
        if not isinstance(services, (list, tuple)):
            raise SpecError("modify-services: expects a list of services first, such as "
                            "%base-services", location=location)
        return list(modify_services(services, [tuple(u) for u in updates], deletions,
                                    location=location))

    @staticmethod
    def spec_error(location, message, *irritants):
        """`(error "message" irritant ...)` in a spec."""
        text = str(message) + "".join(f" {scheme._write(i)}" for i in irritants)
        raise SpecError(text, location=location)

    def load_module(self, path: str, name: Tuple[str, ...]):
        """Load a user module from the load path, once per spec load; a module still loading
        (a circular import) is returned as it is."""
        context = self.context
        context.used_user_modules = True
        if path in context.loading:
            return context.loading[path]
        if path not in context.modules:
            context.files.append(path)
            context.modules[path] = context._loader(path, name, self)
        return context.modules[path]

    def compile_loaded(self, path: str, module) -> int:
        """Compile a `load`ed file against `module`; the index `run_loaded` takes."""
        context = self.context
        context.used_user_modules = True
        context.files.append(path)
        body, value = context._compiler_of(path, module)
        context.loaded.append((body, value, module, path))
        return len(context.loaded) - 1

    def run_loaded(self, index: int):
        """Run a `load`ed file's code in its module; its last value."""
        body, value, module, _ = self.context.loaded[index]
        exec(body, module.__dict__)
        return eval(value, module.__dict__) if value is not None else None


class _Tables:
    """The prelude, computed once: values (by spec name), records, procedures, the names that
    are macros, and Guix module names."""

    def __init__(self, vocabularies: Iterable[Vocabulary]):
        self.records: Dict[str, type] = {}
        self.procedures: Dict[str, Callable] = {}
        self.guix_modules = set()
        spec_names: Dict[str, Any] = dict(scheme.PROCEDURES)
        for vocabulary in vocabularies:
            self.guix_modules.update(vocabulary.modules)
            for name, value in vocabulary.values.items():
                spec_names[name] = value
            for name, proc in vocabulary.procedures.items():
                self.procedures[name] = proc
                spec_names[name] = _without_location(proc)
            for cls in vocabulary.records:
                self.records[cls.record_name] = cls
        # Spec names that are macros: records, located procedures, and the idioms' forms.
        self.macro_names = set(self.records) | set(self.procedures)
        # Predicates and accessors, unless a name is taken by something more specific.
        for name, cls in self.records.items():
            spec_names.setdefault(f"{name}?", _predicate(cls))
            for field in cls.fields:
                accessor = f"{name}-{field.spec_name}"
                if accessor not in self.macro_names:
                    spec_names.setdefault(accessor, _accessor(field.name))
        self.values = spec_names
        self._macros: Optional[Dict[str, Callable]] = None

    def macros(self) -> Dict[str, Callable]:
        """The macro table, keyed by mangled name (imports Hy)."""
        if self._macros is None:
            import hy
            from lispdeploy.spec import (gexp_form, idioms, modules, record_forms,
                                         scheme_forms)
            table: Dict[str, Callable] = {}
            for macro_table in (idioms.MACROS, scheme_forms.MACROS, record_forms.MACROS,
                                gexp_form.MACROS, modules.MACROS):
                for name, macro in macro_table.items():
                    table[hy.mangle(name)] = macro
            for name in self.procedures:
                table[hy.mangle(name)] = record_forms.procedure_macro(name)
            for name, cls in self.records.items():
                table[hy.mangle(name)] = record_forms.record_macro(cls, name)
            self._macros = table
        return self._macros


def _without_location(proc: Callable) -> Callable:
    def call(*args, **kwargs):
        return proc(*args, **kwargs)
    call.__name__ = getattr(proc, "__name__", "procedure")
    call.__doc__ = proc.__doc__
    return call


def _predicate(cls):
    return lambda value: isinstance(value, cls)


def _accessor(name: str):
    return lambda record: getattr(record, name)


_tables: Optional[_Tables] = None


def tables() -> _Tables:
    """The prelude tables, built on first use."""
    global _tables
    if _tables is None:
        vocabularies = []
        for provider in PROVIDERS:
            vocabularies.extend(importlib.import_module(provider).SPEC_VOCABULARY)
        _tables = _Tables(vocabularies)
    return _tables


def namespace(context: LoadContext, names: Dict[str, str],
              with_macros: bool) -> Dict[str, Any]:
    """A fresh module namespace for one spec or module: prelude values under their mangled
    `names` (spec name -> Python name), `_ld`, and the macros when it is to be compiled."""
    t = tables()
    ns = {names[k]: v for k, v in t.values.items()}
    ns[INTERNALS] = Internals(t, context)
    if with_macros:
        ns["_hy_macros"] = dict(t.macros())
    return ns


def mangled_names() -> Dict[str, str]:
    """Each prelude name with its Python (mangled) spelling (imports Hy)."""
    import hy
    return {k: hy.mangle(k) for k in tables().values}
