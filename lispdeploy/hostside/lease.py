"""Who is changing the host: the deploy lease, held from the start of a deploy's activation
until its new generation is confirmed (or, unconfirmed, until the host went back by itself).

A deploy's activation round trip takes the lease lock (flock on /var/lib/lispdeploy/lease.lock,
naming its holder) for the whole activation, and, when the new generation awaits its
confirmation, writes the lease (lease.json: the holder, and until when) before letting the
lock go: so between two round trips of one deploy the host stays its. The probe says who
holds either; another deploy's activation, switch, roll-back or garbage collection is refused
with the holder's name, unless it carries the lease's own id (the deploy that holds it:
going back after a failed health check, confirming). The lease ends with the confirmation, or
by itself at its deadline (the watchdog has then switched the host back). Standard library
only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from typing import Any, Dict, Iterator, Optional

from lispdeploy.hostside.contract import KIND_LOCKED, HostSideError
from lispdeploy.hostside.hoststate import ROOT, write_atomically

LOCK_FILE = os.path.join(ROOT, "lease.lock")
LEASE_FILE = os.path.join(ROOT, "lease.json")


class HeldError(HostSideError):
    """Another deploy is changing the host; the message names it."""

    kind = KIND_LOCKED


def describe(holder: Dict[str, Any]) -> str:
    """A holder as a person reads it: who, since when, from which spec, until when."""
    text = str(holder.get("who") or "another lispdeploy command")
    since = holder.get("since")
    if since:
        text += " since " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
    if holder.get("spec"):
        text += f" (spec {holder['spec']})"
    until = holder.get("until")
    if until:
        text += (", until its new generation is confirmed, at the latest "
                 + time.strftime("%H:%M:%S", time.localtime(until)))
    return text


def _lease() -> Optional[Dict[str, Any]]:
    """The written lease while it runs, else None."""
    try:
        with open(LEASE_FILE, encoding="utf-8") as f:
            lease = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(lease, dict) or float(lease.get("until") or 0) <= time.time():
        return None
    return lease


def holder() -> Optional[str]:
    """Who is changing the host now (an activation under way, or a lease that runs), or
    None."""
    try:
        fd = os.open(LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        fd = None
    if fd is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            return _read_holder(fd) + ", activating now"
        finally:
            os.close(fd)
    lease = _lease()
    return describe(lease) if lease is not None else None


def _read_holder(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    data = os.read(fd, 4096).decode("utf-8", "replace").strip()
    try:
        return describe(json.loads(data))
    except ValueError:
        return data or "another lispdeploy command"


@contextlib.contextmanager
def changing(holder_: Dict[str, Any]) -> Iterator[None]:
    """Hold the lease lock while the host is changed by `holder_` ({"id", "who", "spec"});
    refuse if another deploy holds the lock or a lease that runs (HeldError)."""
    os.makedirs(ROOT, mode=0o755, exist_ok=True)
    fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HeldError("another deploy is changing this host: " + _read_holder(fd)
                            + ", activating now") from None
        lease = _lease()
        if lease is not None and lease.get("id") != holder_.get("id"):
            raise HeldError("another deploy is changing this host: " + describe(lease))
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(dict(holder_, since=time.time(), pid=os.getpid())).encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor lets the flock go


def hold(holder_: Dict[str, Any], until: float) -> None:
    """Write the lease: `holder_` keeps the host until `until` (an epoch time), unless it
    releases it first. Called under `changing`."""
    write_atomically(LEASE_FILE, json.dumps(dict(holder_, since=holder_.get("since")
                                                 or time.time(), until=until)).encode(), 0o600)


def release(lease_id: Optional[str]) -> None:
    """End the lease of `lease_id` (another's stays)."""
    lease = _lease()
    if lease is not None and lease.get("id") == lease_id:
        end()


def end_of(generation: int) -> None:
    """End the lease held for `generation`'s confirmation (undone, superseded, or gone back
    unconfirmed: the deploy that held the host for it is over); another's stays."""
    lease = _lease()
    if lease is not None and lease.get("generation") in (None, generation):
        end()


def end() -> None:
    """End the lease, whoever holds it (the confirmation watchdog, once it has switched the
    host back: the deploy that held the lease never confirmed)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(LEASE_FILE)
