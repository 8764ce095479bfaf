"""`container-configuration`: a local container host (systemd-nspawn over an overlay of an
image), reachable on its own loopback address."""

from __future__ import annotations

import ipaddress
import re

from lispdeploy import checks
from lispdeploy.environments import deploy_options
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds

# The engine's rule for container names (machinectl's, lower-case).
_name = kinds.pattern(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
                      "a container name: lower-case letters, digits and '-', at most 63")


def _loopback_address(value):
    text = checks.string(value)
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise TypeError("an IPv4 address in 127.0.0.0/8 such as \"127.0.0.11\"") from None
    if not address.is_loopback or text == "127.0.0.1":
        raise TypeError("an address in 127.0.0.0/8 other than 127.0.0.1")
    return text


def _bind(value):
    text = checks.string(value)
    if not text.startswith("/"):
        raise TypeError("a bind mount \"/host/path[:/container/path]\"")
    return text


def _memory(value):
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    text = checks.string(value)
    if not text[:-1].isdigit() or text[-1].upper() not in "KMGT0123456789":
        raise TypeError("a size such as \"512M\"")
    return text


def default_name(host_name: str) -> str:
    """The container name of a machine whose configuration names none: its host name."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", host_name)[:60]
IMAGES = ("debian-12", "debian-13", "machine")


def _image(value):
    text = checks.string(value)
    if text in IMAGES or text.startswith("/") or text.startswith("./") or \
            text.startswith("../"):
        return text
    raise TypeError("\"debian-12\", \"debian-13\", 'machine, or the path of a root file "
                    "system (a directory or a tarball)")


def mapping(bind: str, writable: bool):
    """A bind mount written "/source[:/target]" as (source, target, writable)."""
    source, _, target = bind.partition(":")
    return (source, target or source, writable)


class ContainerConfiguration(Record):
    """Where a container host listens and what it shares with the machine."""

    record_name = "container-configuration"
    fields = (
        Field("image", None, check=checks.optional(_image),
              doc="what the host boots: \"debian-12\" or \"debian-13\" (minimal images, built "
                  "once), 'machine (an overlay of this machine's /), or the path of a root file "
                  "system (directory or tarball; relative to the spec); #f: the minimal image "
                  "of this machine's Debian release"),
        Field("address", None, check=checks.optional(_loopback_address),
              doc="the host's loopback address; #f picks a free one on first deploy"),
        Field("name", None, check=checks.optional(_name),
              doc="the container's name; #f uses the operating system's host name"),
        Field("binds", (), check=checks.list_of(_bind, "bind mounts \"/path[:/path]\""),
              doc="directories of the machine mounted read-write in the host"),
        Field("read_only_binds", (), check=checks.list_of(_bind, "bind mounts"),
              doc="directories of the machine mounted read-only in the host"),
        Field("memory_max", None, check=checks.optional(_memory, "a size such as \"512M\""),
              doc="the most memory the host may use (bytes, or with K, M, G)"),
        *deploy_options.fields(),
    )

    def targets(self, machine):
        """What identifies the container host: its name, and its address (where its sshd
        listens on port 22) when given."""
        out = [("container", self.name or default_name(machine.display_name))]
        if self.address:
            out.append(("ssh", self.address, 22))
        return tuple(out)
