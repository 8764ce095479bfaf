"""Memory limits of container hosts, through the cgroup v1 memory controller.

`systemd-nspawn --property=MemoryMax=` only works when nspawn registers a scope with a
systemd that runs this machine; lispdeploy runs nspawn with `--register=no --keep-unit` so
that it works without one, and nspawn then ignores `--property`. Instead the nspawn process
starts inside a memory cgroup of its own, below the creating process's cgroup, and every
process of the host inherits it. A machine without the v1 memory controller (pure cgroup v2)
gets a clear error when a limit is asked for.

Imports `errors` only.
"""

from __future__ import annotations

import os
import re
import time
from typing import Optional, Union

from lispdeploy.errors import EnvironmentError_

CGROUP_ROOT = "/sys/fs/cgroup/memory"
_SIZE = re.compile(r"\s*(\d+)\s*([KMGT]?)i?B?\s*\Z", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# Below this a Debian userland cannot even boot.
MINIMUM = 32 << 20

# Run as `python3 -I -S -c ENTER procs-file program args...`: join the cgroup, then become
# nspawn with the same PID, so that nothing nspawn starts escapes the limit.
ENTER = ("import os, sys\n"
         "with open(sys.argv[1], 'w') as f:\n"
         "    f.write('0')\n"
         "os.execv(sys.argv[2], sys.argv[2:])\n")


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
    if size < MINIMUM:
        raise EnvironmentError_(f"memory limit {value!r} is too small for a host to boot",
                                hint="give a container host at least 32M, better 256M or more")
    return size


def check_supported() -> None:
    """Raise unless memory limits can be applied on this machine."""
    if not os.path.exists(os.path.join(CGROUP_ROOT, "memory.limit_in_bytes")):
        raise EnvironmentError_(
            "memory limits for container hosts need the cgroup v1 memory controller, which this "
            f"machine does not have mounted at {CGROUP_ROOT}",
            hint="leave out the memory limit")


def _own_cgroup() -> str:
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if "memory" in controllers.split(","):
                return path
    return "/"


def create(name: str, size: int) -> str:
    """Create the memory cgroup of container `name` limited to `size` bytes; return its path."""
    check_supported()
    path = os.path.join(CGROUP_ROOT, _own_cgroup().lstrip("/"), f"lispdeploy-{name}")
    try:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
            f.write(str(size))
    except OSError as error:
        raise EnvironmentError_(f"cannot set up the memory limit of container {name}: {error}",
                                hint="leave out the memory limit") from None
    return path


def procs_file(path: str) -> str:
    """The file a process writes "0" to in order to join the cgroup at `path`."""
    return os.path.join(path, "cgroup.procs")


def remove(path: Optional[str], *, timeout: float = 5.0) -> None:
    """Remove the cgroup at `path` and any children the host's own systemd made in it."""
    if not path:
        return
    deadline = time.monotonic() + timeout
    while os.path.isdir(path):
        try:
            for directory in sorted((d for d, _, _ in os.walk(path)), key=len, reverse=True):
                os.rmdir(directory)
        except OSError as error:
            # The last processes may still be exiting, which keeps the cgroup busy briefly.
            if time.monotonic() >= deadline:
                raise EnvironmentError_(f"cannot remove memory cgroup {path}: {error}") from None
            time.sleep(0.1)
