"""The package cache: one apt-cacher-ng on loopback, shared by every container host and run.

Container hosts share this machine's network, so their apt reaches a proxy on 127.0.0.1. The
proxy keeps every package it fetched from Debian's archive under
/var/lib/lispdeploy/package-cache/cache, so a package is downloaded once for all hosts, test
runs and image builds. Nothing else on this machine runs it: the engine starts it when the
first user needs it and stops it when the last one is gone. Users are recorded on disk (a
booting or running host, an image build, a test session), each with the processes that keep
it alive, so users that crashed count as gone. Every change happens under one lock.

Hosts find the proxy through an apt `Proxy-Auto-Detect` script written on their disk
(`disk.prepare`): it answers the proxy's URL while something listens there, and DIRECT (or
this machine's own apt proxy) otherwise, so a host whose cache is not running still installs.

Layout of the directory:

    .lock          flock held while the daemon or its users change
    acng.conf      apt-cacher-ng's configuration, written before each start
    daemon.json    the running daemon (a ProcessRef) and where it listens
    daemon.log     its standard output and error
    users/<key>    one JSON file per user: the processes that keep it alive
    cache/, log/   apt-cacher-ng's cache (the packages) and logs (apt-cacher.log: one line per
                   file fetched from the archive, `I`, or served to a client, `O`)

Set LISPDEPLOY_PACKAGE_CACHE=off to run hosts without it. Imports `errors` and the siblings
`processes` and `archive` only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional

from lispdeploy.environments.container.archive import Archive, machine_archive
from lispdeploy.environments.container.processes import ProcessRef
from lispdeploy.errors import EnvironmentError_

DEFAULT_DIR = "/var/lib/lispdeploy/package-cache"
ADDRESS = "127.0.0.1"
# Not apt-cacher-ng's own 3142: a machine may run its packaged service there.
PORT = 3149
# Seconds: later than any download start time (the largest int apt-cacher-ng reads).
NEVER_FROZEN = 2**31 - 1
PROGRAM = "/usr/sbin/apt-cacher-ng"
SUPPORT_DIR = "/usr/lib/apt-cacher-ng"
DAEMON_USER = "apt-cacher-ng"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,100}\Z")


def enabled() -> bool:
    """Whether hosts should use the cache (LISPDEPLOY_PACKAGE_CACHE is not "off")."""
    return os.environ.get("LISPDEPLOY_PACKAGE_CACHE", "").lower() not in ("off", "0", "no")


@dataclass(frozen=True)
class CacheStatus:
    """What `PackageCache.status` says: whether the daemon runs, for whom, and the cache size."""

    installed: bool
    running: bool
    url: str
    users: tuple
    size: int
    directory: str


class PackageCache:
    """The shared apt-cacher-ng of one cache directory, listening on `address`:`port`."""

    def __init__(self, directory: str = DEFAULT_DIR, *, address: str = ADDRESS,
                 port: int = PORT, program: str = PROGRAM, archive: Optional[Archive] = None):
        self.directory = os.path.abspath(directory)
        self.address = address
        self.port = port
        self.program = program
        self._archive = archive
        self._thread_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The proxy URL hosts' apt uses."""
        return f"http://{self.address}:{self.port}"

    @property
    def archive(self) -> Archive:
        """How this machine reaches Debian's archive (read once)."""
        if self._archive is None:
            self._archive = machine_archive()
        return self._archive

    @property
    def installed(self) -> bool:
        """Whether apt-cacher-ng is installed on this machine."""
        return os.access(self.program, os.X_OK)

    def path(self, *parts: str) -> str:
        """A path inside the cache directory."""
        return os.path.join(self.directory, *parts)

    # -- users ---------------------------------------------------------------------------------

    def use(self, key: str, processes: Iterable[Optional[ProcessRef]]) -> bool:
        """Record user `key`, alive while any of `processes` runs, and make sure the daemon
        runs. False (and nothing recorded) when apt-cacher-ng is not installed or the cache is
        switched off; raises if it is installed but cannot start."""
        if not enabled() or not self.installed:
            return False
        refs = [p for p in processes if p is not None]
        with self._locked():
            self._write_user(_check_key(key), refs)
            try:
                self._ensure_running()
            except BaseException:
                self._remove_user(key)
                raise
        return True

    def release(self, key: str) -> None:
        """Forget user `key`; stop the daemon if no user is left."""
        if not os.path.isdir(self.directory):
            return
        with self._locked():
            self._remove_user(_check_key(key))
            self._stop_if_unused()

    def prune(self) -> None:
        """Forget users whose processes are all gone; stop the daemon if none is left."""
        if not os.path.isdir(self.directory):
            return
        with self._locked():
            self._stop_if_unused()

    @contextlib.contextmanager
    def used(self, key: str) -> Iterator[bool]:
        """Hold the cache for the duration (for this process); yields whether it is in use."""
        using = self.use(key, [ProcessRef.current()])
        try:
            yield using
        finally:
            if using:
                self.release(key)

    def status(self) -> CacheStatus:
        """Whether the daemon runs, its live users and the size of the cache."""
        users: tuple = ()
        running = False
        if os.path.isdir(self.directory):
            with self._locked():
                users = tuple(self._live_users())
                running = self._daemon() is not None
        return CacheStatus(installed=self.installed, running=running, url=self.url,
                           users=users, size=_tree_size(self.path("cache")),
                           directory=self.directory)

    def clear(self) -> None:
        """Remove every cached package; refused while the cache has users."""
        if not os.path.isdir(self.directory):
            return
        with self._locked():
            users = self._live_users()
            if users:
                raise EnvironmentError_(
                    f"the package cache is in use ({', '.join(users)})",
                    hint="stop the container hosts (and test runs) that use it first")
            self._stop_if_unused()
            shutil.rmtree(self.path("cache"), ignore_errors=True)

    # -- the daemon ----------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._daemon() is not None:
            return
        if _listening(self.address, self.port):
            raise EnvironmentError_(
                f"the package cache cannot start: something else listens on "
                f"{self.address}:{self.port}",
                hint="stop that program, or run with LISPDEPLOY_PACKAGE_CACHE=off (hosts then "
                     "download every package from the archive)")
        user = _daemon_user()
        for part in ("cache", "log", "run"):
            os.makedirs(self.path(part), exist_ok=True)
            if user is not None:
                os.chown(self.path(part), user.pw_uid, user.pw_gid)
        with open(self.path("acng.conf"), "w") as f:
            f.write(self._configuration())
        with open(self.path("daemon.log"), "ab") as log:
            try:
                child = subprocess.Popen(
                    [self.program, "-c", self.directory], stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, cwd=self.directory, start_new_session=True,
                    user=user.pw_uid if user else None, group=user.pw_gid if user else None,
                    env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
            except OSError as error:
                raise EnvironmentError_(f"the package cache cannot start: {error}") from None
        process = ProcessRef.of(child.pid)
        # The daemon outlives this process; a thread reaps it if it ends while we run.
        threading.Thread(target=child.wait, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(self.address, self.port):
            if child.poll() is not None or time.monotonic() >= deadline:
                if child.poll() is None:
                    child.kill()
                raise EnvironmentError_(
                    f"the package cache (apt-cacher-ng) did not start on {self.url}",
                    hint=f"see {self.path('daemon.log')} and {self.path('log', 'apt-cacher.err')}"
                         "; LISPDEPLOY_PACKAGE_CACHE=off runs hosts without it")
            time.sleep(0.05)
        self._write_json("daemon.json", {"process": process.to_json() if process else None,
                                         "address": self.address, "port": self.port})

    def _configuration(self) -> str:
        archive = self.archive
        lines = [
            "# Written by lispdeploy before it starts its package cache: see",
            "# lispdeploy/environments/container/package_cache.py. Changes are overwritten.",
            f"CacheDir: {self.path('cache')}",
            f"LogDir: {self.path('log')}",
            f"SupportDir: {SUPPORT_DIR}",
            f"Port: {self.port}",
            f"BindAddress: {self.address}",
            f"PidFile: {self.path('run', 'pid')}",
            f"SocketPath: {self.path('run', 'socket')}",
            "ForeGround: 1",
            # Keep packages for good: nothing here expires them (`ExThreshold` only matters to
            # expiration, which runs when asked for).
            "ExThreshold: 4",
            "ReportPage: acng-report.html",
            # apt-cacher-ng 3.7 takes a file item whose download has not started yet for a
            # frozen one and moves it aside; when three hosts ask for the same index in one
            # second (hosts booted together, a fresh daemon), the second move collides
            # ("Failure to move file ... out of the way") and that host's apt-get update hangs
            # for good. Items are never taken for frozen: a stalled download still ends with
            # NetworkTimeout.
            f"ResponseFreezeDetectTime: {NEVER_FROZEN}",
            # Log every file served, with the client, as soon as it is.
            "VerboseLog: 1",
            "UnbufferLogs: 1",
        ]
        if archive.proxy:
            lines.append(f"Proxy: {archive.proxy}")
        return "\n".join(lines) + "\n"

    def _daemon(self) -> Optional[ProcessRef]:
        data = self._read_json("daemon.json")
        process = ProcessRef.from_json((data or {}).get("process"))
        if process is not None and process.alive():
            return process
        return None

    def _stop_if_unused(self) -> None:
        if self._live_users():
            return
        process = self._daemon()
        if process is not None:
            process.signal(signal.SIGTERM)
            if not process.wait_gone(STOP_TIMEOUT):
                process.signal(signal.SIGKILL)
                process.wait_gone(5.0)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path("daemon.json"))

    # -- records -------------------------------------------------------------------------------

    def _live_users(self) -> List[str]:
        live = []
        for key in _listdir(self.path("users")):
            data = self._read_json(os.path.join("users", key)) or {}
            refs = [ProcessRef.from_json(p) for p in data.get("processes", ())]
            if any(r is not None and r.alive() for r in refs):
                live.append(key)
            else:
                self._remove_user(key)
        return live

    def _write_user(self, key: str, processes: List[ProcessRef]) -> None:
        os.makedirs(self.path("users"), exist_ok=True)
        self._write_json(os.path.join("users", key),
                         {"processes": [p.to_json() for p in processes]})

    def _remove_user(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path("users", key))

    def _read_json(self, relative: str) -> Optional[dict]:
        try:
            with open(self.path(relative)) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def _write_json(self, relative: str, data: dict) -> None:
        target = self.path(relative)
        temporary = f"{target}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(temporary, "w") as f:
            json.dump(data, f)
        os.replace(temporary, target)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        os.makedirs(self.directory, mode=0o755, exist_ok=True)
        # flock excludes other processes; the thread lock, other threads of this one (an
        # engine boots hosts in parallel threads, and flock locks belong to open files).
        with self._thread_lock:
            fd = os.open(self.path(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)


def served(log_text: str) -> List[tuple]:
    """(kind, size, client, path) of each line of an apt-cacher.log: kind "I" is a file
    fetched from the archive, "O" one sent to a client."""
    entries = []
    for line in log_text.splitlines():
        fields = line.split("|")
        if len(fields) >= 5 and fields[1] in ("I", "O"):
            entries.append((fields[1], int(fields[2]), fields[3], fields[4]))
    return entries


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"bad package cache user key {key!r}")
    return key


def _daemon_user() -> Optional[pwd.struct_passwd]:
    try:
        return pwd.getpwnam(DAEMON_USER)
    except KeyError:
        return None


def _listening(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1.0):
            return True
    except OSError:
        return False


def _listdir(path: str) -> list:
    try:
        return sorted(e for e in os.listdir(path) if not e.endswith(".tmp"))
    except FileNotFoundError:
        return []


def _tree_size(path: str) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
    return total

