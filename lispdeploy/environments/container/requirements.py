"""What this machine must provide before lispdeploy can run container hosts: root, programs.

Both checks take what they inspect as a parameter (`uid`, `path`), so that their refusals can
be tested without changing the machine.
"""

from __future__ import annotations

import os
import shutil
from typing import Optional

from lispdeploy.errors import EnvironmentError_

SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# The Debian package that provides each program the engine runs.
PACKAGES = {"systemd-nspawn": "systemd-container", "ssh-keygen": "openssh-client",
            "nsenter": "util-linux", "mount": "mount", "umount": "mount"}


def require_root(uid: Optional[int] = None) -> None:
    """Raise unless `uid` (default: this process's effective uid) is root."""
    uid = os.geteuid() if uid is None else uid
    if uid != 0:
        raise EnvironmentError_(
            f"container hosts need root (running as uid {uid}): they mount overlays and "
            "boot systemd-nspawn", hint="run lispdeploy (or the tests) as root, e.g. with sudo")


def find_program(program: str = "systemd-nspawn", *, path: Optional[str] = None) -> str:
    """The full path of `program` on `path` (default: $PATH and the sbin directories)."""
    search = path if path is not None else os.pathsep.join(
        [os.environ.get("PATH", ""), SYSTEM_PATH])
    found = shutil.which(program, path=search)
    if found is None:
        raise EnvironmentError_(f"{program} is not installed; container hosts need it",
                                hint=f"apt-get install {PACKAGES.get(program, program)}")
    return found
