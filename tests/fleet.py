"""Container hosts for tests: the `fleet` and `shared_fleet` fixtures (loaded by conftest.py).

    def test_something(fleet):
        web, db = fleet(2)                 # two fresh hosts, booted in parallel
        ...                                # web.address, web.identity, web.host_key, ...
        (old,) = fleet(1, image="debian-13")

    def test_read_only_things(shared_fleet):
        (host,) = shared_fleet(1)          # a host booted once per session, shared by tests

Hosts boot from the minimal image of this machine's Debian release (`DEFAULT_IMAGE`, the
shape of a fresh cloud server: systemd, dbus, openssh-server, python3, no apt lists) unless
`image=` says otherwise: "debian-12", "debian-13", "machine" (an overlay of this machine's
`/`, with all its packages: only for tests that need exactly that), or a root file system's
path. Images are built on first use (about 30 s each, once per machine).

`fleet(n)` hosts are destroyed after the test; `shared_fleet(n)` hosts at the end of the
session (one pool per image), so tests using them must leave them as they found them. The
session holds the shared package cache (apt-cacher-ng on loopback) from its first host to its
end, so packages that hosts install are downloaded once for every test and run. Every host is ephemeral and
owned by this process: if the session dies without tearing down (SIGKILL, power loss), the
next session's start destroys what it left, by recorded PID. Hosts of a concurrent live
session are never touched. Not being root fails the tests that need hosts; nothing is skipped.

Uses the container engine's public API only.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import signal
import threading

import pytest

from lispdeploy.environments.container import ContainerEngine, ContainerInfo, require_root
from lispdeploy.environments.container.images import default_image
from lispdeploy.environments.container.processes import ProcessRef
from lispdeploy.errors import LispdeployError

PREFIX = "ldtest-"
BOOT_TIMEOUT = 120.0
MAX_PARALLEL_BOOTS = 16
DEFAULT_IMAGE = default_image()


class Fleet:
    """The container hosts of one test session: booting, sharing and tearing them down."""

    def __init__(self, engine: ContainerEngine):
        self.engine = engine
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._created = []
        self._shared = {}
        self._cache_key = None

    def new_name(self) -> str:
        """A container name no other live process uses (they contain this process's PID)."""
        with self._lock:
            name = f"{PREFIX}{os.getpid()}-{next(self._counter)}"
            self._created.append(name)
        return name

    def hold_package_cache(self) -> None:
        """Keep the package cache running until `close` (no stop and start between tests)."""
        with self._lock:
            if self._cache_key is not None:
                return
            self._cache_key = f"session-{os.getpid()}"
        self.engine.package_cache.use(self._cache_key, [ProcessRef.current()])

    def create(self, image: str = DEFAULT_IMAGE, **options) -> ContainerInfo:
        """Create one ephemeral host without booting it."""
        self.hold_package_cache()
        return self.engine.create(self.new_name(), ephemeral=True, image=image, **options)

    def boot(self, count: int, image: str = DEFAULT_IMAGE, **options) -> list:
        """Create and start `count` new hosts of `image` in parallel; all of them or none.

        `options` go to `ContainerEngine.create` (address, binds, memory_max, ...).
        """
        if count < 1:
            return []
        self.hold_package_cache()
        # Built (once) before the parallel boots, which would otherwise all wait for it.
        self.engine.images.get(image, progress=_print_progress)
        names = [self.new_name() for _ in range(count)]

        def create_and_start(name):
            self.engine.create(name, ephemeral=True, image=image, **options)
            return self.engine.start(name, timeout=BOOT_TIMEOUT)

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(count, MAX_PARALLEL_BOOTS))
        try:
            futures = [pool.submit(create_and_start, name) for name in names]
            return [future.result() for future in futures]
        except BaseException:
            # Ctrl-C or a failed boot: let the boots in flight end (they are bounded), so that
            # none is left half-made, then take every one of them down.
            pool.shutdown(wait=True, cancel_futures=True)
            self.destroy(names)
            raise
        finally:
            pool.shutdown(wait=True)

    def shared(self, count: int, image: str = DEFAULT_IMAGE) -> list:
        """The first `count` hosts of the session's shared pool of `image`, booting the
        missing ones."""
        with self._lock:
            missing = count - len(self._shared.get(image, ()))
        if missing > 0:
            booted = self.boot(missing, image=image)
            with self._lock:
                self._shared.setdefault(image, []).extend(booted)
        with self._lock:
            return list(self._shared[image][:count])

    def destroy(self, names) -> None:
        """Destroy the named hosts in parallel (those that exist); raise the first failure."""
        names = list(names)
        if not names:
            return
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=min(len(names), MAX_PARALLEL_BOOTS)) as pool:
            futures = [pool.submit(self.engine.destroy, name, missing_ok=True) for name in names]
        errors = [f.exception() for f in futures if f.exception() is not None]
        with self._lock:
            self._shared = {image: [h for h in hosts if h.name not in names]
                            for image, hosts in self._shared.items()}
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Destroy every host this fleet created, then let the package cache go."""
        with self._lock:
            names = list(self._created)
        try:
            self.destroy(names)
        finally:
            if self._cache_key is not None:
                self.engine.package_cache.release(self._cache_key)


class FleetFactory:
    """The per-test `fleet` fixture: `fleet(n)` boots n fresh hosts, torn down after the test."""

    def __init__(self, fleet: Fleet):
        self.fleet = fleet
        self.engine = fleet.engine
        self._names = []

    def __call__(self, count: int = 1, image: str = DEFAULT_IMAGE, **options) -> list:
        """Boot `count` fresh hosts of `image` in parallel; `options` go to
        `ContainerEngine.create`."""
        hosts = self.fleet.boot(count, image=image, **options)
        self._names.extend(h.name for h in hosts)
        return hosts

    def create(self, image: str = DEFAULT_IMAGE, **options) -> ContainerInfo:
        """Create one fresh host of `image` without booting it."""
        info = self.fleet.create(image=image, **options)
        self._names.append(info.name)
        return info

    def new_name(self) -> str:
        """A fresh container name that this test's teardown will destroy if it exists."""
        name = self.fleet.new_name()
        self._names.append(name)
        return name

    def destroy(self, hosts) -> None:
        """Destroy these hosts now (a test may check what teardown leaves)."""
        self.fleet.destroy(h if isinstance(h, str) else h.name for h in hosts)

    def close(self) -> None:
        """Destroy every host this test made."""
        self.fleet.destroy(self._names)


def _print_progress(text: str) -> None:
    # Shown live with -s, and with the output of a test that fails.
    print(text, flush=True)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Let a SIGTERM (a CI timeout, `kill`) unwind the session like Ctrl-C does, so that the
    fixtures' teardown runs instead of the process just dying."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def container_fleet():
    """The session's `Fleet`: cleans up crashed earlier runs first, tears down at the end."""
    problem = None
    try:
        require_root()
    except LispdeployError as error:
        problem = error.render()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    engine = ContainerEngine()
    engine.cleanup_stale()
    fleet = Fleet(engine)
    with _sigterm_as_interrupt():
        try:
            yield fleet
        finally:
            fleet.close()


@pytest.fixture
def fleet(container_fleet):
    """`fleet(n, **create_options)`: n fresh container hosts, destroyed after the test."""
    factory = FleetFactory(container_fleet)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def shared_fleet(container_fleet):
    """`shared_fleet(n, image=DEFAULT_IMAGE)`: n hosts booted once per session; leave them as
    you found them."""
    return container_fleet.shared
