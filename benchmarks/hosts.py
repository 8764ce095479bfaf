"""The benchmark's container hosts: booted fresh for every tool and round, measured from
outside, destroyed after.

Each host is a container host of lispdeploy's engine, made to look like a fresh Debian server
before it boots: root's shell start-up files are Debian's (/etc/skel), not this machine's (the
hosts are overlays of this machine's `/`, whose root may have a heavy ~/.bashrc that every SSH
command would run), and sshd logs at level VERBOSE, which records each connection ("Accepted
publickey"), each session ("Starting session") and the bytes of each connection
("Transferred: sent N, received M bytes"). Hosts' CPU time is read from their cgroups.

Hosts are ephemeral and owned by this process: a killed run's leftovers are destroyed by the
next run (or test session). Uses the container engine's public API, its state directory
(where a host's disk is) and its cgroup records.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import subprocess
from typing import Dict, List, Tuple

from lispdeploy.environments.container import ContainerEngine
from lispdeploy.environments.container.limits import check_limits

PREFIX = "ldbench-"
BOOT_TIMEOUT = 180.0
PARALLEL_BOOTS = 16
SSHD_DROP_IN = "# The benchmark counts connections, sessions and bytes from sshd's log.\nLogLevel VERBOSE\n"

_ACCEPTED = re.compile(r"Accepted publickey for ")
_SESSION = re.compile(r"Starting session: ")
_TRANSFERRED = re.compile(r"Transferred: sent (\d+), received (\d+) bytes")


class Hosts:
    """`count` fresh hosts (see the module docstring); a context manager."""

    def __init__(self, engine: ContainerEngine, count: int, tag: str):
        self.engine = engine
        self.names = [f"{PREFIX}{os.getpid()}-{tag}-{n}" for n in range(1, count + 1)]
        self.infos: List = []

    def __enter__(self) -> "Hosts":
        check_limits(len(self.names))
        try:
            with concurrent.futures.ThreadPoolExecutor(min(PARALLEL_BOOTS,
                                                           len(self.names))) as pool:
                self.infos = list(pool.map(self._boot, self.names))
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    def _boot(self, name: str):
        self.engine.create(name, ephemeral=True)
        upper = os.path.join(self.engine.state.container_dir(name), "upper")
        home = os.path.join(upper, "root")
        os.makedirs(home, mode=0o700, exist_ok=True)
        for dotfile in (".bashrc", ".profile"):
            shutil.copy(os.path.join("/etc/skel", dotfile), os.path.join(home, dotfile))
        drop_in = os.path.join(upper, "etc", "ssh", "sshd_config.d", "10-bench-logging.conf")
        os.makedirs(os.path.dirname(drop_in), exist_ok=True)
        with open(drop_in, "w") as f:
            f.write(SSHD_DROP_IN)
        return self.engine.start(name, timeout=BOOT_TIMEOUT)

    def destroy(self) -> None:
        """Destroy every host (also the ones a failed boot left half-made)."""
        with concurrent.futures.ThreadPoolExecutor(min(PARALLEL_BOOTS, len(self.names))) as pool:
            list(pool.map(lambda n: self.engine.destroy(n, missing_ok=True), self.names))

    def as_json(self) -> List[Dict]:
        """Address, identity and host key of each host, in order."""
        return [{"name": i.name, "address": i.address, "identity": i.identity,
                 "host_key": i.host_key} for i in self.infos]

    def cpu_seconds(self) -> float:
        """CPU time every process of the hosts has used so far: `usage_usec` of their cgroup v2
        (the engine puts each host in one; cgroup v2 counts CPU without a controller)."""
        total = 0
        for name in self.names:
            record = self.engine.state.read(name)
            for path in record.cgroups if record is not None else ():
                try:
                    with open(os.path.join(path, "cpu.stat")) as f:
                        total += next(int(line.split()[1]) for line in f
                                      if line.startswith("usage_usec "))
                except (OSError, StopIteration):
                    continue
        return total / 1e6

    def sshd_log(self) -> List[List[Tuple[float, str]]]:
        """Each host's sshd log lines so far: (time, message)."""
        def one(name):
            record = self.engine.state.read(name)
            if record is None or record.leader is None:
                return []
            out = subprocess.run(
                ["nsenter", f"--target={record.leader.pid}", "--all", "journalctl",
                 "_COMM=sshd", "-o", "short-unix", "--no-pager", "-q"],
                capture_output=True, text=True, timeout=60,
                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}).stdout
            lines = []
            for line in out.splitlines():
                stamp, _, rest = line.partition(" ")
                try:
                    lines.append((float(stamp), rest.split(": ", 1)[-1]))
                except ValueError:
                    continue
            return lines

        with concurrent.futures.ThreadPoolExecutor(min(PARALLEL_BOOTS, len(self.names))) as pool:
            return list(pool.map(one, self.names))


def ssh_counts(lines: List[Tuple[float, str]], start: float, end: float) -> Dict[str, int]:
    """Connections, sessions and bytes (received by the host, sent by it) that one host's
    sshd logged between `start` and `end` (epoch seconds)."""
    counts = {"connections": 0, "sessions": 0, "bytes-to-host": 0, "bytes-from-host": 0}
    for stamp, message in lines:
        if not start <= stamp <= end:
            continue
        if _ACCEPTED.search(message):
            counts["connections"] += 1
        elif _SESSION.search(message):
            counts["sessions"] += 1
        else:
            match = _TRANSFERRED.search(message)
            if match:
                counts["bytes-from-host"] += int(match.group(1))
                counts["bytes-to-host"] += int(match.group(2))
    return counts


def cleanup_leftovers(engine: ContainerEngine) -> List[str]:
    """Destroy what killed benchmark runs (and test sessions) left: only hosts whose owner
    process is gone."""
    return engine.cleanup_stale()
