"""Processes named by PID *and* start time, so a recycled PID is never mistaken for ours.

Container hosts outlive the process that started them, and a crashed test run leaves PIDs in
its state files; every signal lispdeploy sends goes to a `ProcessRef` that still matches what
was recorded. Nothing here looks processes up by name.

Standard library only.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from typing import Iterable, Optional

PROC = "/proc"


def _stat_fields(pid: int) -> Optional[list]:
    """The fields of /proc/<pid>/stat after the command name, or None if there is no such PID."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    return data[data.rindex(b")") + 2:].split()


@dataclass(frozen=True)
class ProcessRef:
    """A process as recorded: its PID and its start time (clock ticks after boot)."""

    pid: int
    start_time: int

    @classmethod
    def of(cls, pid: int) -> Optional["ProcessRef"]:
        """The process that has `pid` now, or None if there is none."""
        fields = _stat_fields(pid)
        if fields is None:
            return None
        return cls(pid, int(fields[19]))

    @classmethod
    def current(cls) -> "ProcessRef":
        """This process."""
        ref = cls.of(os.getpid())
        assert ref is not None
        return ref

    @classmethod
    def from_json(cls, data: Optional[dict]) -> Optional["ProcessRef"]:
        """Read a reference written by `to_json`; None stays None."""
        if not data:
            return None
        return cls(int(data["pid"]), int(data["start_time"]))

    def to_json(self) -> dict:
        """The reference as a JSON object."""
        return {"pid": self.pid, "start_time": self.start_time}

    def alive(self) -> bool:
        """Whether this very process still runs (a zombie counts as gone)."""
        fields = _stat_fields(self.pid)
        if fields is None or int(fields[19]) != self.start_time:
            return False
        if fields[0] in (b"Z", b"X"):
            _reap(self.pid)
            return False
        return True

    def signal(self, signum: int) -> bool:
        """Send `signum` if the process is still the recorded one; whether it was sent."""
        if not self.alive():
            return False
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            return False
        return True

    def wait_gone(self, timeout: float, *, interval: float = 0.05) -> bool:
        """Wait at most `timeout` seconds for the process to end; whether it did."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            _reap(self.pid)
            time.sleep(interval)
        return True


def _reap(pid: int) -> None:
    # Only a child of this process can be reaped; for any other PID this is a no-op.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def children(pid: int) -> list:
    """PIDs of the children of `pid`."""
    try:
        with open(f"{PROC}/{pid}/task/{pid}/children") as f:
            return [int(word) for word in f.read().split()]
    except FileNotFoundError:
        return []


def namespace_init(pid: int) -> Optional[ProcessRef]:
    """The child of `pid` that is PID 1 of its own PID namespace (a container's init), if any."""
    for child in children(pid):
        try:
            with open(f"{PROC}/{child}/status") as f:
                status = f.read()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:"):
                ids = line.split()[1:]
                if len(ids) >= 2 and ids[-1] == "1":
                    return ProcessRef.of(child)
    return None


def terminate(processes: Iterable[Optional[ProcessRef]], *, timeout: float) -> bool:
    """SIGKILL the given processes that are still alive and wait for them (bounded).

    Returns whether all of them are gone.
    """
    alive = [p for p in processes if p is not None and p.alive()]
    for process in alive:
        process.signal(signal.SIGKILL)
    return all(p.wait_gone(timeout) for p in alive)
