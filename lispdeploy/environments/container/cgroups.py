"""Control groups of container hosts: one of their own per host, and memory limits.

Every host's processes must live in a cgroup of their own. nspawn puts the host's systemd in a
`payload` cgroup below nspawn's own cgroup; when nspawn runs with `--register=no --keep-unit`
(no systemd runs this machine), that is the caller's cgroup, so without this module every
host would share one `payload` cgroup, and their systemds would remove each other's unit
cgroups during boot (units then fail with status 219/CGROUP). So the nspawn process starts in
a new cgroup, below the caller's, in each hierarchy systemd uses: the cgroup v2 one, the v1
`name=systemd` one on hybrid machines, and the v1 memory controller when a limit is asked for.

Memory limits use the v1 memory controller: `--property=MemoryMax=` would need nspawn to
register a scope with a systemd running this machine, and is ignored otherwise. A machine
without the v1 memory controller gets a clear error when a limit is asked for.
"""

from __future__ import annotations

import os
import re
import time
from typing import Iterable, Optional, Union

from lispdeploy.errors import EnvironmentError_

MOUNTINFO = "/proc/self/mountinfo"
MEMORY_ROOT = "/sys/fs/cgroup/memory"
_SIZE = re.compile(r"\s*(\d+)\s*([KMGT]?)i?B?\s*\Z", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# Below this a Debian userland cannot even boot.
MINIMUM_MEMORY = 32 << 20

# Run as `python3 -I -S -c ENTER <count> <cgroup.procs files...> <program> <args...>`: join the
# cgroups, then become the program with the same PID, so that nothing it starts escapes them.
ENTER = ("import os, sys\n"
         "count = int(sys.argv[1])\n"
         "for procs in sys.argv[2:2 + count]:\n"
         "    with open(procs, 'w') as f:\n"
         "        f.write('0')\n"
         "os.execv(sys.argv[2 + count], sys.argv[2 + count:])\n")


def parse_size(value: Union[int, str, None]) -> Optional[int]:
    """Bytes from an int or a string such as "512M" or "2G" (powers of 1024); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise EnvironmentError_(f"memory limit {value!r} is not a size")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise EnvironmentError_(f"memory limit {value!r} is not a size",
                                    hint='write a number of bytes or e.g. "512M", "2G"')
        size = int(match.group(1)) * _UNITS[match.group(2).upper()]
    if size < MINIMUM_MEMORY:
        raise EnvironmentError_(f"memory limit {value!r} is too small for a host to boot",
                                hint="give a container host at least 32M, better 256M or more")
    return size


def check_memory_supported() -> None:
    """Raise unless memory limits can be applied on this machine."""
    if not os.path.exists(os.path.join(MEMORY_ROOT, "memory.limit_in_bytes")):
        raise EnvironmentError_(
            "memory limits for container hosts need the cgroup v1 memory controller, which this "
            f"machine does not have mounted at {MEMORY_ROOT}",
            hint="leave out the memory limit")


def _hierarchies(memory: bool) -> list:
    """(mount point, this process's cgroup in it) for each hierarchy a host needs."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            own[controllers] = path
    found = []
    with open(MOUNTINFO) as f:
        for line in f:
            fields = line.split()
            separator = fields.index("-")
            mount_point, fs_type = fields[4], fields[separator + 1]
            options = fields[separator + 3].split(",")
            if fs_type == "cgroup2":
                found.append((mount_point, own.get("", "/")))
            elif fs_type == "cgroup" and "name=systemd" in options:
                found.append((mount_point, own.get("name=systemd", "/")))
            elif fs_type == "cgroup" and "memory" in options and memory:
                key = next((k for k in own if "memory" in k.split(",")), None)
                found.append((mount_point, own.get(key, "/")))
    return found


def create(name: str, memory_max: Optional[int] = None) -> tuple:
    """Create the cgroups of container `name` (memory limited to `memory_max` bytes).

    Returns their paths; a process joins them by writing "0" to each one's cgroup.procs.
    """
    if memory_max is not None:
        check_memory_supported()
    paths = []
    try:
        for mount_point, own in _hierarchies(memory_max is not None):
            path = os.path.join(mount_point, own.lstrip("/"), f"lispdeploy-{name}")
            os.makedirs(path, exist_ok=True)
            paths.append(path)
            if memory_max is not None and os.path.exists(
                    os.path.join(path, "memory.limit_in_bytes")):
                with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
                    f.write(str(memory_max))
    except OSError as error:
        remove(paths)
        raise EnvironmentError_(f"cannot set up the cgroups of container {name}: {error}") \
            from None
    return tuple(paths)


def enter_command(paths: Iterable[str], python: str) -> list:
    """The argv prefix that runs a program inside the cgroups at `paths`."""
    paths = list(paths)
    return [python, "-I", "-S", "-c", ENTER, str(len(paths)),
            *(os.path.join(p, "cgroup.procs") for p in paths)]


def remove(paths: Iterable[str], *, timeout: float = 5.0) -> None:
    """Remove these cgroups and the ones the host's systemd and nspawn made below them."""
    deadline = time.monotonic() + timeout
    for path in paths:
        while os.path.isdir(path):
            try:
                for directory in sorted((d for d, _, _ in os.walk(path)), key=len, reverse=True):
                    os.rmdir(directory)
            except OSError as error:
                # The last processes may still be exiting, which keeps a cgroup busy briefly.
                if time.monotonic() >= deadline:
                    raise EnvironmentError_(f"cannot remove cgroup {path}: {error}") from None
                time.sleep(0.1)
