"""System generations on a host: `profiles/system-<N>-link` points at a system (manifest) item
in the store and `profiles/system` at the current generation's link; switching is one atomic
rename. Also the deploy lock, so that two deploys never activate on one host at once.
Standard library only."""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from typing import Any, Dict, List, Optional

from lispdeploy.hostside.hoststate import ROOT

PROFILES = os.path.join(ROOT, "profiles")
CURRENT = os.path.join(PROFILES, "system")
LOCK_FILE = os.path.join(ROOT, "lock")
_LINK = re.compile(r"^system-(\d+)-link$")


class LockedError(Exception):
    """Another deploy holds the host's lock."""


def link_path(number: int) -> str:
    """The link of generation `number`."""
    return os.path.join(PROFILES, f"system-{number}-link")


def numbers() -> List[int]:
    """The generations present, in order."""
    try:
        names = os.listdir(PROFILES)
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for m in map(_LINK.match, names) if m)


def current() -> Optional[int]:
    """The current generation's number, or None (generation 0: the host as it was)."""
    try:
        m = _LINK.match(os.readlink(CURRENT))
    except OSError:
        return None
    return int(m.group(1)) if m else None


def system_of(number: int) -> str:
    """The system (manifest) store path of a generation."""
    return os.readlink(link_path(number))


def manifest_of(number: Optional[int]) -> Optional[Dict[str, Any]]:
    """The manifest of a generation (None for generation 0)."""
    if number is None:
        return None
    with open(system_of(number), encoding="utf-8") as f:
        return json.load(f)


def _replace_link(target: str, path: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def add(system_path: str) -> int:
    """Create the link of a new generation pointing at `system_path`; return its number."""
    os.makedirs(PROFILES, mode=0o755, exist_ok=True)
    number = (numbers() or [0])[-1] + 1
    _replace_link(system_path, link_path(number))
    return number


def switch(number: Optional[int]) -> None:
    """Make `number` the current generation (None: no generation, the host as it was)."""
    if number is None:
        if os.path.lexists(CURRENT):
            os.unlink(CURRENT)
        return
    _replace_link(os.path.basename(link_path(number)), CURRENT)


def remove(number: int) -> None:
    """Delete a generation's link (never the current one)."""
    if number == current():
        raise ValueError(f"generation {number} is the current one")
    os.unlink(link_path(number))


def describe(number: int) -> Dict[str, Any]:
    """A generation's number, date, system item and provenance, for listings."""
    path = link_path(number)
    info: Dict[str, Any] = {"number": number, "current": number == current(),
                            # The host's local time, with its offset from UTC: hosts and
                            # controllers are often in different zones.
                            "date": time.strftime("%Y-%m-%d %H:%M:%S %z",
                                                  time.localtime(os.lstat(path).st_mtime)),
                            "system": os.readlink(path)}
    try:
        manifest = manifest_of(number)
        info["provenance"] = manifest.get("provenance") or {}
        info["host-name"] = manifest.get("host-name")
    except (OSError, ValueError):
        info["provenance"] = {}
        info["missing"] = True
    return info


class Lock:
    """The host's deploy lock (flock on /var/lib/lispdeploy/lock), naming its holder."""

    def __init__(self, who: str):
        self.who = who
        self.fd: Optional[int] = None

    def __enter__(self):
        os.makedirs(ROOT, mode=0o755, exist_ok=True)
        fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode(errors="replace").strip()
            os.close(fd)
            raise LockedError("another deploy is activating on this host"
                              + (f" ({holder})" if holder else "")) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.who}, pid {os.getpid()}, since "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def holder() -> Optional[str]:
    """Who holds the lock now, or None if nobody does."""
    try:
        fd = os.open(LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    except BlockingIOError:
        return os.read(fd, 4096).decode(errors="replace").strip() or "unknown"
    finally:
        os.close(fd)
