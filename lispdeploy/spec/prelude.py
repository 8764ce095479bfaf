"""The prelude: every name a spec sees before its first line, and every macro it can use.

Names come from the vocabularies of lispdeploy's modules (records, procedures, values such as
`openssh-service-type` or `%base-services`) and from the Scheme idioms. Each record also gets
a predicate `name?` and accessors `name-field`. Spec modules reach lispdeploy's internals
through one name, `_ld` (see `Internals`). Built once per process.

Imports Hy and the spec layer; the vocabularies are imported by name from PROVIDERS.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

import hy

from lispdeploy.errors import SpecError
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.location import Location
from lispdeploy.spec import gexp_form, idioms, modules, record_forms
from lispdeploy.target import scheme
from lispdeploy.spec.syntax import INTERNALS
from lispdeploy.vocabulary import Vocabulary

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
        self.prelude_macros = tables.macros
        self.load_path = tuple(load_path)
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
        if path not in self._modules:
            self._modules[path] = self._loader(path, name, self)
        return self._modules[path]


class _Tables:
    """The prelude, computed once: values, records, procedures, macros, Guix module names."""

    def __init__(self, vocabularies: Iterable[Vocabulary]):
        self.values: Dict[str, Any] = {}
        self.records: Dict[str, type] = {}
        self.procedures: Dict[str, Callable] = {}
        self.guix_modules = set()
        self.macros: Dict[str, Callable] = {}
        spec_names: Dict[str, Any] = dict(scheme.PROCEDURES)
        for macro_table in (idioms.MACROS, record_forms.MACROS, gexp_form.MACROS,
                            modules.MACROS):
            for name, macro in macro_table.items():
                self.macros[hy.mangle(name)] = macro
        for vocabulary in vocabularies:
            self.guix_modules.update(vocabulary.modules)
            for name, value in vocabulary.values.items():
                spec_names[name] = value
            for name, proc in vocabulary.procedures.items():
                self.procedures[name] = proc
                self.macros[hy.mangle(name)] = record_forms.procedure_macro(name)
                spec_names[name] = _without_location(proc)
            for cls in vocabulary.records:
                name = cls.record_name
                self.records[name] = cls
                self.macros[hy.mangle(name)] = record_forms.record_macro(cls, name)
        # Predicates and accessors, unless a name is taken by something more specific.
        for name, cls in self.records.items():
            spec_names.setdefault(f"{name}?", _predicate(cls))
            for field in cls.fields:
                accessor = f"{name}-{field.spec_name}"
                if hy.mangle(accessor) not in self.macros:
                    spec_names.setdefault(accessor, _accessor(field.name))
        self.values = {hy.mangle(k): v for k, v in spec_names.items()}


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


def namespace(load_path: Iterable[str], loader) -> Dict[str, Any]:
    """A fresh module namespace for one spec: prelude values, macros and `_ld`."""
    t = tables()
    ns = dict(t.values)
    ns[INTERNALS] = Internals(t, load_path, loader)
    ns["_hy_macros"] = dict(t.macros)
    return ns
