"""Asking a booting container host how far it got, without SSH: through its namespaces.

The engine polls these until systemd inside says `running` (or `degraded`) and the host's sshd
greets on its address. Every call is bounded in time. Imports the sibling `processes` and
`addresses` only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

from lispdeploy.environments.container.addresses import SSH_PORT
from lispdeploy.environments.container.processes import ProcessRef

TOOL_ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                    "SYSTEMD_COLORS": "0"}


def in_host(leader: ProcessRef, argv: list, *, timeout: float = 10.0) -> str:
    """Run `argv` as root in all namespaces of the host whose init is `leader`; its stdout.

    A command that fails, or does not end within `timeout` seconds, gives "".
    """
    try:
        result = subprocess.run(["nsenter", f"--target={leader.pid}", "--all", *argv],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout, env=TOOL_ENVIRONMENT)
    except subprocess.TimeoutExpired:
        return ""
    return result.stdout


def system_state(leader: ProcessRef) -> str:
    """What `systemctl is-system-running` says in the host ("" if it cannot say)."""
    return in_host(leader, ["systemctl", "is-system-running"]).strip()


def failed_units(leader: ProcessRef) -> tuple:
    """The names of the host's failed units."""
    out = in_host(leader, ["systemctl", "list-units", "--failed", "--plain", "--no-legend",
                           "--no-pager"])
    return tuple(line.split()[0] for line in out.splitlines() if line.split())


def root_is(process: ProcessRef, directory: os.stat_result) -> bool:
    """Whether `process` has `directory` as its root (nspawn has switched it into the host)."""
    try:
        root = os.stat(f"/proc/{process.pid}/root")
    except OSError:
        return False
    return (root.st_dev, root.st_ino) == (directory.st_dev, directory.st_ino)


def ssh_answers(address: str, deadline: float) -> bool:
    """Whether an SSH server greets on `address`:22 before `deadline` (bounded attempts)."""
    while True:
        remaining = deadline - time.monotonic()
        try:
            with socket.create_connection((address, SSH_PORT),
                                          timeout=max(0.2, min(2.0, remaining))) as connection:
                if connection.recv(64).startswith(b"SSH-"):
                    return True
        except OSError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
