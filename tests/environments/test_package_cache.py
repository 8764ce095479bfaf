"""The package cache: apt-cacher-ng on loopback, started for its first user and stopped after
its last, shared by container hosts so that a package is downloaded from Debian's archive once.

Lifecycle tests run a private cache (its own directory and port) so that they never stop the
one the rest of the suite shares; the host tests use the shared one, as deploys do.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap

import pytest

from lispdeploy.environments.container.package_cache import PackageCache, served
from lispdeploy.environments.container.processes import ProcessRef
from lispdeploy.errors import EnvironmentError_

from test_container import ssh


def _free_port() -> int:
    # apt-cacher-ng 3.7 cannot bind ports above 32767 ("Error resolving address for binding").
    for _ in range(100):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port between 20000 and 32000")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def private_cache():
    # Not under pytest's tmp_path (mode 700): the daemon runs as user apt-cacher-ng.
    directory = tempfile.mkdtemp(prefix="lispdeploy-test-cache-")
    os.chmod(directory, 0o755)
    cache = PackageCache(directory, port=_free_port())
    try:
        yield cache
    finally:
        # Whatever a failing test left: no daemon outlives it.
        for key in os.listdir(cache.path("users")) if os.path.isdir(cache.path("users")) else ():
            cache.release(key)
        shutil.rmtree(directory, ignore_errors=True)


def test_the_daemon_runs_from_its_first_user_to_its_last(private_cache):
    cache = private_cache
    assert cache.use("first", [ProcessRef.current()])
    assert _answers(cache.port)
    daemon = ProcessRef.from_json(json.load(open(cache.path("daemon.json")))["process"])
    assert cache.use("second", [ProcessRef.current()])
    # The second user found the running daemon.
    assert ProcessRef.from_json(json.load(open(cache.path("daemon.json")))["process"]) == daemon
    cache.release("first")
    assert cache.status().running and cache.status().users == ("second",)
    cache.release("second")
    assert not daemon.alive()
    assert not _answers(cache.port)
    assert cache.status().users == ()


def test_users_whose_processes_died_do_not_keep_it_running(private_cache):
    cache = private_cache
    script = textwrap.dedent("""
        import sys
        from lispdeploy.environments.container.package_cache import PackageCache
        from lispdeploy.environments.container.processes import ProcessRef
        PackageCache(sys.argv[1], port=int(sys.argv[2])).use("crashed", [ProcessRef.current()])
    """)
    # A run that took the cache and died without letting it go.
    subprocess.run([sys.executable, "-c", script, cache.directory, str(cache.port)], check=True)
    assert _answers(cache.port)
    assert cache.status().users == ()
    cache.prune()
    assert not _answers(cache.port)


def test_concurrent_first_users_start_one_daemon(private_cache):
    cache = private_cache
    script = textwrap.dedent("""
        import json, sys, time
        from lispdeploy.environments.container.package_cache import PackageCache
        from lispdeploy.environments.container.processes import ProcessRef
        cache = PackageCache(sys.argv[1], port=int(sys.argv[2]))
        cache.use(sys.argv[3], [ProcessRef.current()])
        print(json.load(open(cache.path("daemon.json")))["process"]["pid"], flush=True)
        sys.stdin.read()
        cache.release(sys.argv[3])
    """)
    runs = [subprocess.Popen([sys.executable, "-c", script, cache.directory, str(cache.port),
                              f"run-{i}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True) for i in range(3)]
    daemons = {run.stdout.readline().strip() for run in runs}
    assert len(daemons) == 1
    for run in runs:
        run.communicate("", timeout=60)
        assert run.returncode == 0
    assert not _answers(cache.port)


def test_a_port_taken_by_another_program_is_a_clear_error(private_cache):
    with socket.socket() as other:
        other.bind(("127.0.0.1", private_cache.port))
        other.listen()
        with pytest.raises(EnvironmentError_) as raised:
            private_cache.use("someone", [ProcessRef.current()])
    assert raised.value.message == ("the package cache cannot start: something else listens on "
                                    f"127.0.0.1:{private_cache.port}")
    assert "LISPDEPLOY_PACKAGE_CACHE=off" in raised.value.hint
    assert private_cache.status().users == ()


def test_a_package_two_hosts_install_is_downloaded_once(fleet):
    first, second = fleet(2, image="debian-13")
    log = fleet.engine.package_cache.path("log", "apt-cacher.log")
    start = os.path.getsize(log) if os.path.exists(log) else 0
    install = "apt-get update -q >/dev/null && apt-get install -y -q hello >/dev/null && hello"
    assert ssh(first, install) == ("Hello, world!\n", 0)
    assert ssh(second, install) == ("Hello, world!\n", 0)
    with open(log) as f:
        f.seek(start)
        entries = [e for e in served(f.read()) if "/hello_" in e[3]]
    # Both hosts were served the package; the archive was asked for it once at most (not at
    # all when an earlier run brought it).
    assert [kind for kind, *_ in entries].count("O") == 2
    assert [kind for kind, *_ in entries].count("I") <= 1
    assert entries[-1][0] == "O" and all(e[2] == "127.0.0.1" for e in entries)


def test_hosts_created_with_the_cache_off_go_to_the_archive(fleet, monkeypatch):
    monkeypatch.setenv("LISPDEPLOY_PACKAGE_CACHE", "off")
    (host,) = fleet(1)
    assert ssh(host, "ls /etc/apt/apt.conf.d; test -e /etc/apt/lispdeploy-package-cache "
                     "|| echo no-detector")[0].split()[-1] == "no-detector"

