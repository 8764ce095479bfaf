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
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

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


class Internals:
    """What expanded spec code calls: bound to `_ld` in every spec module."""

    Location = Location
    Gexp = Gexp

    def __init__(self, tables: "_Tables", load_path: Iterable[str], loader):
        self.records = tables.records
        self.procedures = tables.procedures
        self.guix_modules = tables.guix_modules
        self.load_path = tuple(load_path)
        # Set when compiling loads a user module: its names are bound at compile time, so
        # such a spec's compiled code cannot be cached on its own.
        self.used_user_modules = False
        self._loader = loader
        self._modules: Dict[str, Any] = {}

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
        """Load a user module from the load path once per spec load."""
        self.used_user_modules = True
        if path not in self._modules:
            self._modules[path] = self._loader(path, name, self)
        return self._modules[path]


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
            from lispdeploy.spec import gexp_form, idioms, modules, record_forms
            table: Dict[str, Callable] = {}
            for macro_table in (idioms.MACROS, record_forms.MACROS, gexp_form.MACROS,
                                modules.MACROS):
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


def namespace(load_path: Iterable[str], loader, names: Dict[str, str],
              with_macros: bool) -> Dict[str, Any]:
    """A fresh module namespace for one spec: prelude values under their mangled `names`
    (spec name -> Python name), `_ld`, and the macros when the spec is to be compiled."""
    t = tables()
    ns = {names[k]: v for k, v in t.values.items()}
    ns[INTERNALS] = Internals(t, load_path, loader)
    if with_macros:
        ns["_hy_macros"] = dict(t.macros())
    return ns


def mangled_names() -> Dict[str, str]:
    """Each prelude name with its Python (mangled) spelling (imports Hy)."""
    import hy
    return {k: hy.mangle(k) for k in tables().values}
