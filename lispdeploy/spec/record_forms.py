"""Clause syntax for records and located calls for procedures.

`(operating-system (host-name "x") (inherit base) ...)` expands, at compile time, into a call
of the record class with keyword arguments and the form's location. Unknown, duplicate and
missing fields are reported here, before any spec code runs, with the clause's position. As
in Guix, a clause may refer to a field given earlier in the same form, by the field's name.

`(plain-file "name" "text")` and the other procedures of a vocabulary expand into calls that
also pass the call's location.
"""

from __future__ import annotations

from typing import Dict, List as TList, Set

import hy
from hy.models import Expression, Integer, Keyword, List, String, Symbol, Tuple

from lispdeploy.records import did_you_mean
from lispdeploy.spec.syntax import call, internal, location_of, python_name, syntax_error


def record_macro(cls, key: str):
    """The macro giving clause syntax to record class `cls`, found as `_ld.records[key]`."""
    def macro(_hy_compiler, *clauses):
        return expand_record(_hy_compiler, cls, key, clauses)
    macro.__doc__ = f"({cls.record_name} (field value) ...): build a {cls.record_name} record."
    return macro


def _field_list(cls) -> str:
    return ", ".join(f.spec_name for f in cls.fields)


def expand_record(compiler, cls, key: str, clauses):
    """Expand a record form into a constructor call (see the module docstring)."""
    form = compiler.this
    name = cls.record_name
    inherit = None
    given = []          # (python keyword, spec name, value model, clause model)
    seen: Dict[str, Expression] = {}
    for clause in clauses:
        if not (isinstance(clause, Expression) and clause and isinstance(clause[0], Symbol)):
            syntax_error(compiler, clause if hasattr(clause, "start_line") else form,
                         f"{name}: expected a (field value) clause, got {_shown(clause)}",
                         hint=f"fields of {name}: {_field_list(cls)}")
        field_name = str(clause[0])
        if field_name == "inherit":
            if len(clause) != 2:
                syntax_error(compiler, clause, f"{name}: (inherit RECORD) takes one record")
            if inherit is not None:
                syntax_error(compiler, clause, f"{name}: duplicate (inherit ...) clause")
            inherit = clause[1]
            continue
        entry = cls._by_spec_name.get(field_name)
        if entry is None and getattr(cls, "any_fields", False):
            # A Guix-System-only configuration: any field, kept as given.
            entry = (None, True)
        if entry is None:
            syntax_error(compiler, clause, f"{name}: unknown field '{field_name}'",
                         hint=did_you_mean(field_name, cls._by_spec_name)
                         or f"fields of {name}: {_field_list(cls)}")
        field, convert = entry
        if field is None:
            from lispdeploy.records import Field
            field = Field(python_name(field_name))
        if field.name in seen:
            first = seen[field.name]
            syntax_error(compiler, clause, f"{name}: duplicate field '{field_name}'",
                         hint=f"it is first given at line {first.start_line}; keep one")
        if len(clause) != 2:
            syntax_error(compiler, clause,
                         f"{name}: field '{field_name}' takes exactly one value, got "
                         f"{len(clause) - 1}",
                         hint="wrap several values in (list ...)" if len(clause) > 2 else None)
        seen[field.name] = clause
        keyword = field.name if convert is None else python_name(field_name)
        given.append((keyword, field_name, clause[1], clause))
    if inherit is None:
        missing = [f.spec_name for f in cls.fields if f.required and f.name not in seen]
        if missing:
            syntax_error(compiler, form,
                         f"{name}: missing field{'s' if len(missing) > 1 else ''} "
                         + ", ".join(f"'{m}'" for m in missing),
                         hint="add " + " ".join(f"({m} ...)" for m in missing))
    field_locations = Tuple([Tuple([String(kw), Integer(c.start_line), Integer(c.start_column)])
                             for kw, _, _, c in given])
    head = [Expression([Symbol("get"), internal("records"), String(key)])]
    extra = [Keyword("location"), location_of(compiler, form),
             Keyword("_field_locations"), field_locations]
    if inherit is not None:
        extra += [Keyword("_inherit"), inherit]

    # Which clauses refer to fields given before them (Guix binds those names).
    earlier: TList[str] = []
    needs_binding = []
    for _, spec_name, value, _ in given:
        used = _symbols(value) & set(earlier)
        needs_binding.append(sorted(used))
        earlier.append(spec_name)
    if not any(needs_binding):
        args = []
        for kw, _, value, _ in given:
            args += [Keyword(kw), value]
        return Expression([*head, *args, *extra])

    temps = {spec_name: hy.gensym(python_name(spec_name)) for _, spec_name, _, _ in given}
    body = []
    for (kw, spec_name, value, _), used in zip(given, needs_binding):
        if used:
            value = Expression([Expression([Symbol("fn"), List([Symbol(u) for u in used]), value]),
                                *[temps[u] for u in used]])
        body.append(Expression([Symbol("setv"), temps[spec_name], value]))
    args = []
    for kw, spec_name, _, _ in given:
        args += [Keyword(kw), temps[spec_name]]
    body.append(Expression([*head, *args, *extra]))
    return Expression([Expression([Symbol("fn"), List([]), *body])])


def _symbols(model) -> Set[str]:
    found: Set[str] = set()
    stack = [model]
    while stack:
        m = stack.pop()
        if isinstance(m, Symbol):
            found.add(str(m))
        elif isinstance(m, (Expression, List, Tuple)) or type(m).__name__ in ("Dict", "Set"):
            stack.extend(m)
    return found


def _shown(model) -> str:
    text = hy.repr(model) if isinstance(model, hy.models.Object) else repr(model)
    text = text.lstrip("'")
    return text if len(text) <= 40 else text[:37] + "..."


def procedure_macro(key: str):
    """The macro that calls vocabulary procedure `key` with the call's location; `#:name`
    keyword arguments are passed as Python keywords (`#:recursive?` -> `recursive`)."""
    def macro(_hy_compiler, *args):
        out = []
        for a in args:
            if isinstance(a, Keyword) and a.name:
                out.append(Keyword(python_name(a.name)))
            else:
                out.append(a)
        return Expression([Expression([Symbol("get"), internal("procedures"), String(key)]),
                           *out, Keyword("location"),
                           location_of(_hy_compiler, _hy_compiler.this)])
    macro.__doc__ = f"({key} ...) with the call's location."
    return macro


def modify_services(_hy_compiler, services, *clauses):
    """`(modify-services SERVICES (TYPE VAR => BODY...) ... (delete TYPE) ...)`."""
    updates = []
    deletions = []
    for clause in clauses:
        if (isinstance(clause, Expression) and len(clause) == 2
                and isinstance(clause[0], Symbol) and str(clause[0]) == "delete"):
            deletions.append(clause[1])
            continue
        if not (isinstance(clause, Expression) and len(clause) >= 4
                and isinstance(clause[1], Symbol) and str(clause[2]) == "=>"):
            syntax_error(_hy_compiler, clause if hasattr(clause, "start_line") else
                         _hy_compiler.this,
                         "modify-services: expected (TYPE VARIABLE => BODY ...) or (delete TYPE)",
                         hint="e.g. (openssh-service-type config => (openssh-configuration "
                              "(inherit config) (port-number 2222)))")
        kind, var, _, *body = clause
        updates.append(Tuple([kind, Expression([Symbol("fn"), List([var]), *body])]))
    return call(internal("modify_services"), services, List(updates), List(deletions),
                location=location_of(_hy_compiler, _hy_compiler.this))


def service(_hy_compiler, *args):
    """`(service TYPE [VALUE])` with the call's location."""
    if len(args) not in (1, 2):
        syntax_error(_hy_compiler, _hy_compiler.this,
                     f"service: expects a type and an optional value, got {len(args)} arguments",
                     hint="write (service TYPE) or (service TYPE VALUE)")
    return call(internal("service"), *args, location=location_of(_hy_compiler,
                                                                  _hy_compiler.this))


MACROS = {
    "modify-services": modify_services,
    "service": service,
}
