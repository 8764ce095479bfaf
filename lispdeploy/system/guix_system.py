"""The Guix System declarations of an operating system that a Debian host has no use for or
does in its own way, accepted so that Guix users' files load: `channel` records,
`%base-initrd-modules`, `%root-account`, `crypt`, name-service switches, locale definitions,
and the kernel and initrd fields. `swap-space` is applied: `swap_entries(os)` is the
manifest's swap section (a swap file made when the host lacks it, its /etc/fstab line,
swapon). So are `mapped-device`s: `mapped_device_entries(os)` is the manifest's
mapped-devices section (a LUKS device's /etc/crypttab line; RAID arrays and LVM volumes,
which Debian assembles itself, verified by the deploy's checks).

`notes(os)` lists, once each, what of these an operating system sets and what becomes of it
on Debian; `describe` and the deploy report show them as warnings. Imports records, checks,
services.guix_system and the system records.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from lispdeploy import checks
from lispdeploy.errors import SpecError
from lispdeploy.location import Location
from lispdeploy.records import Field, Record, describe_value
from lispdeploy.services import kinds
from lispdeploy.services.guix_system import OpenRecord, guix_system_notes
from lispdeploy.system.accounts import UserAccount
from lispdeploy.system.file_systems import FileSystemLabel, Uuid


class Channel(Record):
    """A Guix channel: `(channel (name 'guix) (url "...") (branch "master"))`. A Debian host
    gets no Guix, so channels only describe where the spec's Guix came from."""

    record_name = "channel"
    fields = (
        Field("name", check=checks.string),
        Field("url", check=checks.string),
        Field("branch", "master", check=checks.string),
        Field("commit", None, check=checks.optional(checks.string)),
        Field("introduction", None, check=checks.anything),
    )


_SIZE = re.compile(r"^([0-9]+)\s*([KMGT]?)(i?B)?$", re.IGNORECASE)
_FACTORS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(value):
    """A size in bytes: an integer, or a string such as "2G", "512M", "1GiB"."""
    if isinstance(value, bool):
        raise TypeError("a size such as \"2G\" or a number of bytes")
    if isinstance(value, int):
        number = value
    else:
        match = _SIZE.match(checks.string(value).strip()) if isinstance(value, str) else None
        if match is None:
            raise TypeError("a size such as \"2G\", \"512M\" or a number of bytes")
        number = int(match.group(1)) * _FACTORS[match.group(2).upper()]
    if number < 40960:
        raise TypeError("a size of at least 40 KiB (mkswap's minimum), such as \"2G\"")
    return number


class SwapSpace(Record):
    """Swap: `(swap-space (target "/swapfile"))`, a file or a device (a path, a label or a
    UUID), with its /etc/fstab line. `size` (lispdeploy's, not Guix's) makes the file when
    the host lacks it."""

    record_name = "swap-space"
    fields = (
        Field("target", check=checks.anything, doc="a file, a device path, a label or a UUID"),
        Field("dependencies", (), check=checks.anything),
        Field("priority", None, check=checks.optional(checks.integer, "an integer priority")),
        Field("discard", False, check=checks.boolean, spec_name="discard?"),
        Field("size", None, check=checks.optional(_size),
              doc="lispdeploy: the size of a swap file to make when the host lacks it, e.g. "
                  "\"2G\"; #f: the file must exist"),
    )


# A LUKS device's names and paths are fields of its /etc/crypttab line: one line each, and
# what else each may be is said by MappedDevice._validate (which knows the mapping).
def _key_file(value):
    """A key file's path, one line (anything else is refused by _check_luks, with a hint)."""
    return kinds.line(value) if isinstance(value, str) else value


_key_file.inner = kinds.line  # the kind of its strings, for kinds.kind_of


class DeviceMapping(Record):
    """A kind of mapped device: `luks-device-mapping` (with the key file and discards of
    `luks-device-mapping-with-options`), `raid-device-mapping`, `lvm-device-mapping`."""

    record_name = "mapped-device-kind"
    fields = (Field("name", check=checks.string),
              Field("debian", check=checks.string, doc="what Debian uses for it"),
              Field("key_file", None, check=checks.optional(_key_file),
                    doc="LUKS: a key file on the host; #f: the passphrase is asked at boot"),
              Field("allow_discards", False, check=checks.boolean,
                    spec_name="allow-discards?"))

    @property
    def kind(self) -> str:
        """luks, raid or lvm: the manifest's name of this mapping."""
        return self.name.split("-", 1)[0]


LUKS = DeviceMapping(name="luks-device-mapping", debian="/etc/crypttab (cryptsetup)")
RAID = DeviceMapping(name="raid-device-mapping", debian="/etc/mdadm/mdadm.conf (mdadm)")
LVM = DeviceMapping(name="lvm-device-mapping", debian="LVM's own activation (lvm2)")

# A device-mapper name: /dev/mapper/NAME, a field of /etc/crypttab, a systemd unit's instance.
_MAPPER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,126}$")


def luks_device_mapping_with_options(*, key_file=None, allow_discards=False, location=None):
    """Guix's `(luks-device-mapping-with-options #:key-file "/root/key" #:allow-discards? #t)`:
    the key file (on the host) is the crypttab line's key field, discards its `discard`."""
    return LUKS.replace(key_file=key_file, allow_discards=allow_discards, location=location)


_target_names = checks.list_of(kinds.line, "target names")
_device_paths = checks.list_of(kinds.line, "device paths")


def _targets(value):
    return (kinds.line(value),) if isinstance(value, str) else _target_names(value)


def _sources(value):
    if isinstance(value, (Uuid, FileSystemLabel)):
        return value
    return kinds.line(value) if isinstance(value, str) else _device_paths(value)


_targets.inner = _sources.inner = kinds.line  # the kind of their strings, for kinds.kind_of


class MappedDevice(Record):
    """`(mapped-device (source (uuid "...")) (target "cryptroot") (type luks-device-mapping))`:
    Guix's fields (`target` is the older spelling of a one-element `targets`). On Debian a
    LUKS device is an /etc/crypttab line, opened at boot as /dev/mapper/TARGET; RAID arrays
    and LVM volumes are verified, as file systems are (Debian's mdadm and lvm2 assemble and
    activate them at boot)."""

    record_name = "mapped-device"
    fields = (
        Field("source", check=_sources,
              doc="a device path or (uuid ...); RAID: the member devices; LVM: the volume "
                  "group"),
        Field("targets", check=_targets, aliases={"target": lambda v: (v,)},
              doc="the mapped names (/dev/mapper/NAME); RAID: the array (/dev/md0)"),
        Field("type", check=checks.instance_of(DeviceMapping, "a device mapping such as "
                                                             "luks-device-mapping")),
        Field("arguments", (), check=checks.anything,
              doc="the keyword arguments of the type's open procedure: LUKS's "
                  "'(#:key-file \"/root/home.key\" #:allow-discards? #t)"),
    )

    @property
    def target(self) -> str:
        """Guix's deprecated `mapped-device-target`: the first target."""
        return self.targets[0] if self.targets else ""

    @property
    def options(self) -> Dict[str, Any]:
        """The LUKS options, from `arguments` over the type's own (with-options)."""
        out = {"key-file": self.type.key_file, "allow-discards?": self.type.allow_discards}
        out.update(_arguments(self))
        return out

    @property
    def key_file(self) -> Optional[str]:
        """The key file on the host that opens a LUKS device (None: asked at boot)."""
        return self.options["key-file"] or None

    @property
    def allow_discards(self) -> bool:
        """Whether a LUKS device passes discards (TRIM) through."""
        return self.options["allow-discards?"] is True

    def _validate(self) -> None:
        kind, where = self.type.kind, self.location
        if not self.targets:
            raise SpecError(f"{self.record_name}: no target", location=where,
                            hint="name what it becomes: (target \"home\") for "
                                 "/dev/mapper/home")
        _check_arguments(self)
        if kind == "luks":
            _check_luks(self)
        elif kind == "raid":
            if len(self.targets) != 1 or not self.targets[0].startswith("/dev/"):
                raise SpecError(f"mapped-device {self.targets[0]}: a RAID mapping has one "
                                "target, the array's device", location=where,
                                hint="(target \"/dev/md0\")")
            if not isinstance(self.source, tuple) or not all(
                    s.startswith("/dev/") for s in self.source):
                raise SpecError(f"mapped-device {self.targets[0]}: the source of a RAID mapping "
                                "is the list of its member devices", location=where,
                                hint="(source (list \"/dev/sda1\" \"/dev/sdb1\"))")
        else:
            if not isinstance(self.source, str) or not _MAPPER_NAME.match(self.source):
                raise SpecError(f"mapped-device {self.target}: the source of an LVM mapping is "
                                "the volume group's name", location=where,
                                hint="(source \"vg0\") with (targets (list \"vg0-root\" ...))")
            for target in self.targets:
                if not _MAPPER_NAME.match(target):
                    raise SpecError(f"mapped-device: {target!r} is not a logical volume's "
                                    "device-mapper name", location=where,
                                    hint="VG-LV, as in /dev/mapper/vg0-home")


_LUKS_ARGUMENTS = ("key-file", "allow-discards?")


def _arguments(device: MappedDevice) -> Dict[str, Any]:
    """`arguments`, a list of keywords and values, as a dict (checked in _validate)."""
    items = list(device.arguments)
    return {("allow-discards?" if str(k) == "allow-discards" else str(k)): v
            for k, v in zip(items[::2], items[1::2])}


def _check_arguments(device: MappedDevice) -> None:
    items = device.arguments
    where = device.location
    if not isinstance(items, (list, tuple)) or len(items) % 2:
        raise SpecError(f"mapped-device {device.target}: arguments must be keywords and their "
                        f"values, not {describe_value(items)}", location=where,
                        hint="(arguments '(#:key-file \"/root/home.key\"))")
    if items and device.type.kind != "luks":
        raise SpecError(f"mapped-device {device.target}: a {device.type.name} takes no "
                        "arguments", location=where, hint="drop (arguments ...)")
    for name in items[::2]:
        key = "allow-discards?" if str(name) == "allow-discards" else str(name)
        if not isinstance(name, str) or key not in _LUKS_ARGUMENTS:
            shown = f"#:{name}" if isinstance(name, str) else describe_value(name)
            raise SpecError(f"mapped-device {device.target}: unknown argument {shown} of "
                            "luks-device-mapping", location=where,
                            hint="its arguments are #:key-file and #:allow-discards?")
    value = _arguments(device).get("allow-discards?")
    if value is not None and not isinstance(value, bool):
        raise SpecError(f"mapped-device {device.target}: #:allow-discards? expects #t or #f, "
                        f"not {describe_value(value)}", location=where)


def _check_luks(device: MappedDevice) -> None:
    where = device.location
    if len(device.targets) != 1:
        raise SpecError(f"mapped-device: a LUKS mapping opens one device as one target, not "
                        f"{len(device.targets)}", location=where,
                        hint="one mapped-device for each encrypted device")
    target = device.targets[0]
    if not _MAPPER_NAME.match(target):
        raise SpecError(f"mapped-device: {target!r} is not a name for /dev/mapper",
                        location=where,
                        hint="letters, digits and . _ + - (not starting with one of them), "
                             "e.g. (target \"home\")")
    source = device.source
    if isinstance(source, FileSystemLabel) or isinstance(source, tuple) or (
            isinstance(source, str) and not (source.startswith("/dev/")
                                             and not any(c.isspace() for c in source))):
        raise SpecError(f"mapped-device {target}: the source of a LUKS mapping is a device "
                        f"path or its LUKS UUID, not {describe_value(source)}", location=where,
                        hint="(source \"/dev/sda3\") or (source (uuid \"...\")): "
                             "`cryptsetup luksUUID DEVICE` on the host prints it")
    key = device.key_file
    if key is not None and not (isinstance(key, str) and key.startswith("/")
                                and not kinds.word._test(key)):
        raise SpecError(f"mapped-device {target}: #:key-file must be the absolute path of a file "
                        f"on the host, not {describe_value(key)}", location=where,
                        hint="a key file stays on the host (a store item would be readable "
                             "by everyone there): #:key-file \"/root/home.key\", mode 0400")


def _open(name: str) -> type:
    return type(name.title().replace("-", ""), (OpenRecord,), {"record_name": name})


NameServiceSwitch = _open("name-service-switch")
NameService = _open("name-service")
LocaleDefinition = _open("locale-definition")
ChannelIntroduction = _open("channel-introduction")

ROOT_ACCOUNT = UserAccount(name="root", uid=0, group="root", comment="System administrator",
                           home_directory="/root")


def crypt(key: str, salt: str, *, location=None) -> str:
    """Guile's `(crypt key salt)`: the crypt(3) hash, for a user-account's password."""
    try:
        import crypt as _crypt
    except ImportError:
        raise SpecError("crypt: this Python has no crypt module", location=location,
                        hint="write the hash itself (openssl passwd -6) in the password field")
    result = _crypt.crypt(checks.string(key), checks.string(salt))
    if not result:
        raise SpecError(f"crypt: the salt {salt!r} is not one this system's crypt(3) knows",
                        location=location, hint="use a salt such as \"$6$SALT\"")
    return result


def _make_channel_introduction(commit, signer, *, location=None):
    return ChannelIntroduction(commit=commit, signer=signer, location=location)


def _openpgp_fingerprint(text, *, location=None):
    return str(text)


# The operating-system fields of Guix System's kernel, boot and PAM set-up: accepted, no effect.
IGNORED_FIELDS = (
    ("kernel", "Debian's own kernel stays (install another with packages)"),
    ("kernel_arguments", "Debian's kernel command line stays (/etc/default/grub)"),
    ("kernel_loadable_modules", "Debian's kernel modules stay"),
    ("initrd", "Debian's initramfs-tools builds the initrd"),
    ("initrd_modules", "Debian's initramfs-tools chooses the initrd's modules"),
    ("firmware", "install firmware with Debian's firmware-* packages"),
    ("name_service_switch", "Debian's /etc/nsswitch.conf stays"),
    ("pam_services", "Debian's PAM configuration stays"),
    ("setuid_programs", "Debian's packages install their own setuid programs"),
    ("privileged_programs", "Debian's packages install their own setuid programs"),
    ("skeletons", "new homes get Debian's /etc/skel"),
    ("locale_definitions", "locales are generated from the locale field (locale-gen)"),
)


def notes(os) -> List[Tuple[Optional[Location], str]]:
    """(location, warning) once for each Guix-System-only part `os` sets."""
    out: List[Tuple[Optional[Location], str]] = []
    defaults = {f.name: f.default for f in type(os).fields}
    for name, reason in IGNORED_FIELDS:
        value = getattr(os, name)
        if value is None or value == defaults.get(name) or value == () or value == []:
            continue
        out.append((os.location, f"operating-system field '{name.replace('_', '-')}' has no "
                                 f"effect on Debian: {reason}"))
    for device in os.mapped_devices:
        if isinstance(device, MappedDevice) and device.type.kind == "luks" and \
                device.key_file is None:
            out.append((device.location, f"mapped-device {device.target}: no key file, so the "
                                         "host asks for its passphrase on its console at "
                                         "every boot, and waits until it is given"))
    out.extend(guix_system_notes(os.services))
    return out


def swap_target(target: Any, location) -> str:
    """How /etc/fstab names a swap-space's target: a path, LABEL=x or UUID=x."""
    if isinstance(target, FileSystemLabel):
        return f"LABEL={target.label}"
    if isinstance(target, Uuid):
        return f"UUID={target.string.lower()}"
    if isinstance(target, str) and target.startswith("/") and not any(
            c.isspace() for c in target):
        return target
    raise SpecError(f"swap-space: target {target!r} is not a swap file or device",
                    location=location,
                    hint="give an absolute path (\"/swapfile\", \"/dev/vdb2\"), "
                         "(file-system-label \"swap\") or (uuid \"...\")")


def swap_entries(os) -> List[Dict[str, Any]]:
    """The manifest's swap section: each of `os`'s swap-devices once (Guix's older form, a
    bare device name, is taken too)."""
    out: Dict[str, Dict[str, Any]] = {}
    for swap in os.swap_devices:
        space = swap if isinstance(swap, SwapSpace) else SwapSpace(target=swap,
                                                                   location=os.location)
        target = swap_target(space.target, space.location or os.location)
        if space.size is not None and not target.startswith("/") or \
                space.size is not None and target.startswith("/dev/"):
            raise SpecError(f"swap-space {target}: size is for swap files; a device has its "
                            "own size", location=space.location or os.location,
                            hint="drop (size ...) for a partition")
        out[target] = {"target": target, "size": space.size, "priority": space.priority,
                       "discard": space.discard}
    return list(out.values())


def device_source(source) -> str:
    """How /etc/crypttab (and the manifest) names a mapped device's source."""
    if isinstance(source, Uuid):
        return f"UUID={source.string.lower()}"
    return str(source)


def mapped_device_entries(os) -> List[Dict[str, Any]]:
    """The manifest's mapped-devices section: each of `os`'s mapped devices, checked
    together (a target is mapped once)."""
    out: List[Dict[str, Any]] = []
    seen: Dict[str, Any] = {}
    for device in os.mapped_devices:
        if not isinstance(device, MappedDevice):
            raise SpecError(f"operating-system: mapped-devices holds {describe_value(device)}",
                            location=os.field_location("mapped_devices"),
                            hint="a list of (mapped-device (source ...) (target ...) "
                                 "(type luks-device-mapping))")
        for target in device.targets:
            if target in seen:
                raise SpecError(f"mapped-device {target} is declared twice (first at "
                                f"{seen[target].location})", location=device.location,
                                hint="map each device once")
            seen[target] = device
        kind = device.type.kind
        sources = [device_source(s) for s in device.source] if isinstance(device.source, tuple) \
            else [device_source(device.source)]
        out.append({"kind": kind, "targets": list(device.targets), "sources": sources,
                    "key-file": device.key_file if kind == "luks" else None,
                    "discard": device.allow_discards if kind == "luks" else False})
    return out


def luks_packages(os) -> List[Tuple[str, Any]]:
    """(package, location) the mapped devices need: cryptsetup for LUKS (its tools; the
    crypttab generator is systemd's)."""
    for device in os.mapped_devices:
        if isinstance(device, MappedDevice) and device.type.kind == "luks":
            return [("cryptsetup", device.location)]
    return []


def _mapped_device_target(device, *, location=None):
    if not isinstance(device, MappedDevice):
        raise SpecError(f"mapped-device-target: expects a mapped-device, got "
                        f"{describe_value(device)}", location=location)
    return device.target


VALUES = {
    "%root-account": ROOT_ACCOUNT,
    "%base-initrd-modules": (),
    "%base-firmware": (),
    "%default-kernel-arguments": (),
    "%default-channels": (Channel(name="guix", url="https://git.savannah.gnu.org/git/guix.git"),),
    "%default-nss": NameServiceSwitch(),
    "%mdns-host-lookup-nss": NameServiceSwitch(),
    "%default-locale-definitions": (),
    "%setuid-programs": (),
    "%default-privileged-programs": (),
    "luks-device-mapping": LUKS,
    "raid-device-mapping": RAID,
    "lvm-device-mapping": LVM,
}

PROCEDURES = {
    "crypt": crypt,
    "make-channel-introduction": _make_channel_introduction,
    "openpgp-fingerprint": _openpgp_fingerprint,
    "luks-device-mapping-with-options": luks_device_mapping_with_options,
    "mapped-device-target": _mapped_device_target,
}

RECORDS = (Channel, SwapSpace, MappedDevice, NameServiceSwitch, NameService, LocaleDefinition)
