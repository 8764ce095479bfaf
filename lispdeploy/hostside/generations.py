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

from lispdeploy.hostside.contract import (KIND_LOCKED, ContractError, HostSideError, Manifest,
                                          provenance_of_manifest_1)
from lispdeploy.hostside.hoststate import ROOT, secure_root, write_atomically

PROFILES = os.path.join(ROOT, "profiles")
CURRENT = os.path.join(PROFILES, "system")
LOCK_FILE = os.path.join(ROOT, "lock")
_LINK = re.compile(r"^system-(\d+)-link$")


class LockedError(HostSideError):
    """Another deploy holds the host's lock."""

    kind = KIND_LOCKED


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


def read_manifest_json(path: str) -> Dict[str, Any]:
    """The raw JSON of a system item."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_manifest(path: str) -> Manifest:
    """The manifest of a system item (ContractError if this host program cannot read it)."""
    try:
        data = read_manifest_json(path)
    except ValueError as e:
        raise ContractError(f"{path} is not a system item: {e}") from None
    return Manifest.from_json(data, f"the system item {path}")


def manifest_of(number: Optional[int]) -> Optional[Manifest]:
    """The manifest of a generation (None for generation 0)."""
    if number is None:
        return None
    return load_manifest(system_of(number))


def provenance_path(number: int) -> str:
    """Where the provenance records of generation `number` are kept."""
    return os.path.join(PROFILES, f"system-{number}-provenance.json")


def provenance_records(number: int) -> List[Dict[str, Any]]:
    """Every deploy's provenance for generation `number`, oldest first: the one that made it,
    then those of later deploys of the same system from elsewhere (another path, commit)."""
    try:
        with open(provenance_path(number), encoding="utf-8") as f:
            records = json.load(f)
        return records if isinstance(records, list) else []
    except (OSError, ValueError):
        pass
    try:  # a generation made before provenance left the system item
        old = provenance_of_manifest_1(read_manifest_json(system_of(number)))
    except (OSError, ValueError):
        old = None
    return [{"date": None, "provenance": old}] if old else []


def provenance_of(number: Optional[int]) -> Optional[Dict[str, Any]]:
    """The latest provenance of a generation."""
    if number is None:
        return None
    records = provenance_records(number)
    return records[-1]["provenance"] if records else None


def source_map_of(program: str):
    """The `program.SourceMap` the current generation's provenance records for a program
    item (None if it records none)."""
    from lispdeploy.hostside.program import SourceMap
    data = ((provenance_of(current()) or {}).get("locations") or {}).get(program)
    return SourceMap.of(data) if data else None


def record_provenance(number: int, provenance: Optional[Dict[str, Any]]) -> bool:
    """Record a deploy's provenance for generation `number`; whether it differs from the
    latest one recorded (the provenance moved)."""
    if provenance is None:
        return False
    records = provenance_records(number)
    if records and records[-1].get("provenance") == provenance:
        return False
    records.append({"date": time.strftime("%Y-%m-%d %H:%M:%S"), "provenance": provenance})
    write_atomically(provenance_path(number), json.dumps(records, indent=1).encode())
    return bool(records[:-1])


def _replace_link(target: str, path: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def next_number() -> int:
    """The number the next new generation gets."""
    return (numbers() or [0])[-1] + 1


def add(system_path: str, number: Optional[int] = None) -> int:
    """Create the link of a new generation (numbered `number`, or the next number) pointing
    at `system_path`; return its number."""
    os.makedirs(PROFILES, mode=0o700, exist_ok=True)
    number = next_number() if number is None else number
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
    if os.path.lexists(provenance_path(number)):
        os.unlink(provenance_path(number))


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
        manifest = read_manifest_json(info["system"])
        info["host-name"] = manifest.get("host-name")
    except (OSError, ValueError):
        info["missing"] = True
    info["provenance"] = provenance_of(number) or {}
    return info


class Lock:
    """The host's deploy lock (flock on /var/lib/lispdeploy/lock), naming its holder. With
    `wait`, waits that many seconds for it before giving up (recoveries and the confirmation
    watchdog wait; deploys do not)."""

    def __init__(self, who: str, wait: float = 0.0):
        self.who = who
        self.wait = wait
        self.fd: Optional[int] = None

    def __enter__(self):
        secure_root()
        fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                os.lseek(fd, 0, os.SEEK_SET)
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
