"""`machine-ssh-configuration`: how to reach a managed host over SSH (gnu/machine/ssh.scm).

Imports records, checks and errors only.
"""

from __future__ import annotations

import ipaddress
import os

from lispdeploy import checks
from lispdeploy.errors import RecordError
from lispdeploy.records import Field, Record, did_you_mean
from lispdeploy.services import kinds

SYSTEMS = ("x86_64-linux", "i686-linux", "aarch64-linux", "armhf-linux", "powerpc64le-linux",
           "riscv64-linux", "mips64el-linux", "powerpc-linux", "i586-gnu", "x86_64-gnu")

# What `uname -m` says on a host of each system type.
MACHINE_ARCHITECTURES = {
    "x86_64-linux": ("x86_64",), "i686-linux": ("i686", "i586", "i386"),
    "aarch64-linux": ("aarch64", "arm64"), "armhf-linux": ("armv7l", "armv8l", "armv6l"),
    "powerpc64le-linux": ("ppc64le",), "riscv64-linux": ("riscv64",),
    "mips64el-linux": ("mips64",), "powerpc-linux": ("ppc",),
}


def normal_host(name: str) -> str:
    """A host name or address as one spelling: lower case, no final dot, addresses in their
    canonical form ("::0001" is "::1", "localhost" is 127.0.0.1)."""
    text = name.strip().lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text == "localhost":
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _system(value):
    name = checks.string(value)
    if name not in SYSTEMS:
        hint = did_you_mean(name, SYSTEMS)
        raise TypeError(f"a known system type ({', '.join(SYSTEMS[:4])}, ...)"
                        + (f"; {hint}" if hint else ""))
    return name


class MachineSshConfiguration(Record):
    """How to reach and authenticate to a host: `(machine-ssh-configuration (host-name ...)
    (system ...) ...)`. A `user` other than root runs privileged steps through `sudo -n`."""

    record_name = "machine-ssh-configuration"
    fields = (
        Field("host_name", check=kinds.word),
        Field("system", check=_system),
        Field("build_locally", True, check=checks.boolean, spec_name="build-locally?"),
        Field("authorize", True, check=checks.boolean, spec_name="authorize?"),
        Field("allow_downgrades", False, check=checks.boolean, spec_name="allow-downgrades?"),
        Field("safety_checks", True, check=checks.boolean, spec_name="safety-checks?"),
        Field("port", 22, check=checks.port_number),
        Field("user", "root", check=kinds.account_name),
        Field("identity", None, check=checks.optional(kinds.line, "a private key file")),
        Field("host_key", None, check=checks.optional(kinds.line,
                                                      "an OpenSSH public key line")),
    )

    def _validate(self):
        if self.host_key is not None and len(self.host_key.split()) < 2:
            raise RecordError(
                "machine-ssh-configuration: host-key must be an OpenSSH public key line such as "
                "\"ssh-ed25519 AAAAC3... root@host\"", location=self.location,
                hint="copy it from the host's /etc/ssh/ssh_host_ed25519_key.pub")

    def targets(self, machine=None):
        """What identifies the host this configuration reaches: its address and port."""
        return (("ssh", normal_host(self.host_name), self.port),)

    @property
    def identity_path(self):
        """The identity with `~` expanded, or None for the agent and default keys."""
        return os.path.expanduser(self.identity) if self.identity else None
