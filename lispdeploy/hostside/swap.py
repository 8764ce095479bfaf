"""Swap on a host: the facts of declared swap targets and the executors of the planner's swap
changes. A swap file the host lacks is made (mode 0600 from its creation, its blocks
allocated, `mkswap`), then `swapon`; its /etc/fstab line (written by the files step) keeps
it on across reboots. Dropping a swap area turns it off and deletes the file only if
lispdeploy made it, so generation 0 is the host as it was. A swap area already on the host
(a file holding one, a partition) is used as it is: lispdeploy never runs mkswap over what it
did not make. Standard library only.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Any, Dict, Iterable, Set

from lispdeploy.hostside.commands import run
from lispdeploy.hostside.contract import HostSideError, SwapFact

PROC_SWAPS = "/proc/swaps"
# Where swap area signatures are: the last 10 bytes of the first page.
_SIGNATURES = (b"SWAPSPACE2", b"SWAP-SPACE")
_CHUNK = 1 << 20


class SwapError(HostSideError):
    """A declared swap area cannot be made or turned on."""


def device_path(target: str) -> str:
    """The file or device a target names: a path, LABEL=x or UUID=x."""
    if target.startswith("LABEL="):
        return "/dev/disk/by-label/" + target[len("LABEL="):]
    if target.startswith("UUID="):
        return "/dev/disk/by-uuid/" + target[len("UUID="):].lower()
    return target


def _unescape(field: str) -> str:
    # /proc/swaps writes spaces and the like as octal escapes (\040).
    return field.encode().decode("unicode_escape") if "\\" in field else field


def active_swaps(proc_swaps: str = PROC_SWAPS) -> Set[str]:
    """The files and devices swapped on now (resolved paths)."""
    try:
        with open(proc_swaps, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return set()
    return {os.path.realpath(_unescape(line.split()[0])) for line in lines if line.split()}


def holds_swap_area(path: str) -> bool:
    """Whether the file at `path` starts with a swap area (mkswap's signature)."""
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return False
    for page in (4096, 8192, 16384, 65536):
        if head[page - 10:page] in _SIGNATURES:
            return True
    return False


def swap_facts(targets: Iterable[str], proc_swaps: str = PROC_SWAPS) -> Dict[str, SwapFact]:
    """Each target's fact, from one read of /proc/swaps."""
    targets = list(targets)
    active = active_swaps(proc_swaps) if targets else set()
    out = {}
    for target in targets:
        path = device_path(target)
        real = os.path.realpath(path)
        try:
            st = os.stat(path)
        except OSError:
            out[target] = SwapFact("absent", False, real)
            continue
        if stat.S_ISBLK(st.st_mode):
            kind = "device"
        elif stat.S_ISREG(st.st_mode):
            kind = "swap" if holds_swap_area(path) else "file"
        else:
            kind = "other"
        out[target] = SwapFact(kind, real in active, real)
    return out


def make_file(path: str, size: int) -> None:
    """A new swap file of `size` bytes: mode 0600 from the start (a swap file readable by
    others leaks memory), every block allocated (swapon refuses files with holes), then
    mkswap."""
    directory = os.path.dirname(path) or "/"
    if not os.path.isdir(directory):
        raise SwapError(f"swap file {path}: directory {directory} does not exist")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise SwapError(f"swap file {path}: no space left for {size} bytes") from None
            # File systems without fallocate: write the zeros.
            zeros = bytes(_CHUNK)
            left = size
            while left > 0:
                left -= os.write(fd, zeros[:min(left, _CHUNK)])
        os.fsync(fd)
    finally:
        os.close(fd)
    run(["mkswap", path])


def add(args: Dict[str, Any], context) -> None:
    """Make the swap file if lispdeploy is to (and did not finish making it), then swapon."""
    target = args["target"]
    path = device_path(target)
    record = context.state.data.setdefault("swaps", {}).get(target)
    if args.get("create") and (not os.path.exists(path) or
                               (record or {}).get("created") and not holds_swap_area(path)):
        # Recorded first: a crash while making it leaves a file lispdeploy knows it owns.
        context.state.record("swaps", target, {"created": True})
        make_file(path, int(args["size"]))
    elif record is None:
        context.state.record("swaps", target, {"created": False})
    if not os.path.exists(path):
        raise SwapError(f"swap {target}: {path} does not exist")
    if os.path.realpath(path) in active_swaps():
        return
    if stat.S_ISREG(os.stat(path).st_mode):
        os.chmod(path, 0o600)
    argv = ["swapon"]
    if args.get("priority") is not None:
        argv += ["--priority", str(args["priority"])]
    if args.get("discard"):
        argv.append("--discard")
    run(argv + [path])


def remove(args: Dict[str, Any], context) -> None:
    """Swap off, and delete the file if lispdeploy made it."""
    target = args["target"]
    path = device_path(target)
    record = context.state.data.setdefault("swaps", {}).get(target) or {}
    if os.path.realpath(path) in active_swaps():
        run(["swapoff", path])
    if record.get("created") and os.path.isfile(path):
        os.unlink(path)
    context.state.record("swaps", target, None)


EXECUTORS = {
    ("swap", "add"): add,
    ("swap", "remove"): remove,
}
