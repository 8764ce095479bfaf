"""`apt-service-type`: Debian package repositories (vendor archives) and pins, so that a spec
can install packages from a repository other than the distribution's.

Guix has no counterpart (it has no apt); the records follow apt's own words, from
sources.list(5) (the deb822 format) and apt_preferences(5):

    (service apt-service-type
      (apt-configuration
        (sources (list (apt-source
                         (name "vendor")
                         (uris '("https://apt.vendor.example/debian"))
                         (suites '("bookworm"))
                         (components '("main"))
                         (signed-by (local-file "vendor.asc")))))
        (pins (list (apt-pin (packages '("vendor-agent"))
                             (pin "origin apt.vendor.example")
                             (priority 1001))))))

Each source becomes `/etc/apt/sources.list.d/lispdeploy-NAME.sources`, its key
`/etc/apt/keyrings/lispdeploy-NAME.asc` (an armored key) or `.gpg` (a binary keyring), named
by the source's `Signed-By:` so that the key is trusted for that source only; the pins go to
`/etc/apt/preferences.d/lispdeploy`. Other services add sources and pins by extending the
type with `apt-source` and `apt-pin` records. When these files change, the deploy writes them
and updates apt's package lists before it installs packages, so a package of the new
repository installs in the same deploy; when a generation drops them, they are removed.
"""

from __future__ import annotations

import re
from typing import Any, List, Tuple

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileLike
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds
from lispdeploy.services.core import ServiceExtension, ServiceType, concatenate
from lispdeploy.services.rendering import Rendering
from lispdeploy.services.sinks import EtcFile, GeneratedFile, etc_service_type
from lispdeploy.vocabulary import Vocabulary

SOURCES_DIR = "apt/sources.list.d"
KEYRINGS_DIR = "apt/keyrings"
PREFERENCES_FILE = "apt/preferences.d/lispdeploy"

_OPTION_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_PACKAGE = re.compile(r"^[a-z0-9*?][a-z0-9+.*?:/-]*$")
# Fields apt-source writes itself; extra-options may not repeat them.
_OWN_FIELDS = {"types", "uris", "suites", "components", "architectures", "signed-by",
               "enabled"}


# A source's name becomes a file name under sources.list.d, where apt reads only names of
# these characters.
source_name = kinds.pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}",
                            "a name made of letters, digits and '.-_', such as \"vendor\"",
                            name="apt-source-name")
# The value of a `Pin:` line (apt_preferences(5)), which has no quoting: one line, without
# spaces around it.
pin = kinds.pattern(r"(release|origin|version)( \S(.*\S)?)?",
                    "a pin such as \"origin deb.example.org\", \"release a=SUITE,o=ORIGIN\" or "
                    "\"version 1.2*\"", base=kinds.line, name="apt-pin")


# The words of a deb822 field's value (sources.list(5)): one token each, no '#'.
_uri = kinds.pattern(r"(https?|file|cdrom|mirror\+https?|tor\+https?)://\S*|file:/\S*",
                     "repository URIs such as \"https://deb.example.org/debian\"",
                     name="apt-uri")


def _word(what):
    return kinds.pattern(r"[^\s#]+", what, name="apt-word")


def _options(value):
    if isinstance(value, dict):
        value = list(value.items())
    out = []
    for item in checks.list_of(checks.anything, "(KEY VALUE) pairs")(value):
        if not (isinstance(item, (list, tuple)) and len(item) == 2
                and isinstance(item[0], str) and _OPTION_KEY.match(item[0])
                and isinstance(item[1], str) and item[1].strip()
                and not any(c in item[1] for c in "\n\r")):
            raise TypeError("(KEY VALUE) pairs such as (\"Check-Valid-Until\" \"no\")")
        if item[0].lower() in _OWN_FIELDS:
            raise TypeError(f"(KEY VALUE) pairs of other fields: {item[0]} has its own field")
        out.append((item[0], item[1].strip()))
    return tuple(out)


class AptSource(Record):
    """One repository, as a deb822 stanza of sources.list(5)."""

    record_name = "apt-source"
    fields = (
        Field("name", check=source_name,
              doc="the file name: sources.list.d/lispdeploy-NAME.sources"),
        Field("types", ("deb",), check=checks.list_of(checks.one_of("deb", "deb-src"),
                                                       "\"deb\" or \"deb-src\"")),
        Field("uris", check=checks.list_of(_uri, "repository URIs")),
        Field("suites", check=checks.list_of(_word("suites such as \"bookworm\" or \"./\""),
                                             "suites")),
        Field("components", (), check=checks.list_of(_word("components such as \"main\""),
                                                     "components")),
        Field("architectures", (), check=checks.list_of(_word("architectures such as "
                                                              "\"amd64\""), "architectures")),
        Field("signed_by", None, check=checks.optional(checks.instance_of(
            FileLike, "a file-like object holding the repository's OpenPGP key")),
              doc="the key (armored or binary); #f: the keys apt trusts for every source"),
        Field("enabled", True, check=checks.boolean, spec_name="enabled?"),
        Field("extra_options", (), check=_options,
              doc="more deb822 fields, e.g. ((\"Check-Valid-Until\" \"no\"))"),
    )

    def _validate(self):
        if not self.uris:
            raise ServiceError(f"apt-source '{self.name}': 'uris' needs at least one URI",
                               location=self.location,
                               hint="e.g. (uris '(\"https://deb.example.org/debian\"))")
        if not self.suites:
            raise ServiceError(f"apt-source '{self.name}': 'suites' needs at least one suite",
                               location=self.location, hint="e.g. (suites '(\"bookworm\"))")
        flat = [s for s in self.suites if s.endswith("/")]
        if flat and self.components:
            raise ServiceError(f"apt-source '{self.name}': suite '{flat[0]}' is a path (a flat "
                               "repository), which takes no components",
                               location=self.location, hint="drop (components ...)")
        if not flat and not self.components:
            raise ServiceError(f"apt-source '{self.name}': 'components' needs at least one "
                               "component", location=self.location,
                               hint="e.g. (components '(\"main\"))")


class AptPin(Record):
    """A pin of apt_preferences(5): which packages, from where, at what priority."""

    record_name = "apt-pin"
    fields = (
        Field("packages", check=checks.list_of(_word("package names or patterns such as "
                                                     "\"vendor-*\""), "package names")),
        Field("pin", check=pin, doc="e.g. \"origin deb.example.org\", "
                                              "\"release n=bookworm-backports\", "
                                              "\"version 1.2*\""),
        Field("priority", check=checks.integer),
        Field("explanation", "", check=kinds.prose, doc="one line: an `Explanation:` line"),
    )

    def _validate(self):
        if not self.packages:
            raise ServiceError("apt-pin: 'packages' needs at least one package (or \"*\")",
                               location=self.location)


class AptConfiguration(Record):
    """The repositories and pins of the host's apt."""

    record_name = "apt-configuration"
    fields = (
        Field("sources", (), check=checks.list_of(checks.instance_of(AptSource, ""),
                                                  "apt-source records")),
        Field("pins", (), check=checks.list_of(checks.instance_of(AptPin, ""),
                                               "apt-pin records")),
    )

    def _validate(self):
        seen = {}
        for source in self.sources:
            if source.name in seen:
                raise ServiceError(f"apt-source '{source.name}' is declared twice",
                                   location=source.location or self.location,
                                   hint="give each source its own name")
            seen[source.name] = source


def key_path(source: AptSource) -> str:
    """Where the source's key goes: `.asc` for an armored key, `.gpg` for a binary keyring,
    as the file-like's name says (apt tells them apart by that suffix)."""
    name = getattr(source.signed_by, "name", "") or ""
    suffix = ".asc" if name.endswith(".asc") else ".gpg" if name.endswith(".gpg") else None
    if suffix is None:
        raise ServiceError(f"apt-source '{source.name}': signed-by is named {name!r}; name it "
                           "KEY.asc (an armored key) or KEY.gpg (a binary keyring)",
                           location=source.location,
                           hint="apt reads the key by its suffix, e.g. "
                                "(local-file \"vendor.asc\")")
    return f"{KEYRINGS_DIR}/lispdeploy-{source.name}{suffix}"


def _check_key(source: AptSource, rendering: Rendering) -> None:
    key = rendering.content_of(source.signed_by)
    armored = key.lstrip().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    if key_path(source).endswith(".asc") != armored or not key:
        raise ServiceError(f"apt-source '{source.name}': signed-by is named "
                           f"{source.signed_by.name!r} but holds "
                           + ("an armored key" if armored else "no armored key"),
                           location=source.location,
                           hint="gpg --export --armor KEY-ID > KEY.asc, or gpg --export KEY-ID "
                                "> KEY.gpg")


def sources_text(source: AptSource, rendering: Rendering) -> str:
    """The deb822 text of sources.list.d/lispdeploy-NAME.sources."""
    lines = [f"# Generated by lispdeploy from apt-source '{source.name}'.",
             f"Types: {' '.join(source.types)}", f"URIs: {' '.join(source.uris)}",
             f"Suites: {' '.join(source.suites)}"]
    if source.components:
        lines.append(f"Components: {' '.join(source.components)}")
    if source.architectures:
        lines.append(f"Architectures: {' '.join(source.architectures)}")
    if source.signed_by is not None:
        _check_key(source, rendering)
        lines.append(f"Signed-By: /etc/{key_path(source)}")
    if not source.enabled:
        lines.append("Enabled: no")
    lines += [f"{key}: {value}" for key, value in source.extra_options]
    return "\n".join(lines) + "\n"


def preferences_text(pins) -> str:
    """The text of preferences.d/lispdeploy."""
    stanzas = ["# Generated by lispdeploy from apt-pin records.\n"]
    for pin in pins:
        lines = []
        if pin.explanation:
            lines.append(f"Explanation: {pin.explanation}")
        lines += [f"Package: {' '.join(pin.packages)}", f"Pin: {pin.pin}",
                  f"Pin-Priority: {pin.priority}"]
        stanzas.append("\n".join(lines) + "\n")
    return "\n".join(stanzas)


def _etc_files(config: AptConfiguration) -> Tuple[EtcFile, ...]:
    files: List[Any] = []
    for source in config.sources:
        files.append(EtcFile(
            path=f"{SOURCES_DIR}/lispdeploy-{source.name}.sources",
            location=source.location or config.location,
            file=GeneratedFile(name=f"lispdeploy-{source.name}.sources",
                               location=source.location,
                               generate=lambda rendering, s=source: sources_text(s, rendering))))
        if source.signed_by is not None:
            files.append(EtcFile(path=key_path(source), file=source.signed_by,
                                 location=source.location or config.location))
    if config.pins:
        files.append(EtcFile(path=PREFERENCES_FILE, location=config.location,
                             file=GeneratedFile(name="lispdeploy-preferences",
                                                location=config.location,
                                                generate=lambda _r: preferences_text(
                                                    config.pins))))
    return tuple(files)


def _extend(config: AptConfiguration, extras) -> AptConfiguration:
    sources = [x for x in extras if isinstance(x, AptSource)]
    pins = [x for x in extras if isinstance(x, AptPin)]
    other = [x for x in extras if not isinstance(x, (AptSource, AptPin))]
    if other:
        raise ServiceError("apt-service-type is extended with apt-source and apt-pin records, "
                           f"not {type(other[0]).__name__}", location=config.location)
    if not extras:
        return config
    return config.replace(sources=tuple(config.sources) + tuple(sources),
                          pins=tuple(config.pins) + tuple(pins))


apt_service_type = ServiceType(
    name="apt",
    extensions=(ServiceExtension(target=etc_service_type, compute=_etc_files),),
    compose=concatenate,
    extend=_extend,
    default_value=AptConfiguration(),
    description="Debian package repositories and pins for apt.")


SPEC_VOCABULARY = (Vocabulary(
    records=(AptConfiguration, AptSource, AptPin),
    values={"apt-service-type": apt_service_type},
    modules=(("lispdeploy", "services", "apt"),),
),)
