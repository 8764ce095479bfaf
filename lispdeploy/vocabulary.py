"""Vocabularies: the names a module contributes to the spec language.

A module that defines spec-visible things (records, service types, helper procedures)
exposes `SPEC_VOCABULARY = Vocabulary(...)`; the spec layer gathers them into the prelude of
every spec. Names are in Guix spelling (`openssh-service-type`, `%base-services`).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional, Tuple


class Vocabulary:
    """What one module adds to the spec language.

    records: record classes; each gets clause syntax `(name (field value) ...)`, a predicate
        `name?` and accessors `name-field`.
    procedures: spec name -> callable taking a keyword-only `location`; a call in a spec passes
        the call's location (e.g. `local-file` resolves names against the spec's directory).
    values: spec name -> value (service types, `%base-services`, plain procedures).
    modules: the Guix module names this vocabulary stands for, e.g. ("gnu", "services", "ssh").
    """

    def __init__(self, *, records: Iterable[type] = (),
                 procedures: Optional[Dict[str, Callable]] = None,
                 values: Optional[Dict[str, Any]] = None,
                 modules: Iterable[Tuple[str, ...]] = ()):
        self.records = tuple(records)
        self.procedures = dict(procedures or {})
        self.values = dict(values or {})
        self.modules = tuple(tuple(m) for m in modules)
