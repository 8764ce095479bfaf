"""`machine-ssh-configuration`: how to reach a managed host over SSH (gnu/machine/ssh.scm)."""

from __future__ import annotations

import ipaddress
import os

from lispdeploy import checks
from lispdeploy.environments import deploy_options
from lispdeploy.errors import RecordError
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds


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


class MachineSshConfiguration(Record):
    """How to reach and authenticate to a host: `(machine-ssh-configuration (host-name ...)
    (system ...) ...)`. A `user` other than root runs privileged steps through `sudo -n`."""

    record_name = "machine-ssh-configuration"
    fields = (
        Field("host_name", check=kinds.word),
        *deploy_options.fields(system=deploy_options.REQUIRED_SYSTEM),
        Field("build_locally", True, check=checks.boolean, spec_name="build-locally?",
              doc="no effect: systems are always built on the controller"),
        Field("authorize", True, check=checks.boolean, spec_name="authorize?",
              doc="no effect: hosts check every item against its hash, no signing key"),
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
    def guix_notes(self):
        """What Guix's fields mean here, when the spec asks for something else than what
        lispdeploy always does."""
        notes = []
        if not self.build_locally:
            notes.append("build-locally? #f has no effect: lispdeploy builds every system on "
                         "the controller (a Debian host has no Guix to build with) and sends "
                         "only what the host lacks")
        return notes

    @property
    def identity_path(self):
        """The identity with `~` expanded, or None for the agent and default keys."""
        return os.path.expanduser(self.identity) if self.identity else None
