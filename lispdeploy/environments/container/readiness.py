"""Knowing when a booting container host is ready, without SSH.

nspawn tells the engine when the host's systemd has finished booting (`Notifications`); the
engine then asks systemd inside, through the host's namespaces, whether it is `running` or
`degraded`, and waits for the host's sshd to greet on its address. Every wait is bounded.
"""

from __future__ import annotations

import os
import socket
import struct
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


class Notifications:
    """The sd_notify socket nspawn reports to: its host's init PID, then READY=1 once the
    host's systemd has finished booting (`--notify-ready=yes`), so nobody polls meanwhile.

    The socket is abstract (no file to clean up) and shared with the hosts' network namespace,
    so messages count only when the kernel says they come from the nspawn process itself.
    """

    def __init__(self, name: str):
        self.address = f"lispdeploy-{name}-{os.urandom(6).hex()}"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self._socket.bind("\0" + self.address)

    @property
    def environment(self) -> dict:
        """What to add to nspawn's environment so that it reports here."""
        return {"NOTIFY_SOCKET": "@" + self.address}

    def wait(self, nspawn: ProcessRef, deadline: float) -> tuple:
        """Wait until nspawn says READY=1, ends, or `deadline` passes.

        Returns (ready, PID of the host's init or None).
        """
        leader = None
        while _alive(nspawn) and time.monotonic() < deadline:
            # Bounded waits, so that an nspawn that dies is noticed.
            self._socket.settimeout(max(0.01, min(0.25, deadline - time.monotonic())))
            try:
                data, ancillary, _, _ = self._socket.recvmsg(4096, socket.CMSG_SPACE(_UCRED.size))
            except socket.timeout:
                continue
            sender = next((_UCRED.unpack(d[:_UCRED.size])[0] for level, kind, d in ancillary
                           if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS),
                          None)
            if sender != nspawn.pid:
                continue
            for line in data.decode("utf-8", "replace").splitlines():
                if line.startswith("X_NSPAWN_LEADER_PID="):
                    leader = int(line.split("=", 1)[1])
                elif line == "READY=1":
                    return True, leader
        return False, leader

    def close(self) -> None:
        """Close the socket."""
        self._socket.close()


_UCRED = struct.Struct("3i")


def _alive(process: ProcessRef) -> bool:
    return process is not None and process.alive()
