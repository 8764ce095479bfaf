"""The overlay mount of a container host's root, and questions about this machine's mounts.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

from lispdeploy.errors import EnvironmentError_

MOUNTINFO = "/proc/self/mountinfo"
_ESCAPE = re.compile(r"\\([0-7]{3})")


def mount_points(mountinfo: str = MOUNTINFO) -> list:
    """Every mount point of this process's mount namespace, in mount order."""
    with open(mountinfo) as f:
        lines = f.readlines()
    # The kernel escapes space, tab, newline and backslash in paths as octal.
    return [_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), line.split()[4]) for line in lines]


def mounts_under(path: str) -> list:
    """Mount points at or below `path`."""
    path = os.path.abspath(path)
    return [m for m in mount_points() if m == path or m.startswith(path.rstrip("/") + "/")]


def is_mounted(path: str) -> bool:
    """Whether something is mounted exactly at `path`."""
    return os.path.abspath(path) in mount_points()


def mount_overlay(*, lower: str, upper: str, work: str, merged: str) -> None:
    """Mount an overlay of `lower` with `upper` on top at `merged`."""
    options = f"lowerdir={lower},upperdir={upper},workdir={work}"
    result = subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, merged],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise EnvironmentError_(
            f"cannot mount the overlay for {merged}: {result.stderr.strip() or result.returncode}",
            hint="container hosts need overlayfs (modprobe overlay) and a state directory on a "
                 "file system that can hold an overlay's upper layer, such as ext4 or xfs")


def unmount(path: str, *, attempts: int = 5) -> None:
    """Unmount everything mounted at `path` (mounts may be stacked); lazily as a last resort."""
    for attempt in range(attempts):
        if not is_mounted(path):
            return
        result = subprocess.run(["umount", path], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True)
        if result.returncode != 0:
            # Busy right after the container's last process ended: give the kernel a moment.
            time.sleep(0.1 * (attempt + 1))
    for _ in range(attempts):
        if not is_mounted(path):
            return
        result = subprocess.run(["umount", "--lazy", path], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True)
        if result.returncode != 0:
            break
    if is_mounted(path):
        raise EnvironmentError_(f"cannot unmount {path}: {result.stderr.strip()}",
                                hint=f"see which processes use it: fuser -vm {path}")
