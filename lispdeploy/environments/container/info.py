"""`ContainerInfo`: what callers are told about a container host, and its console's tail.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional, Tuple

from lispdeploy.environments.container.addresses import SSH_PORT
from lispdeploy.environments.container.state import DEGRADED, RUNNING, FileSystemMapping

CONSOLE_TAIL_LINES = 25
# Control sequences (colours, cursor moves) and two-character escapes such as ESC M, which
# systemd's animated status lines use.
_SPINNER = re.compile(r"\[[ *]+\] ")
_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[@-Z\\-_])")


@dataclass(frozen=True)
class ContainerInfo:
    """What a caller needs to reach and describe one container host.

    `identity` is the private key the controller logs in with as `user`; `host_key` is the
    host's SSH public key ("ssh-ed25519 AAAA..."), to be checked strictly. `state` is one of
    creating, stopped, starting, running, degraded (then `failed_units` says why); `pid` is
    the nspawn process while the host runs. `image` names what the host is an overlay of
    ("debian-12", "machine", a path) and `lower` is that image's root directory.
    `deployment` is the deployment that created the host (None for hosts made before
    deployments were recorded, or outside any), `spec` the spec it was last deployed from,
    `directory` where its disk and state are. An ephemeral host belongs to the process
    `owner` (its PID): it goes with that process's other leftovers.
    """

    name: str
    host_name: str
    address: str
    identity: str
    host_key: str
    state: str
    pid: Optional[int] = None
    port: int = SSH_PORT
    user: str = "root"
    console_log: str = ""
    failed_units: Tuple[str, ...] = ()
    mappings: Tuple[FileSystemMapping, ...] = ()
    memory_max: Optional[int] = None
    ephemeral: bool = False
    image: str = "machine"
    lower: str = "/"
    deployment: Optional[str] = None
    spec: Optional[str] = None
    directory: str = ""
    owner: Optional[int] = None

    @property
    def running(self) -> bool:
        """Whether the host is booted (running or degraded)."""
        return self.state in (RUNNING, DEGRADED)

    def known_hosts_line(self) -> str:
        """The host's line for an OpenSSH known_hosts file."""
        return f"{self.address} {self.host_key}"


def console_tail(path: str, lines: int = CONSOLE_TAIL_LINES) -> str:
    """The last `lines` lines of a console log, without terminal colour codes."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return "(no console log)"
    # The console is a terminal: lines end in "\r\n", and a status line rewritten in place
    # keeps its last version after the last "\r".
    cleaned = (_ESCAPE.sub("", line).rstrip("\r").split("\r")[-1].rstrip()
               for line in text.split("\n"))
    kept = []
    for line in cleaned:
        # systemd animates a waiting job as a spinner, one line per frame: keep the last frame.
        if kept and _SPINNER.match(line) and _SPINNER.match(kept[-1]):
            kept[-1] = line
        elif line:
            kept.append(line)
    tail = kept[-lines:]
    return "\n".join(tail) or "(empty console log)"
