"""The kernel limits that stop container hosts from booting, checked before booting them.

Every host runs its own systemd, journald, logind, dbus and sshd as root, and they share this
machine's per-user limits: inotify instances (`fs.inotify.max_user_instances`, 128 on Debian,
about 10 per host, more while booting) and watches (`fs.inotify.max_user_watches`), and the
number of tasks (`kernel.pid_max`, `kernel.threads-max`, this process's pids cgroup). Past
them a host's systemd fails with "Failed to create inotify object: Too many open files" and
the boot times out. `check_limits(hosts)` says, before booting `hosts` more, which limit is short and
the command that raises it; `raise_for(hosts)` raises the sysctls (what `make test` and
`make bench` do for their own hosts); `diagnose(console)` explains a console that shows it.

Imports `errors` only.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

from lispdeploy.errors import EnvironmentError_

# What one booting host needs at most (Debian 12 hosts hold about 10 inotify instances and 30-40
# watches once booted, more while systemd starts their units).
PER_HOST = {"fs.inotify.max_user_instances": 16, "fs.inotify.max_user_watches": 1024,
            "kernel.pid_max": 96, "kernel.threads-max": 96, "pids.max": 96}
# Left free for what starts meanwhile (what runs now is counted as in use).
SPARE = {"fs.inotify.max_user_instances": 8, "fs.inotify.max_user_watches": 8192,
         "kernel.pid_max": 1024, "kernel.threads-max": 1024, "pids.max": 256}
SYSCTLS = ("fs.inotify.max_user_instances", "fs.inotify.max_user_watches", "kernel.pid_max",
           "kernel.threads-max")
# kernel.pid_max cannot go above this (PID_MAX_LIMIT on 64-bit machines).
PID_MAX_LIMIT = 4194304
PROC = "/proc"

_CONSOLE_SIGNS = {
    "Failed to create inotify object": "fs.inotify.max_user_instances",
    "Failed to allocate manager object: Too many open files": "fs.inotify.max_user_instances",
    "inotify watch limit reached": "fs.inotify.max_user_watches",
    "No space left on device: inotify": "fs.inotify.max_user_watches",
    "Failed to fork": "kernel.pid_max",
    "Resource temporarily unavailable: fork": "kernel.pid_max",
}


class Shortfall:
    """One limit too low for the hosts to boot: its name, its value, what is in use, what is
    needed, and the command that raises it."""

    def __init__(self, name: str, limit: int, in_use: int, needed: int):
        self.name = name
        self.limit = limit
        self.in_use = in_use
        self.needed = needed

    @property
    def command(self) -> str:
        """How to raise it (as root)."""
        if self.name == "pids.max":
            return f"raise pids.max of this process's pids cgroup to at least {self.needed}"
        return f"sysctl -w {self.name}={self.needed}"

    def __repr__(self) -> str:
        return f"#<shortfall {self.name} {self.limit} < {self.needed}>"


def _sysctl_path(name: str) -> str:
    return os.path.join(PROC, "sys", *name.split("."))


def read_sysctl(name: str) -> Optional[int]:
    """The value of sysctl `name`, or None where the machine has no such setting."""
    try:
        with open(_sysctl_path(name)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def inotify_in_use() -> Tuple[int, int]:
    """(instances, watches) of inotify held by root's processes: what the limits count (a
    scan of /proc; other users' are not counted against root's limits)."""
    instances = watches = 0
    try:
        pids = [p for p in os.listdir(PROC) if p.isdigit()]
    except OSError:
        return 0, 0
    for pid in pids:
        directory = os.path.join(PROC, pid, "fd")
        try:
            if os.stat(os.path.join(PROC, pid)).st_uid != 0:
                continue
            descriptors = os.listdir(directory)
        except OSError:
            continue
        for fd in descriptors:
            try:
                if os.readlink(os.path.join(directory, fd)) != "anon_inode:inotify":
                    continue
                with open(os.path.join(PROC, pid, "fdinfo", fd)) as f:
                    watches += sum(1 for line in f if line.startswith("inotify "))
            except OSError:
                continue
            instances += 1
    return instances, watches


def tasks_in_use() -> int:
    """Tasks (processes and threads) on the machine now, from /proc/loadavg."""
    try:
        with open(os.path.join(PROC, "loadavg")) as f:
            return int(f.read().split()[3].split("/")[1])
    except (OSError, ValueError, IndexError):
        return 0


def _pids_cgroup() -> Tuple[Optional[int], int]:
    """(pids.max, pids.current) of this process's pids cgroup (None: unlimited)."""
    try:
        with open(os.path.join(PROC, "self", "cgroup")) as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
    except OSError:
        return None, 0
    for _, controllers, path in lines:
        names = controllers.split(",") if controllers else []
        base = ("/sys/fs/cgroup/pids" if "pids" in names else
                "/sys/fs/cgroup" if not controllers else None)
        if base is None:
            continue
        directory = os.path.join(base, path.lstrip("/"))
        try:
            with open(os.path.join(directory, "pids.max")) as f:
                text = f.read().strip()
            with open(os.path.join(directory, "pids.current")) as f:
                current = int(f.read())
        except (OSError, ValueError):
            continue
        return (None if text == "max" else int(text)), current
    return None, 0


def usage() -> Dict[str, Tuple[Optional[int], int]]:
    """Each limit: (its value or None when there is none, what is in use)."""
    instances, watches = inotify_in_use()
    tasks = tasks_in_use()
    pids_max, pids_current = _pids_cgroup()
    return {
        "fs.inotify.max_user_instances": (read_sysctl("fs.inotify.max_user_instances"),
                                          instances),
        "fs.inotify.max_user_watches": (read_sysctl("fs.inotify.max_user_watches"), watches),
        "kernel.pid_max": (read_sysctl("kernel.pid_max"), tasks),
        "kernel.threads-max": (read_sysctl("kernel.threads-max"), tasks),
        "pids.max": (pids_max, pids_current),
    }


def shortfalls(hosts: int, current: Optional[Dict[str, Tuple[Optional[int], int]]] = None
               ) -> List[Shortfall]:
    """The limits too low to boot `hosts` more hosts now (`current`: `usage()`)."""
    current = usage() if current is None else current
    short = []
    for name, (limit, in_use) in current.items():
        if limit is None:
            continue
        needed = in_use + hosts * PER_HOST[name] + SPARE[name]
        if name == "kernel.pid_max":
            needed = min(needed, PID_MAX_LIMIT)
        if limit < needed:
            short.append(Shortfall(name, limit, in_use, needed))
    return short


def check_limits(hosts: int) -> None:
    """Raise unless this machine's limits let `hosts` more container hosts boot; the error
    names each limit and the command that raises it."""
    if hosts < 1:
        return
    short = shortfalls(hosts)
    if not short:
        return
    what = "; ".join(f"{s.name} is {s.limit}, {s.in_use} in use, {hosts} more "
                     f"host{'' if hosts == 1 else 's'} need about {s.needed}" for s in short)
    raise EnvironmentError_(
        f"cannot boot {hosts} more container host{'' if hosts == 1 else 's'}: {what}",
        hint="raise them (as root): " + "; ".join(s.command for s in short)
             + " (`sh tools/raise-container-limits.sh N` does it for N hosts)")


def raise_for(hosts: int) -> List[Tuple[str, int, int]]:
    """Raise the sysctls that are too low for `hosts` more hosts (never lowering one);
    return (name, old, new) for each one changed. Needs root."""
    changed = []
    for short in shortfalls(hosts):
        if short.name not in SYSCTLS:
            continue
        with open(_sysctl_path(short.name), "w") as f:
            f.write(str(short.needed))
        changed.append((short.name, short.limit, short.needed))
    return changed


def diagnose(console: str) -> Optional[str]:
    """What a boot console shows about a kernel limit (and how to raise it), or None."""
    for sign, name in _CONSOLE_SIGNS.items():
        if sign in console:
            value = read_sysctl(name)
            shown = f" (now {value})" if value is not None else ""
            return (f"the host ran out of {name}{shown}, which every container host shares "
                    f"with this machine: raise it, e.g. sysctl -w {name}=<more>, or "
                    "`sh tools/raise-container-limits.sh N` for N hosts")
    return None


def main(argv: Optional[List[str]] = None) -> int:
    """`python3 -m lispdeploy.environments.container.limits [--raise] HOSTS`: check (or
    raise) the limits for HOSTS more hosts; exit status 1 if one is still short."""
    import sys
    args = list(sys.argv[1:] if argv is None else argv)
    raising = "--raise" in args
    args = [a for a in args if a != "--raise"]
    hosts = int(args[0]) if args else 1
    if raising:
        for name, old, new in raise_for(hosts):
            print(f"{name}: {old} -> {new}")
    try:
        check_limits(hosts)
    except EnvironmentError_ as e:
        print(f"error: {e.message}\nhint: {e.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
