"""Helpers for deploy tests: specs whose machines are container hosts
(`container-environment-type`, as a user writes them), the command line run as a user runs
it, and shell commands on the hosts over SSH (strict host keys) to check what a deploy did.

Every container host a test's deploys create belongs to the test process
(LISPDEPLOY_CONTAINER_OWNER) and is destroyed after the test, also when it fails; if the
session dies, the next one's stale cleanup removes them.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pty
import stat
import subprocess
import sys
from typing import List, Optional

import pytest

from lispdeploy.environments.container import ContainerEngine
from lispdeploy.environments.container.processes import namespace_init
from lispdeploy.remote.ssh import SshTransport

_counter = itertools.count(1)
# Minimal hosts have no ps.
_PROCESSES = r"""for p in /proc/[0-9]*; do
  test -r $p/cmdline && echo "${p#/proc/} $(tr '\0' ' ' < $p/cmdline)"
done"""


def container_machine(os_expression: str, name: str, address: Optional[str] = None) -> str:
    """A `(machine ...)` form deploying `os_expression` to container host `name`."""
    address_clause = f' (address "{address}")' if address else ""
    return (f"(machine (operating-system {os_expression})\n"
            f"         (environment container-environment-type)\n"
            f'         (configuration (container-configuration (name "{name}"){address_clause})))')


class DeployWorld:
    """One test's spec files, container hosts and command runs."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.names: List[str] = []
        self.engine = ContainerEngine()
        self.env = {**os.environ, "LISPDEPLOY_CONTAINER_OWNER": str(os.getpid()),
                    "LISPDEPLOY_CACHE_DIR": str(tmp_path / "spec-cache")}

    def host_name(self) -> str:
        """A container name no other test or session uses."""
        name = f"ldtest-{os.getpid()}-d{next(_counter)}"
        self.names.append(name)
        return name

    def write(self, text: str, file: str = "spec.hy") -> str:
        """Write a spec; return its path. Versions of one spec deployed to the same hosts
        are one deployment: give them the same file name (in other directories, `v2/spec.hy`),
        as a deployment's name comes from its spec's file name."""
        path = self.tmp_path / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return str(path)

    def lispdeploy(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run the command line as a user would. A run that outlives `timeout` fails the test
        with what it printed and what each of this test's hosts was running then."""
        script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
        try:
            return subprocess.run([script, *args], capture_output=True, text=True,
                                  env=self.env, timeout=timeout, cwd=str(self.tmp_path))
        except subprocess.TimeoutExpired as e:
            printed = (e.stderr or b"").decode(errors="replace") if isinstance(
                e.stderr, bytes) else (e.stderr or "")
            raise AssertionError(f"lispdeploy {' '.join(args)} still ran after {timeout:.0f} s;"
                                 f" it printed:\n{printed}\n{self.processes()}") from None

    def processes(self) -> str:
        """What runs in each of this test's hosts (read from outside: SSH may be the thing
        that hangs)."""
        parts = []
        for name in self.names:
            info = self.engine.get(name)
            init = namespace_init(info.pid) if info is not None and info.pid else None
            if init is None:
                parts.append(f"{name}: not running")
                continue
            done = subprocess.run(["nsenter", f"--target={init.pid}", "--all", "sh", "-c",
                                   _PROCESSES], capture_output=True, text=True, timeout=30)
            parts.append(f"{name}:\n{done.stdout}{done.stderr}")
        return "\n".join(parts)

    def on_terminal(self, *args: str, answer: str = "", timeout: float = 300
                    ) -> subprocess.CompletedProcess:
        """Run the command line with a terminal as its stdin (as a user at a shell), typing
        `answer` once it asks; stdout and stderr are collected as usual."""
        script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
        leader, follower = pty.openpty()
        try:
            process = subprocess.Popen([script, *args], stdin=follower, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, env=self.env,
                                       cwd=str(self.tmp_path))
            os.write(leader, answer.encode())
            out, err = process.communicate(timeout=timeout)
        finally:
            os.close(follower)
            os.close(leader)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def sh(self, name: str, script: str) -> str:
        """Run a shell script on container host `name` over SSH; its stdout (it must
        succeed)."""
        info = self.engine.get(name)
        assert info is not None and info.running, f"container host {name} is not running"
        with SshTransport.connect(info.address, port=info.port, identity=info.identity,
                                  host_key=info.host_key, name=name) as transport:
            done = transport.execute(["sh", "-c", script])
        assert done.exit_status == 0, done.stderr.decode(errors="replace")
        return done.stdout.decode()

    def destroy_all(self) -> None:
        """Destroy every container host this test used."""
        for name in self.names:
            self.engine.destroy(name, missing_ok=True)


# Everything a host writes lands in its overlay's upper directory, on this machine; all but
# logs and systemd's own run-time records must stay byte-for-byte the same.
VOLATILE = ("var/log", "var/lib/systemd", "tmp", "var/tmp", "run", "root/.cache")


def disk_fingerprint(world, name):
    """(path, mode, owner, size, link target, sha256) of every file on the host's own disk."""
    upper = os.path.join(world.engine.state.container_dir(name), "upper")
    entries = []
    for root, dirs, files in os.walk(upper):
        rel = os.path.relpath(root, upper)
        if rel != "." and rel.startswith(VOLATILE):
            dirs[:] = []
            continue
        for entry in sorted(dirs + files):
            path = os.path.join(root, entry)
            st = os.lstat(path)
            digest = ""
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
            entries.append((os.path.relpath(path, upper), st.st_mode, st.st_uid, st.st_gid,
                            st.st_size, link, digest))
    return sorted(entries)



@pytest.fixture
def world(tmp_path, container_fleet):
    """A DeployWorld whose container hosts are destroyed after the test."""
    # The deploys' hosts use the package cache, which the session keeps running meanwhile.
    container_fleet.hold_package_cache()
    w = DeployWorld(tmp_path)
    try:
        yield w
    finally:
        w.destroy_all()
