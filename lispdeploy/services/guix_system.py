"""The parts of a Guix System configuration that a Debian host already has in its own way:
`guix-service-type`, `elogind-service-type`, the base services Debian's systemd provides
(mingetty, agetty, console-font, udev, nscd, urandom-seed, log-cleanup),
... Specs that name them load, and their services do nothing; `describe` and
the deploy report say once, for each one a spec configures, what Debian does instead
(`guix_system_notes`).

Their configuration records take any field (`(guix-configuration (inherit config)
(substitute-urls ...))` inside `modify-services` loads as written). `%base-services` holds the
ones Guix's own `%base-services` has, so that `modify-services` finds them; those are not
reported unless the spec changes them.

A catalogue module that provides one of these for real takes its name over: catalogue
vocabularies come after this one (syslog, log rotation and unattended upgrades are real
services: services.syslog, services.admin). special-files-service-type is a real one
(services.sinks) but for Guix System's own special files, /bin/sh and /usr/bin/env, which stay
Debian's: the notes say so too. Imports records, services.core and services.sinks.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from lispdeploy.location import Location
from lispdeploy.records import Field, Record
from lispdeploy.services.core import Service, ServiceType
from lispdeploy.services.sinks import (DEBIAN_SPECIAL_FILES, special_file_path,
                                       special_files_service_type)
from lispdeploy.vocabulary import Vocabulary


class OpenRecord(Record):
    """A configuration record of a Guix-System-only service: any field is accepted (and kept,
    for `describe`), since none of them has an effect on a Debian host."""

    any_fields = True
    fields = ()

    def __init__(self, *, location=None, _inherit=None, _field_locations=None, **given: Any):
        values: Dict[str, Any] = {}
        if _inherit is not None:
            values.update(getattr(_inherit, "_values", {}))
        values.update(given)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "location", location)
        object.__setattr__(self, "_field_locations", {})

    def field_values(self):
        """The fields given, in order (no declared fields)."""
        for key, value in self._values.items():
            yield Field(key, None), value

    def __getattr__(self, name):
        try:
            return object.__getattribute__(self, "_values")[name]
        except KeyError:
            raise AttributeError(name) from None


def _open_record(name: str) -> type:
    return type(name.replace("-", "_").title().replace("_", ""), (OpenRecord,),
                {"record_name": name, "__doc__": f"Guix's {name}, accepted; no effect on Debian."})


# name, configuration record (or None), what a Debian host does instead, in %base-services.
_PARTS: Tuple[Tuple[str, str, str, bool], ...] = (
    ("guix", "guix-configuration", "a Debian host has no Guix daemon; lispdeploy copies the "
     "system it builds itself, and substitute servers and authorized keys have no use", True),
    ("nscd", "nscd-configuration", "Debian's glibc resolves names without nscd", True),
    ("udev", "udev-configuration", "Debian's systemd-udevd manages devices", True),
    ("mingetty", "mingetty-configuration", "Debian's getty@ units give the text consoles",
     True),
    ("agetty", "agetty-configuration", "Debian's getty@ and serial-getty@ units give the "
     "consoles", False),
    ("console-font", None, "Debian's console-setup sets the console font", True),
    ("virtual-terminal", None, "Debian's kernel and systemd set up the virtual terminals",
     True),
    ("urandom-seed", None, "Debian's systemd-random-seed keeps the entropy seed", True),
    ("log-cleanup", "log-cleanup-configuration", "Debian's journald and logrotate remove old "
     "logs", True),
    ("elogind", "elogind-configuration", "Debian's systemd-logind manages seats and "
     "sessions", False),
    ("dbus-root", "dbus-configuration", "Debian's dbus package runs the system bus", False),
    ("polkit", "polkit-configuration", "Debian's polkitd package, when installed", False),
    ("pam-limits", None, "Debian's /etc/security/limits.conf is kept; write limits with an "
     "etc-file of your own", False),
    ("kernel-module-loader", None, "list modules in /etc/modules-load.d (an etc-file)", False),
    ("file-system", None, "Debian mounts its file systems from /etc/fstab", False),
    ("static-networking", "static-networking", "Debian's network configuration stays; "
     "lispdeploy configures networks with dhcp-client-service-type", False),
    ("provenance", None, "lispdeploy records the provenance of every generation itself",
     False),
    ("cleanup", None, "Debian's systemd-tmpfiles cleans /tmp", False),
)

RECORDS: List[type] = []
SERVICE_TYPES: Dict[str, ServiceType] = {}
REASONS: Dict[int, str] = {}
_record_names = set()
for _name, _record, _reason, _ in _PARTS:
    kind = ServiceType(name=_name, default_value=None,
                       description=f"Accepted from Guix System; no effect: {_reason}.")
    SERVICE_TYPES[f"{_name}-service-type"] = kind
    REASONS[id(kind)] = _reason
    if _record and _record not in _record_names:
        _record_names.add(_record)
        RECORDS.append(_open_record(_record))

BASE_PLACEHOLDERS = tuple(Service(kind=SERVICE_TYPES[f"{n}-service-type"], value=None)
                          for n, _, _, in_base in _PARTS if in_base)


def is_guix_system_only(kind: ServiceType) -> bool:
    """Whether `kind` is one of the accepted-and-ignored service types."""
    return id(kind) in REASONS


def guix_system_notes(services) -> List[Tuple[Location, str]]:
    """(location, warning) once per Guix-System-only service type the spec configures: one
    it adds, or one of %base-services it changes."""
    out: List[Tuple[Location, str]] = []
    seen = set()
    for s in services:
        if s.kind is special_files_service_type:
            note = _debian_special_files_note(s)
            if note and id(s.kind) not in seen:
                seen.add(id(s.kind))
                out.append(note)
            continue
        reason = REASONS.get(id(s.kind))
        if reason is None or id(s.kind) in seen:
            continue
        if s.location is None and s.value is None:
            continue
        seen.add(id(s.kind))
        where = s.location or getattr(s.value, "location", None)
        out.append((where, f"{s.kind.name}-service-type has no effect on Debian: {reason}"))
    return out


def _debian_special_files_note(s: Service) -> Optional[Tuple[Location, str]]:
    paths = []
    for declaration in s.value or ():
        path = special_file_path(declaration)
        if path in DEBIAN_SPECIAL_FILES:
            paths.append(path)
    if not paths:
        return None
    return (s.location or getattr(s.value, "location", None),
            f"special-files-service-type has no effect on Debian for {' and '.join(paths)}: "
            "/bin/sh and /usr/bin/env are Debian's own (dpkg's); they are left as they are")


def _udev_rules_service(name, *args, **kwargs):
    """`(udev-rules-service 'name package)`: accepted, no effect."""
    return Service(kind=SERVICE_TYPES["udev-service-type"], value=("rules", str(name)),
                   location=kwargs.get("location"))


SPEC_VOCABULARY = (Vocabulary(
    records=RECORDS,
    values={**SERVICE_TYPES,
            "udev-rules-service": _udev_rules_service,
            "%default-console-font": "LatGrkCyr-8x16",
            "%default-substitute-urls": ["https://bordeaux.guix.gnu.org",
                                         "https://ci.guix.gnu.org"],
            "%default-authorized-guix-keys": [],
            "%guix-system-placeholders": BASE_PLACEHOLDERS},
),)
