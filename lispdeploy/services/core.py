"""The service model of Guix (gnu/services.scm): service types, extensions, services, and
`fold-services`, which instantiates missing targets and folds every contribution toward a sink.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple

from lispdeploy import checks
from lispdeploy.errors import LispdeployError, ServiceError, SpecError
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds


class _NoDefault:
    __slots__ = ()

    def __repr__(self):
        return "<no default value>"


NO_DEFAULT = _NoDefault()


class ServiceExtension(Record):
    """How a service type extends another: `(service-extension TARGET COMPUTE)`, where COMPUTE
    maps this service's value to a contribution for TARGET."""

    record_name = "service-extension"
    fields = (
        Field("target", check=lambda v: _service_type_check(v)),
        Field("compute", check=checks.procedure),
    )


def _service_type_check(value):
    if isinstance(value, ServiceType):
        return value
    raise TypeError("a service type such as openssh-service-type")


class ServiceType(Record):
    """A kind of service: what it extends, how extensions to it compose, its default value."""

    record_name = "service-type"
    fields = (
        Field("name", check=kinds.line),
        Field("extensions", (), check=checks.list_of(
            checks.instance_of(ServiceExtension, ""), "(service-extension ...) forms")),
        Field("compose", None, check=checks.optional(checks.procedure)),
        Field("extend", None, check=checks.optional(checks.procedure)),
        Field("default_value", NO_DEFAULT, check=None),
        Field("description", "", check=kinds.prose),
    )

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __repr__(self):
        return f"#<service-type {self.name}>"


class Service(Record):
    """An instance of a service type with its value: `(service TYPE [VALUE])`."""

    record_name = "service"
    fields = (
        Field("kind", check=_service_type_check, spec_name="type"),
        Field("value", None, check=None),
    )

    def __repr__(self):
        return f"#<service {self.kind.name}>"


def service(kind, value: Any = NO_DEFAULT, *, location=None) -> Service:
    """`(service TYPE [VALUE])`: without VALUE, the type's default value; error if it has none."""
    if not isinstance(kind, ServiceType):
        from lispdeploy.records import describe_value
        got = "a procedure" if callable(kind) and not isinstance(kind, type) else \
            describe_value(kind)
        raise SpecError(f"service: expects a service type, got {got}", location=location,
                        hint="the first argument of (service ...) is a type such as "
                             "openssh-service-type")
    if value is NO_DEFAULT:
        if kind.default_value is NO_DEFAULT:
            raise ServiceError(f"no value specified for service of type '{kind.name}'",
                               location=location,
                               hint=f"write (service {kind.name} VALUE); this type has no "
                                    "default value")
        value = kind.default_value
    return Service(kind=kind, value=value, location=location)


def simple_service(name, target, value, *, location=None) -> Service:
    """`(simple-service NAME TARGET VALUE)`: a one-off service that passes VALUE to TARGET."""
    kind = ServiceType(name=str(name), extensions=(
        ServiceExtension(target=target, compute=lambda _value: value),),
        description=f"simple service extending {getattr(target, 'name', target)}",
        location=location)
    return Service(kind=kind, value=value, location=location)


def modify_services(services: Sequence[Service], clauses: Sequence[Tuple[ServiceType, Callable]],
                    deletions: Sequence[ServiceType] = (), *, location=None) -> Tuple[Service, ...]:
    """`(modify-services SERVICES (TYPE VAR => BODY) ... (delete TYPE) ...)`.

    Each clause's procedure maps the old value of the services of TYPE to the new one; a type
    named by a clause but absent from SERVICES is an error, as in Guix.
    """
    services = tuple(services)
    present = {id(s.kind) for s in services}
    for kind in [k for k, _ in clauses] + list(deletions):
        if id(kind) not in present:
            raise ServiceError(f"modify-services: no service of type '{kind.name}' to modify",
                               location=location,
                               hint="the list given to modify-services has no such service")
    deleted = {id(k) for k in deletions}
    result = []
    for s in services:
        if id(s.kind) in deleted:
            continue
        for kind, update in clauses:
            if s.kind is kind:
                s = s.replace(value=update(s.value))
        result.append(s)
    return tuple(result)


def instantiate_missing_services(services: Sequence[Service]) -> List[Service]:
    """Add, to a fixed point, an instance with its default value of every type that some
    service extends but that is missing; a missing target without a default is an error."""
    result = list(services)
    changed = True
    while changed:
        changed = False
        kinds = {id(s.kind) for s in result}
        for s in list(result):
            for ext in s.kind.extensions:
                target = ext.target
                if id(target) in kinds:
                    continue
                if target.default_value is NO_DEFAULT:
                    raise ServiceError(
                        f"service '{s.kind.name}' extends '{target.name}', which is missing and "
                        "has no default value",
                        location=s.location,
                        hint=f"add (service {target.name} VALUE) to the services")
                result.append(Service(kind=target, value=target.default_value,
                                      location=s.location))
                kinds.add(id(target))
                changed = True
    return result


class Folding:
    """The services of one system, folded: each service's final value, and which service
    contributed what to whom. Values are computed on demand, dependents first (Guix's
    fold-services walks the same graph from the sink)."""

    def __init__(self, services: Sequence[Service]):
        self.services: List[Service] = instantiate_missing_services(list(services))
        self._by_kind: Dict[int, List[Service]] = {}
        for s in self.services:
            self._by_kind.setdefault(id(s.kind), []).append(s)
        self._incoming: Dict[int, List[Tuple[Service, ServiceExtension]]] = {}
        for s in self.services:
            for ext in s.kind.extensions:
                targets = self._by_kind.get(id(ext.target), [])
                if len(targets) != 1:
                    where = ", ".join(str(t.location) for t in targets if t.location)
                    raise ServiceError(
                        f"more than one target service of type '{ext.target.name}' "
                        f"(extended by '{s.kind.name}')" + (f": {where}" if where else ""),
                        location=targets[-1].location or s.location,
                        hint=f"keep a single (service {ext.target.name} ...); extend it from "
                             "other services instead of declaring it twice")
                self._incoming.setdefault(id(targets[0]), []).append((s, ext))
        self._values: Dict[int, Any] = {}
        self._contributions: Dict[int, List[Tuple[Service, Any]]] = {}
        self._in_progress: List[Service] = []

    def of_kind(self, kind: ServiceType) -> List[Service]:
        """The services of type `kind` (after missing ones were instantiated)."""
        return list(self._by_kind.get(id(kind), []))

    def only(self, kind: ServiceType) -> Service:
        """The one service of type `kind`; an error if there are none or several."""
        found = self.of_kind(kind)
        if len(found) != 1:
            where = ", ".join(str(s.location) for s in found if s.location)
            raise ServiceError(f"expected exactly one service of type '{kind.name}', "
                               f"found {len(found)}" + (f": {where}" if where else ""),
                               location=found[-1].location if found else None)
        return found[0]

    def value_of(self, s: Service) -> Any:
        """The value of `s` once every extension aimed at it is folded in."""
        if id(s) in self._values:
            return self._values[id(s)]
        if any(p is s for p in self._in_progress):
            cycle = " -> ".join(p.kind.name for p in
                                self._in_progress[self._in_progress.index(s):])
            raise ServiceError(f"service extension cycle: {cycle} -> {s.kind.name}",
                               location=s.location,
                               hint="a service type may not extend, directly or not, a type "
                                    "that extends it")
        self._in_progress.append(s)
        try:
            contributions = [(src, _call(ext.compute, src, f"its extension of '{s.kind.name}'",
                                         self.value_of(src)))
                             for src, ext in self._incoming.get(id(s), [])]
        finally:
            self._in_progress.pop()
        self._contributions[id(s)] = contributions
        value = s.value
        kind = s.kind
        if kind.extend is not None:
            plain = [c for _, c in contributions]
            composed = _compose(kind, s, contributions) if kind.compose else plain
            try:
                value = _call(kind.extend, s, "its extend procedure", value, composed)
            except LispdeployError as failure:
                if failure.location is None:
                    failure.location = _extension_culprit(kind, value, contributions)
                raise
        self._values[id(s)] = value
        return value

    def contributions(self, s: Service) -> List[Tuple[Service, Any]]:
        """(contributing service, contribution) for each extension aimed at `s`."""
        self.value_of(s)
        return list(self._contributions[id(s)])


def _compose(kind: ServiceType, s: Service, contributions) -> Any:
    """The type's compose procedure over the contributions; when it refuses them, the error
    names the service whose contribution it refuses, at that service's location."""
    try:
        return kind.compose([c for _, c in contributions])
    except LispdeployError as failure:
        if failure.location is None:
            failure.location = _culprit(kind, contributions) or s.location
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as failure:
        source = _refusing_source(kind, contributions)
        if source is not None:
            raise ServiceError(
                f"service '{source.kind.name}' gives {s.kind.name}-service-type a value "
                f"it refuses: {_what_failed(failure)}",
                location=source.location or s.location,
                hint=f"see what {s.kind.name}-service-type takes in its documentation"
            ) from None
        return _call(kind.compose, s, "its compose procedure",
                     [c for _, c in contributions])


def _culprit(kind: ServiceType, contributions):
    """The location of the first service whose contribution the type's compose refuses."""
    source = _refusing_source(kind, contributions)
    return source.location if source is not None else None


def _refusing_source(kind: ServiceType, contributions):
    """The first service whose contribution, alone, the type's compose refuses (or None)."""
    for source, contribution in contributions:
        try:
            kind.compose([contribution])
        except KeyboardInterrupt:
            raise
        except BaseException:
            return source
    return None


def _extension_culprit(kind: ServiceType, value, contributions):
    """The location of the first service whose contribution alone the type's extend
    procedure refuses."""
    for source, contribution in contributions:
        try:
            alone = kind.compose([contribution]) if kind.compose else [contribution]
            kind.extend(value, alone)
        except KeyboardInterrupt:
            raise
        except BaseException:
            return source.location
    return None


def _what_failed(e: BaseException) -> str:
    text = str(e)
    return f"{type(e).__name__}: {text}" if text and not isinstance(e, TypeError) else \
        (text or type(e).__name__)


def _call(procedure: Callable, s: Service, what: str, *args: Any) -> Any:
    """Call a service type's procedure; an error in it names the service and its location."""
    try:
        return procedure(*args)
    except LispdeployError:
        raise
    except RecursionError:
        raise ServiceError(f"service '{s.kind.name}': {what} recursed too deeply",
                           location=s.location or s.kind.location,
                           hint=f"see the definition of {s.kind.name}'s service type") from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # SystemExit too: a spec's procedure never ends lispdeploy
        raise ServiceError(f"service '{s.kind.name}': {what} failed: {type(e).__name__}"
                           + (f": {e}" if str(e) else ""),
                           location=s.location or s.kind.location,
                           hint=f"see the definition of {s.kind.name}'s service type"
                           + (f" ({s.kind.location})" if s.kind.location else "")) from e


def fold_services(services: Iterable[Service], target_type: ServiceType) -> Any:
    """Fold every extension toward the one service of `target_type` and return its value.

    Each extension must find exactly one instance of its target; a cycle is an error.
    """
    folding = Folding(list(services))
    return folding.value_of(folding.only(target_type))


def service_check(value):
    """A service record."""
    if isinstance(value, Service):
        return value
    raise TypeError("a service (service TYPE VALUE)")


services_check = checks.list_of(service_check, "services")


def concatenate(lists: Iterable[Iterable[Any]]) -> Tuple[Any, ...]:
    """Compose procedure that appends contributions that are lists."""
    out: List[Any] = []
    for item in lists:
        out.extend(item)
    return tuple(out)
