"""Records: what a spec declares, with Guix's `define-record-type*` semantics.

A record class lists its `Field`s. Instances are immutable and keyword-only; a field without a
default is required; a *thunked* field's value is computed from the record on each access (so
`inherit` recomputes it for the new record); an *innate* field (the location) is not copied by
`inherit`; a field's *check* converts and validates the value a user gave. Each field has a
Python name (`allow_downgrades`) and a spec name in Guix spelling (`allow-downgrades?`).
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from lispdeploy.errors import RecordError
from lispdeploy.location import Location


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class Thunk:
    """A field value computed from the record it belongs to, on each access."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[Any], Any]):
        self.compute = compute


class Field:
    """One field of a record type.

    default: a value, a `Thunk` (computed from the record), or MISSING for a required field.
    check: a callable turning the user's value into the stored one, raising `TypeError` with a
        description of what was expected (see `checks`).
    spec_name: the Guix spelling; defaults to the Python name with `_` as `-`.
    aliases: older spellings, mapped to a converter of the value (`target` → `targets`).
    """

    __slots__ = ("name", "default", "check", "spec_name", "aliases", "innate", "doc")

    def __init__(self, name: str, default: Any = MISSING, *, check: Optional[Callable] = None,
                 spec_name: Optional[str] = None,
                 aliases: Optional[Dict[str, Callable[[Any], Any]]] = None,
                 innate: bool = False, doc: str = ""):
        self.name = name
        self.default = default
        self.check = check
        self.spec_name = spec_name or name.replace("_", "-")
        self.aliases = dict(aliases or {})
        self.innate = innate
        self.doc = doc

    @property
    def required(self) -> bool:
        """Whether a record of this type cannot be built without this field."""
        return self.default is MISSING


def did_you_mean(word: str, choices: Iterable[str]) -> Optional[str]:
    """A hint naming the choice closest to a misspelt `word`, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class Record:
    """Base of every declared thing. Subclasses set `record_name` and `fields`."""

    __slots__ = ("_values", "location", "_field_locations")
    record_name: str = "record"
    fields: Tuple[Field, ...] = ()
    # Filled by __init_subclass__: field lookup by Python name and by spec name or alias.
    _by_name: Dict[str, Field] = {}
    _by_spec_name: Dict[str, Tuple[Field, Optional[Callable]]] = {}
    # Also by __init_subclass__ (records are made by the thousand: a spec of 500 machines).
    _required: Tuple[Field, ...] = ()
    _defaults: Tuple[Tuple[str, Any, bool, bool], ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._by_name = {f.name: f for f in cls.fields}
        cls._required = tuple(f for f in cls.fields if f.required)
        cls._defaults = tuple((f.name, f.default, f.innate, f.default.__class__ is Thunk)
                              for f in cls.fields if f.default is not MISSING)
        cls._by_spec_name = {}
        for f in cls.fields:
            cls._by_spec_name[f.spec_name] = (f, None)
            # `allow-downgrades?` may also be written `allow-downgrades`.
            if f.spec_name.endswith("?"):
                cls._by_spec_name.setdefault(f.spec_name[:-1], (f, None))
            for alias, convert in f.aliases.items():
                cls._by_spec_name[alias] = (f, convert)
        for f in cls.fields:
            setattr(cls, f.name, _FieldGetter(f))

    def __init__(self, *, location: Optional[Location] = None, _inherit: Optional["Record"] = None,
                 _field_locations: Optional[Dict[str, Location]] = None, **given: Any):
        cls = type(self)
        values: Dict[str, Any] = {}
        thunked = False  # whether some value is a Thunk (most records have none)
        if _inherit is not None:
            if not isinstance(_inherit, cls):
                raise RecordError(
                    f"{cls.record_name}: cannot inherit from {describe_value(_inherit)}",
                    location=location, hint=f"(inherit X) needs X to be a {cls.record_name}")
            values.update(_inherit._values)
            thunked = _inherit._values is not _inherit.__dict__
        for key, value in given.items():
            field = cls._by_name.get(key)
            convert = None
            if field is None:
                field, convert = cls._by_spec_name.get(key.replace("_", "-"), (None, None))
            if field is None:
                raise RecordError(f"{cls.record_name}: unknown field '{key.replace('_', '-')}'",
                                  location=_field_location(_field_locations, key, location),
                                  hint=did_you_mean(key.replace("_", "-"), cls._by_spec_name))
            if convert is not None:
                value = convert(value)
            check = field.check
            if value.__class__ is Thunk:
                thunked = True
            elif check is not None:
                try:
                    value = check(value)
                except TypeError as e:
                    raise _field_error(cls, field, value, e, _field_location(
                        _field_locations, key, location)) from None
            values[field.name] = value
        missing = [f.spec_name for f in cls._required if f.name not in values]
        if missing:
            raise RecordError(
                f"{cls.record_name}: missing field{'s' if len(missing) > 1 else ''} "
                + ", ".join(f"'{m}'" for m in missing),
                location=location,
                hint="add " + " ".join(f"({m} ...)" for m in missing))
        for name, default, innate, is_thunk in cls._defaults:
            if name not in values or (innate and name not in given):
                values[name] = default
                thunked = thunked or is_thunk
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "location", location)
        # Stored values are also the instance's dict, where attribute lookup finds them before
        # the (non-data) field descriptor: reading a field is then as fast as reading any
        # attribute. Thunked fields stay out of it and are computed on each access.
        if thunked:
            object.__setattr__(self, "__dict__", {name: value for name, value in values.items()
                                                  if value.__class__ is not Thunk})
        else:
            object.__setattr__(self, "__dict__", values)
        # As given (read only when asked: see field_location); an inherited record's own go
        # before those of the record it inherits from.
        if _inherit is not None and _inherit._field_locations:
            _field_locations = _InheritedLocations(_field_locations, _inherit)
        object.__setattr__(self, "_field_locations", _field_locations)
        self._validate()

    def field_location(self, name: str) -> Optional[Location]:
        """Where the spec gives field `name` (its Python name), else where the record is."""
        return _given_location(self._field_locations, name, self.location) or self.location

    def _validate(self) -> None:
        """Cross-field checks of a record type; raise RecordError. None by default."""

    def __setattr__(self, name, value):
        raise AttributeError(f"{self.record_name} records are immutable; use (inherit ...)")

    def replace(self, *, location: Optional[Location] = None, **changes: Any) -> "Record":
        """A copy with some fields changed: Guix's `(record (inherit x) (field value) ...)`."""
        return type(self)(_inherit=self, location=location or self.location, **changes)

    def field_values(self) -> Iterable[Tuple[Field, Any]]:
        """Each field with its (computed) value, in declaration order."""
        for f in self.fields:
            yield f, getattr(self, f.name)

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(a == b for (_, a), (_, b) in zip(self.field_values(), other.field_values()))

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.location))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.spec_name}={v!r}" for f, v in self.field_values())
        return f"#<{self.record_name} {shown}>"


class _InheritedLocations:
    """The field locations of a record made with (inherit X): its own, then X's."""

    __slots__ = ("own", "parent")

    def __init__(self, own, parent: "Record"):
        self.own = own
        self.parent = parent


def _given_location(field_locations, key: str,
                    location: Optional[Location]) -> Optional[Location]:
    """Where the spec wrote field `key`, or None. Field locations come as a dict, or (by the
    spec macros, cheaply) as a tuple of (python-name, line, column) in the file of the
    record's `location`, turned into a Location only when asked (an error, a check)."""
    if not field_locations:
        return None
    if field_locations.__class__ is _InheritedLocations:
        parent = field_locations.parent
        return (_given_location(field_locations.own, key, location)
                or _given_location(parent._field_locations, key, parent.location))
    if isinstance(field_locations, dict):
        return field_locations.get(key)
    file = location.file if location is not None else "<spec>"
    for name, line, column in field_locations:
        if name == key:
            return Location(file, line, column)
    return None


def _field_location(field_locations, key: str,
                    location: Optional[Location]) -> Optional[Location]:
    """Where field `key` was written (for its error), else the record's location."""
    return _given_location(field_locations, key, location) or location


class _FieldGetter:
    """A record field's attribute. A non-data descriptor: a stored value in the instance's
    dict shadows it; it computes thunked fields (on each access)."""

    def __init__(self, field: Field):
        self.field = field
        self.__doc__ = field.doc or None

    def __get__(self, record, owner=None):
        if record is None:
            return self
        field = self.field
        value = record._values[field.name]
        if value.__class__ is Thunk:  # (Thunk has no subclasses) faster than isinstance
            value = value.compute(record)
            if field.check is not None:
                value = _checked(type(record), field, value, record.location)
        return value


def _checked(cls, field: Field, value: Any, location: Optional[Location]) -> Any:
    if field.check is None or isinstance(value, Thunk):
        return value
    try:
        return field.check(value)
    except TypeError as e:
        raise _field_error(cls, field, value, e, location) from None


def _field_error(cls, field: Field, value: Any, error: TypeError,
                 location: Optional[Location]) -> RecordError:
    return RecordError(f"{cls.record_name}: field '{field.spec_name}' expects {error}, "
                       f"got {describe_value(value)}", location=location,
                       hint=getattr(error, "hint", None))


def describe_value(value: Any) -> str:
    """A short description of a value for error messages: its kind and a glimpse of it."""
    if isinstance(value, Record):
        return f"a {value.record_name} record"
    if value is None:
        return "nothing (#f or None)"
    if isinstance(value, bool):
        return "#t" if value else "#f"
    kind = {int: "integer", float: "number", str: "string", list: "list", tuple: "list",
            dict: "dictionary", bytes: "bytes"}.get(type(value))
    if kind is None and getattr(type(value), "scheme_kind", None):
        # A Scheme symbol or pair from lispdeploy.hostside.scheme: shown as written.
        return f"{type(value).scheme_kind} {value!r}"
    if kind is None:
        for base, name in ((str, "string"), (int, "integer"), (list, "list"), (tuple, "list")):
            if isinstance(value, base):
                kind = name
                break
    if kind is None:
        kind = getattr(value, "record_name", None) or type(value).__name__
        return f"a {kind}" if kind[0] not in "aeiou" else f"an {kind}"
    text = repr(value) if not isinstance(value, (list, tuple)) else repr(list(value))
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"
