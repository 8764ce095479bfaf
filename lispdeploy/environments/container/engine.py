"""The container host engine: create, boot, stop and destroy local systemd machines.

A container host is an overlay of an image (see `images`: a minimal Debian, a root file
system a user made, or this machine's `/`; its own disk is the overlay's upper directory)
booted by `systemd-nspawn --boot` with systemd as PID 1, sharing the machine's
network and reached over SSH on its own loopback address. State lives on disk (see `state`),
so any process finds the hosts that another one made. While a host boots or runs, it is a
user of the shared package cache (`package_cache`), which its apt goes through.

The engine needs root and runs only argv-list subprocesses; it must not import paramiko (SSH
clients belong in `lispdeploy.remote.ssh`), Hy, or any layer above `environments`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from typing import Callable, Iterable, Optional, Union

from lispdeploy.environments.container import cgroups, disk, limits, mounts, readiness
from lispdeploy.environments.container.images import MACHINE, ImageStore
from lispdeploy.environments.container.package_cache import PackageCache, enabled
from lispdeploy.environments.container.addresses import (
    SSH_PORT, allocate, check_address, check_not_listening, ssh_listeners,
)
from lispdeploy.environments.container.info import ContainerInfo, console_tail
from lispdeploy.environments.container.processes import ProcessRef, namespace_init, terminate
from lispdeploy.environments.container.requirements import find_program, require_root
from lispdeploy.environments.container.state import (
    CREATING, DEGRADED, RUNNING, STARTING, STOPPED, ContainerRecord,
    FileSystemMapping, StateDirectory, UnknownContainerError, check_host_name, check_name,
    file_system_mapping,
)
from lispdeploy.errors import EnvironmentError_

DEFAULT_STATE_DIR = "/var/lib/lispdeploy/containers"
NSPAWN_PROPAGATE = "/run/systemd/nspawn/propagate"


class ContainerEngine:
    """Container hosts recorded in one state directory, managed across processes."""

    def __init__(self, state_dir: str = DEFAULT_STATE_DIR, *, lower: str = "/",
                 images: Optional[ImageStore] = None,
                 package_cache: Optional[PackageCache] = None):
        """`lower` is the root of hosts created without an image (and of records that name
        none); `images` and `package_cache` default to the shared ones under
        /var/lib/lispdeploy."""
        self.state = StateDirectory(state_dir)
        self.lower = lower
        self.package_cache = package_cache or PackageCache()
        self.images = images or ImageStore(cache=self.package_cache)
        # nspawn processes this engine started, so that it can reap them when they end.
        self._children = {}
        self._children_lock = threading.Lock()

    # -- queries -------------------------------------------------------------------------------

    def get(self, name: str) -> Optional[ContainerInfo]:
        """The container host `name` as it is now, or None if there is none."""
        require_root()
        record = self.state.read(check_name(name))
        return None if record is None else self._info(record)

    def list(self) -> list:
        """Every container host of the state directory, by name."""
        require_root()
        records = (self.state.read(name) for name in self.state.names())
        return [self._info(r) for r in records if r is not None]

    # -- life cycle ----------------------------------------------------------------------------

    def create(self, name: str, address: Optional[str] = None, *, host_name: Optional[str] = None,
               binds: Iterable[Union[FileSystemMapping, tuple]] = (),
               memory_max: Union[int, str, None] = None, ephemeral: bool = False,
               owner: Optional[int] = None, image: Optional[str] = None,
               progress: Optional[Callable[[str], None]] = None,
               deployment: Optional[str] = None, spec: Optional[str] = None) -> ContainerInfo:
        """Create a stopped container host; `address` None picks a free loopback address.

        `image` is what the host is an overlay of ("debian-12", "debian-13", "machine", the
        path of a root file system); it is built first if missing, telling `progress`. None
        means the engine's `lower` (/). `binds` are directories of this machine shown in the
        host; `memory_max` limits the host's memory (bytes, or "512M"). An `ephemeral` host
        belongs to this process (or to the process `owner`, a PID): `cleanup_stale` destroys
        it once that process is gone. `deployment` and `spec` record the deployment that
        creates the host and its spec.
        """
        require_root()
        find_program("systemd-nspawn")
        check_name(name)
        host_name = check_host_name(host_name or name)
        mappings = tuple(file_system_mapping(b) for b in binds)
        size = cgroups.parse_size(memory_max)
        if size is not None:
            cgroups.check_memory_supported()
        directory = self.state.container_dir(name)
        with contextlib.ExitStack() as held:
            lower, image_name = self.lower, None
            if image is not None:
                if os.path.lexists(directory):
                    # Said before an image is built for nothing.
                    self._reserve_address(name, address)
                # Held until the host's record names the image, so that nobody removes it
                # meanwhile.
                found = held.enter_context(self.images.using(image, progress=progress))
                lower, image_name = found.root, found.name
            with self.state.allocation_lock():
                address = self._reserve_address(name, address)
                os.mkdir(directory, 0o700)
                record = ContainerRecord(
                    name=name, host_name=host_name, address=address,
                    identity=os.path.join(directory, "identity"), host_key="", state=CREATING,
                    mappings=mappings, memory_max=size, ephemeral=ephemeral,
                    owner=_owner(owner), image=image_name, lower=lower,
                    deployment=deployment, spec=spec)
                try:
                    self.state.write(record)
                    # Taken before the allocation lock is let go, so that nobody can start or
                    # clean up a half-made host; kept while its disk is written.
                    held.enter_context(self.state.container_lock(name))
                except BaseException:
                    self.state.remove_directory(directory)
                    raise
            held.enter_context(_remove_on_error(self, directory))
            return self._info(self._make_disk(record, directory))

    def claim(self, name: str, deployment: str, spec: Optional[str] = None) -> ContainerInfo:
        """Record that `deployment` (deployed from `spec`) owns the host: for hosts made
        before deployments were recorded, and to follow a spec that moved."""
        require_root()
        with self.state.container_lock(check_name(name)):
            record = self._read(name).replace(deployment=deployment, spec=spec)
            self.state.write(record)
            return self._info(record)

    def start(self, name: str, timeout: float = 60.0) -> ContainerInfo:
        """Boot container host `name` (if it is not running) and wait until it is reachable.

        Reachable means systemd inside reports `running` (or `degraded`, which the state says)
        and the host's sshd answers on its address. After `timeout` seconds the boot is
        abandoned, the host stopped, and the error shows the end of its console.
        """
        require_root()
        nspawn = find_program("systemd-nspawn")
        with self.state.container_lock(check_name(name)):
            record = self._read(name)
            if record.state == CREATING:
                raise EnvironmentError_(f"container host {name} was never finished",
                                        hint="destroy it and create it again")
            with contextlib.ExitStack() as stack:
                notifications = None
                if _alive(record.nspawn):
                    if record.state in (RUNNING, DEGRADED):
                        return self._info(record)
                else:
                    self._halt(record, timeout=10.0)
                    check_not_listening(record.address)
                    limits.check_limits(1)
                    notifications = readiness.Notifications(name)
                    stack.callback(notifications.close)
                    record = self._boot(record, nspawn, notifications)
                try:
                    record = self._wait_ready(record, time.monotonic() + timeout, timeout,
                                              notifications)
                except BaseException:
                    self._halt(record, timeout=10.0)
                    self.state.write(_stopped(record))
                    raise
            self.state.write(record)
            return self._info(record)

    def stop(self, name: str, timeout: float = 30.0) -> ContainerInfo:
        """Power container host `name` off and unmount its overlay, keeping its disk."""
        require_root()
        with self.state.container_lock(check_name(name)):
            record = self._read(name)
            self._halt(record, timeout=timeout)
            record = _stopped(record) if record.state != CREATING else record
            self.state.write(record)
            return self._info(record)

    def destroy(self, name: str, *, timeout: float = 30.0, missing_ok: bool = False) -> None:
        """Stop container host `name` and remove everything it had: disk, keys, state."""
        require_root()
        try:
            with self.state.container_lock(check_name(name)):
                record = self._read(name)
                self._halt(record, timeout=timeout)
                self.state.remove_directory(self.state.container_dir(name))
        except UnknownContainerError:
            if not missing_ok:
                raise

    def cleanup_stale(self) -> list:
        """Clean up after processes that died: return the names of the hosts dealt with.

        Ephemeral hosts whose owner is gone, and hosts whose creation never finished, are
        destroyed. Hosts whose nspawn died without a stop are stopped (their disk is kept).
        Hosts of live processes are not touched. Processes are found by recorded PID only.
        """
        require_root()
        cleaned = []
        for name in self.state.names():
            record = self.state.read(name)
            if record is None:
                continue
            owner_gone = record.owner is None or not record.owner.alive()
            if (record.ephemeral or record.state == CREATING) and owner_gone:
                self.destroy(name, missing_ok=True)
                cleaned.append(name)
            elif record.state in (STARTING, RUNNING, DEGRADED) and not _alive(record.nspawn):
                if self._stop_crashed(name):
                    cleaned.append(name)
        self.state.remove_trash()
        self.images.cleanup()
        self.package_cache.prune()
        return cleaned

    # -- steps ---------------------------------------------------------------------------------

    def _reserve_address(self, name: str, address: Optional[str]) -> str:
        """Under the allocation lock: check that `name` is free, return the host's address."""
        if os.path.lexists(self.state.container_dir(name)):
            raise EnvironmentError_(f"a container host named {name} already exists",
                                    hint="start it, or destroy it first")
        users = {}
        for other in self.state.names():
            record = self.state.read(other)
            if record is not None:
                users[record.address] = other
        listeners = ssh_listeners()
        if address is None:
            return allocate(users, listeners)
        address = check_address(address)
        if address in users:
            raise EnvironmentError_(
                f"address {address} is taken by container host {users[address]}",
                hint="choose another address, or leave it out to get a free one")
        check_not_listening(address, listeners)
        return address

    def _make_disk(self, record: ContainerRecord, directory: str) -> ContainerRecord:
        """Write the keys and the first contents of the host's disk; the host is then stopped."""
        controller = socket.gethostname() or "controller"
        disk.generate_key(record.identity, f"lispdeploy@{controller}")
        with open(record.identity + ".pub") as f:
            authorized_key = f.read()
        for part in ("upper", "work", "merged"):
            os.mkdir(os.path.join(directory, part), 0o700)
        # The upper directory's own metadata is what the host sees as its `/`.
        lower = self._lower(record)
        root = os.stat(lower)
        upper = os.path.join(directory, "upper")
        os.chown(upper, root.st_uid, root.st_gid)
        os.chmod(upper, stat.S_IMODE(root.st_mode))
        cache = self.package_cache
        prepared = disk.prepare(
            upper, host_name=record.host_name, address=record.address,
            authorized_key=authorized_key, lower=lower,
            package_cache=(cache.address, cache.port, cache.archive.proxy) if enabled() else None)
        record = record.replace(host_key=prepared.host_key, state=STOPPED,
                                disabled_units=prepared.disabled_units,
                                masked_units=prepared.masked_units)
        self.state.write(record)
        return record

    def _boot(self, record: ContainerRecord, nspawn: str,
              notifications: readiness.Notifications) -> ContainerRecord:
        """Mount the overlay and launch nspawn; return the record of a starting host."""
        directory = self.state.container_dir(record.name)
        merged = os.path.join(directory, "merged")
        lower = self._lower(record)
        if not os.path.isdir(lower):
            raise EnvironmentError_(
                f"container host {record.name} cannot boot: its image {record.image} "
                f"({lower}) was removed", hint="destroy the host and create it again")
        # Until nspawn runs, this process keeps the host's use of the package cache alive.
        cache_key = self._cache_key(record.name)
        self.package_cache.use(cache_key, [ProcessRef.current()])
        mounts.mount_overlay(lower=lower, upper=os.path.join(directory, "upper"),
                             work=os.path.join(directory, "work"), merged=merged)
        # A host of this machine's / sees its resolv.conf through the overlay; an image has
        # none, and gets this machine's copied at each boot (as a server gets its resolver).
        resolv_conf = "off" if lower == "/" else "copy-host"
        argv = [nspawn, "--boot", "--register=no", "--keep-unit", "--link-journal=no",
                f"--resolv-conf={resolv_conf}", "--timezone=off", "--console=read-only",
                "--notify-ready=yes", f"--machine={record.name}",
                f"--hostname={record.host_name}", "-D", merged]
        argv += [f"--bind{'' if m.writable else '-ro'}={m.source}:{m.target}"
                 for m in record.mappings]
        groups = ()
        try:
            groups = cgroups.create(record.name, record.memory_max)
            argv = cgroups.enter_command(groups, sys.executable) + argv
            with open(os.path.join(directory, "console.log"), "wb") as log:
                # A session of its own: a Ctrl-C meant for the caller must not reach nspawn,
                # which would kill the host without shutting it down.
                child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env={**readiness.TOOL_ENVIRONMENT,
                                              **notifications.environment})
        except BaseException:
            cgroups.remove(groups)
            mounts.unmount(merged)
            self.package_cache.release(cache_key)
            raise
        with self._children_lock:
            self._children[child.pid] = child
        self.package_cache.use(cache_key, [ProcessRef.of(child.pid), ProcessRef.current()])
        record = record.replace(state=STARTING, nspawn=ProcessRef.of(child.pid), leader=None,
                                cgroups=groups, failed_units=())
        self.state.write(record)
        return record

    def _wait_ready(self, record: ContainerRecord, deadline: float, timeout: float,
                    notifications: Optional[readiness.Notifications]) -> ContainerRecord:
        """Wait (until `deadline`) for the host's systemd and sshd to be up.

        With `notifications` (a boot this engine launched) nspawn says when systemd is done;
        otherwise (a boot whose starter died) the host is polled.
        """
        merged = os.stat(os.path.join(self.state.container_dir(record.name), "merged"))
        if notifications is not None:
            _, leader_pid = notifications.wait(record.nspawn, deadline)
            leader = ProcessRef.of(leader_pid) if leader_pid is not None else None
            if leader is not None and readiness.root_is(leader, merged):
                record = record.replace(leader=leader)
                self.state.write(record)
        status, interval = "", 0.05
        while True:
            if not _alive(record.nspawn):
                raise self._boot_error(record, "stopped while booting")
            if record.leader is None:
                leader = namespace_init(record.nspawn.pid)
                # Until nspawn has switched the new namespace's root to the overlay, systemctl
                # entered there would ask this machine's own service manager.
                if leader is not None and readiness.root_is(leader, merged):
                    record = record.replace(leader=leader)
                    self.state.write(record)
            if record.leader is not None:
                status = readiness.system_state(record.leader)
                if status in ("running", "degraded"):
                    break
                if status in ("maintenance", "stopping"):
                    raise self._boot_error(record, f"boot ended in state {status!r}")
            if time.monotonic() >= deadline:
                raise self._boot_error(record, f"did not finish booting within {timeout:g} s "
                                               f"(last state: {status or 'unknown'})")
            time.sleep(interval)
            interval = min(interval * 1.5, 0.5)
        failed = readiness.failed_units(record.leader) if status == "degraded" else ()
        if not readiness.ssh_answers(record.address, deadline):
            raise self._boot_error(record, f"booted, but its sshd does not answer on "
                                           f"{record.address}:{SSH_PORT} within {timeout:g} s")
        return record.replace(state=status, failed_units=failed)

    def _halt(self, record: ContainerRecord, *, timeout: float) -> None:
        """Make sure nothing of the host runs or is mounted; its disk stays."""
        nspawn, leader = record.nspawn, record.leader
        if _alive(nspawn):
            leader = leader or namespace_init(nspawn.pid)
            # nspawn turns SIGTERM into an orderly poweroff of the host.
            nspawn.signal(signal.SIGTERM)
            if not self._wait_gone(nspawn, timeout):
                terminate([leader, nspawn], timeout=5.0)
                self._wait_gone(nspawn, 5.0)
        elif _alive(leader):
            # nspawn died and left systemd running: SIGRTMIN+4 asks systemd to power off.
            leader.signal(signal.SIGRTMIN + 4)
            leader.wait_gone(timeout)
        # A SIGKILLed nspawn does not take its host down with it.
        if not terminate([leader], timeout=5.0):
            raise EnvironmentError_(f"container host {record.name}: process {leader.pid} "
                                    "does not end, even on SIGKILL")
        if nspawn is not None:
            with self._children_lock:
                self._children.pop(nspawn.pid, None)
        mounts.unmount(os.path.join(self.state.container_dir(record.name), "merged"))
        cgroups.remove(record.cgroups)
        propagate = os.path.join(NSPAWN_PROPAGATE, record.name)
        if os.path.isdir(propagate) and not mounts.mounts_under(propagate):
            shutil.rmtree(propagate, ignore_errors=True)
        self.package_cache.release(self._cache_key(record.name))

    def _stop_crashed(self, name: str) -> bool:
        """Stop host `name` if its nspawn is (still) gone; whether it did."""
        try:
            with self.state.container_lock(name):
                record = self._read(name)
                if record.state not in (STARTING, RUNNING, DEGRADED) or _alive(record.nspawn):
                    return False
                self._halt(record, timeout=10.0)
                self.state.write(_stopped(record))
                return True
        except UnknownContainerError:
            return False

    # -- helpers -------------------------------------------------------------------------------

    def _lower(self, record: ContainerRecord) -> str:
        return record.lower or self.lower

    def _cache_key(self, name: str) -> str:
        """The host's name as a user of the package cache (unique across state directories)."""
        digest = hashlib.sha256(self.state.path.encode()).hexdigest()[:8]
        return f"host-{digest}-{name}"

    def _read(self, name: str) -> ContainerRecord:
        record = self.state.read(name)
        if record is None:
            raise UnknownContainerError(f"there is no container host named {name!r}")
        return record

    def _wait_gone(self, process: ProcessRef, timeout: float) -> bool:
        with self._children_lock:
            child = self._children.get(process.pid)
        if child is None:
            return process.wait_gone(timeout)
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _boot_error(self, record: ContainerRecord, what: str) -> EnvironmentError_:
        log = os.path.join(self.state.container_dir(record.name), "console.log")
        tail = console_tail(log)
        cause = limits.diagnose(tail)
        return EnvironmentError_(f"container host {record.name} {what}" +
                                 (f": {cause}" if cause else ""),
                                 hint=f"the end of its console ({log}):\n{tail}")

    def _info(self, record: ContainerRecord) -> ContainerInfo:
        state, pid = record.state, None
        if state in (STARTING, RUNNING, DEGRADED):
            if _alive(record.nspawn):
                pid = record.nspawn.pid
            else:
                state = STOPPED
        return ContainerInfo(
            name=record.name, host_name=record.host_name, address=record.address,
            identity=record.identity, host_key=record.host_key, state=state, pid=pid,
            console_log=os.path.join(self.state.container_dir(record.name), "console.log"),
            failed_units=record.failed_units, mappings=record.mappings,
            memory_max=record.memory_max, ephemeral=record.ephemeral,
            image=record.image or (MACHINE if self._lower(record) == "/" else self._lower(record)),
            lower=self._lower(record), deployment=record.deployment, spec=record.spec,
            directory=self.state.container_dir(record.name),
            owner=record.owner.pid if record.ephemeral and record.owner else None)


def _owner(pid: Optional[int]) -> ProcessRef:
    if pid is None:
        return ProcessRef.current()
    ref = ProcessRef.of(pid)
    if ref is None:
        raise EnvironmentError_(f"the owner process {pid} of a new container host is not running")
    return ref


def _alive(process: Optional[ProcessRef]) -> bool:
    return process is not None and process.alive()


def _stopped(record: ContainerRecord) -> ContainerRecord:
    return record.replace(state=STOPPED, nspawn=None, leader=None, cgroups=(), failed_units=())


@contextlib.contextmanager
def _remove_on_error(engine: ContainerEngine, directory: str):
    """Remove a half-created container directory if creating it fails or is interrupted."""
    try:
        yield
    except BaseException:
        engine.state.remove_directory(directory)
        raise
