"""The Guix System declarations of an operating system that a Debian host has no use for or
does in its own way, accepted so that Guix users' files load: `channel` records,
`%base-initrd-modules`, `%root-account`, `crypt`, `mapped-device` and the device mappings,
name-service switches, locale definitions, and the kernel and initrd fields. `swap-space` is
applied: `swap_entries(os)` is the manifest's swap section (a swap file made when the host
lacks it, its /etc/fstab line, swapon).

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
from lispdeploy.records import Field, Record
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


class DeviceMapping(Record):
    """A kind of mapped device: luks-device-mapping, raid-device-mapping, lvm-device-mapping."""

    record_name = "mapped-device-kind"
    fields = (Field("name", check=checks.string),
              Field("debian", check=checks.string, doc="what Debian uses for it"))


LUKS = DeviceMapping(name="luks-device-mapping", debian="/etc/crypttab (cryptsetup)")
RAID = DeviceMapping(name="raid-device-mapping", debian="/etc/mdadm/mdadm.conf (mdadm)")
LVM = DeviceMapping(name="lvm-device-mapping", debian="LVM's own activation (lvm2)")


class MappedDevice(Record):
    """`(mapped-device (source (uuid "...")) (target "cryptroot") (type luks-device-mapping))`."""

    record_name = "mapped-device"
    fields = (
        Field("source", check=checks.anything),
        Field("target", None, check=checks.anything, aliases={"targets": lambda v: v}),
        Field("type", check=checks.instance_of(DeviceMapping, "a device mapping such as "
                                                             "luks-device-mapping")),
        Field("arguments", (), check=checks.anything),
    )


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
        if isinstance(device, MappedDevice):
            out.append((device.location, f"mapped-device {device.target}: not applied; on "
                                         f"Debian it is {device.type.debian}, set up when the "
                                         "host is installed"))
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
}

RECORDS = (Channel, SwapSpace, MappedDevice, NameServiceSwitch, NameService, LocaleDefinition)
