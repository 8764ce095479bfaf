"""What lispdeploy remembers about each container host, on disk, shared between processes.

Layout of the state directory (default /var/lib/lispdeploy/containers):

    .lock                  flock held while a name and an address are handed out
    <name>/state.json      a `ContainerRecord`, replaced atomically
    <name>/identity[.pub]  the key the controller logs in with (mode 600)
    <name>/console.log     the console of the current (or last) boot
    <name>/upper, work     the overlay's upper and work directories: the host's own disk
    <name>/merged          where the overlay is mounted while the host runs; its lower layer
                           is the record's `lower` (an image's root, or /)
    .trash-<name>-<n>      a destroyed host being removed (renamed first, so lists skip it)

Each container directory is itself the lock of that container (flock on its descriptor).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import itertools
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass
from typing import Iterator, Optional, Tuple, Union

from lispdeploy.environments.container.mounts import mounts_under
from lispdeploy.environments.container.processes import ProcessRef
from lispdeploy.errors import EnvironmentError_

FORMAT = 1
STATE_FILE = "state.json"
GLOBAL_LOCK = ".lock"
TRASH_PREFIX = ".trash-"
_trash_counter = itertools.count()
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_HOST_NAME = re.compile(r"(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
                        r"(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\Z")

# `creating`: name and address reserved, disk being prepared; `stopped`: ready to boot.
CREATING, STOPPED, STARTING = "creating", "stopped", "starting"
RUNNING, DEGRADED = "running", "degraded"


@dataclass(frozen=True)
class FileSystemMapping:
    """A directory of this machine shown inside a container host (Guix's `file-system-mapping`).

    `writable` false means the host sees it read-only.
    """

    source: str
    target: str
    writable: bool = False

    def to_json(self) -> dict:
        """The mapping as a JSON object."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ContainerRecord:
    """The persistent description of one container host (the contents of state.json)."""

    name: str
    host_name: str
    address: str
    identity: str
    host_key: str
    state: str = STOPPED
    mappings: Tuple[FileSystemMapping, ...] = ()
    memory_max: Optional[int] = None
    ephemeral: bool = False
    owner: Optional[ProcessRef] = None
    nspawn: Optional[ProcessRef] = None
    leader: Optional[ProcessRef] = None
    cgroups: Tuple[str, ...] = ()
    disabled_units: Tuple[str, ...] = ()
    masked_units: Tuple[str, ...] = ()
    failed_units: Tuple[str, ...] = ()
    # The image the host was made from ("debian-12", "machine", a path) and the directory its
    # overlay's lower layer is. Records written before images existed have neither: their
    # hosts are overlays of the engine's own lower directory (/).
    image: Optional[str] = None
    lower: Optional[str] = None
    # The deployment that created the host (only it destroys or prunes the host) and the spec
    # it was last deployed from. Records written before deployments existed have neither.
    deployment: Optional[str] = None
    spec: Optional[str] = None

    def replace(self, **changes) -> "ContainerRecord":
        """A copy with `changes` applied."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict:
        """The record as the JSON object stored in state.json."""
        return {
            "format": FORMAT,
            "name": self.name, "host_name": self.host_name, "address": self.address,
            "identity": self.identity, "host_key": self.host_key, "state": self.state,
            "mappings": [m.to_json() for m in self.mappings],
            "memory_max": self.memory_max, "ephemeral": self.ephemeral,
            "owner": self.owner.to_json() if self.owner else None,
            "nspawn": self.nspawn.to_json() if self.nspawn else None,
            "leader": self.leader.to_json() if self.leader else None,
            "cgroups": list(self.cgroups),
            "disabled_units": list(self.disabled_units),
            "masked_units": list(self.masked_units),
            "failed_units": list(self.failed_units),
            # Keys added after format 1 was first written: readers that predate them ignore
            # them, and `from_json` reads records without them.
            "image": self.image, "lower": self.lower,
            "deployment": self.deployment, "spec": self.spec,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ContainerRecord":
        """Read a record written by `to_json`."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown state format {data.get('format')!r}")
        return cls(
            name=data["name"], host_name=data["host_name"], address=data["address"],
            identity=data["identity"], host_key=data["host_key"], state=data["state"],
            mappings=tuple(FileSystemMapping(**m) for m in data["mappings"]),
            memory_max=data["memory_max"], ephemeral=data["ephemeral"],
            owner=ProcessRef.from_json(data["owner"]),
            nspawn=ProcessRef.from_json(data["nspawn"]),
            leader=ProcessRef.from_json(data["leader"]),
            cgroups=tuple(data["cgroups"]),
            disabled_units=tuple(data["disabled_units"]),
            masked_units=tuple(data["masked_units"]),
            failed_units=tuple(data["failed_units"]),
            image=data.get("image"), lower=data.get("lower"),
            deployment=data.get("deployment"), spec=data.get("spec"),
        )


def check_name(name: str, what: str = "container name") -> str:
    """Return `name` if it can name a container (a short lower-case host name), else raise."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise EnvironmentError_(
            f"{what} {name!r} is not valid",
            hint="use 1 to 63 lower-case letters, digits and '-', not starting or ending with '-'")
    return name


def check_host_name(host_name: str) -> str:
    """Return `host_name` if it is a valid (lower-case) host name, else raise."""
    if not isinstance(host_name, str) or not _HOST_NAME.match(host_name):
        raise EnvironmentError_(f"host name {host_name!r} is not valid",
                                hint="use lower-case letters, digits, '-' and '.'")
    return host_name


def file_system_mapping(value: Union[FileSystemMapping, tuple]) -> FileSystemMapping:
    """A checked mapping from a `FileSystemMapping` or a (source, target[, writable]) tuple."""
    mapping = value if isinstance(value, FileSystemMapping) else FileSystemMapping(*value)
    for path in (mapping.source, mapping.target):
        if not isinstance(path, str) or not os.path.isabs(path) or any(c in path for c in ":\\\n"):
            raise EnvironmentError_(f"bind mount path {path!r} must be absolute and contain no "
                                    "':' or '\\'", hint="e.g. (\"/srv/data\", \"/srv/data\")")
    if not os.path.exists(mapping.source):
        raise EnvironmentError_(f"bind mount source {mapping.source} does not exist")
    if os.path.normpath(mapping.target) == "/":
        raise EnvironmentError_("a bind mount cannot replace the host's /")
    return mapping


class StateDirectory:
    """The state directory: reading and atomically writing records, and the locks."""

    def __init__(self, path: str):
        if any(c in path for c in ",:\\\n"):
            # The path goes into overlayfs mount options and nspawn arguments, which use these
            # characters as separators.
            raise EnvironmentError_(
                f"container state directory {path!r} contains ',', ':' or '\\'",
                hint="choose a plain path such as /var/lib/lispdeploy/containers")
        self.path = os.path.abspath(path)

    def container_dir(self, name: str) -> str:
        """The directory of container `name`."""
        return os.path.join(self.path, name)

    def ensure(self) -> None:
        """Create the state directory (mode 700: it holds private keys)."""
        os.makedirs(self.path, mode=0o700, exist_ok=True)

    def names(self) -> list:
        """Names of the containers that have a state file, sorted."""
        try:
            entries = os.listdir(self.path)
        except FileNotFoundError:
            return []
        return sorted(e for e in entries if _NAME.match(e)
                      and os.path.exists(os.path.join(self.path, e, STATE_FILE)))

    def trash(self) -> list:
        """Paths of destroyed containers whose removal did not finish."""
        try:
            entries = os.listdir(self.path)
        except FileNotFoundError:
            return []
        return sorted(os.path.join(self.path, e) for e in entries if e.startswith(TRASH_PREFIX))

    def read(self, name: str) -> Optional[ContainerRecord]:
        """The record of `name`, or None if there is no such container."""
        path = os.path.join(self.container_dir(name), STATE_FILE)
        try:
            with open(path) as f:
                data = json.load(f)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError) as error:
            raise EnvironmentError_(f"container {name}: unreadable state file {path}: {error}",
                                    hint=f"remove {self.container_dir(name)} by hand") from None
        return ContainerRecord.from_json(data)

    def write(self, record: ContainerRecord) -> None:
        """Replace the record of its container atomically (readers see old or new, never half)."""
        directory = self.container_dir(record.name)
        temporary = os.path.join(directory, f".{STATE_FILE}.{os.getpid()}.{threading.get_ident()}")
        with open(temporary, "w") as f:
            json.dump(record.to_json(), f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, os.path.join(directory, STATE_FILE))

    def remove_directory(self, directory: str) -> None:
        """Remove a container directory; refuses while anything is mounted below it."""
        if not os.path.lexists(directory):
            return
        mounted = mounts_under(directory)
        if mounted:
            # Removing files through a mounted overlay of / would be a disaster.
            raise EnvironmentError_(f"refusing to remove {directory}: {mounted[0]} is mounted",
                                    hint=f"unmount it first: umount {mounted[0]}")
        # Renamed first so that lists skip it at once; a crash mid-removal leaves only trash,
        # which `remove_trash` removes later.
        trash = os.path.join(self.path, f"{TRASH_PREFIX}{os.path.basename(directory)}-"
                                        f"{os.getpid()}-{next(_trash_counter)}")
        os.rename(directory, trash)
        _remove_tree(trash)

    def remove_trash(self) -> None:
        """Finish removing destroyed containers whose removal was interrupted (not those that
        a live process is removing right now)."""
        for path in self.trash():
            remover = re.search(r"-(\d+)-\d+\Z", path)
            if remover and os.path.exists(f"/proc/{remover[1]}"):
                continue
            if not mounts_under(path):
                shutil.rmtree(path, ignore_errors=True)

    @contextlib.contextmanager
    def allocation_lock(self) -> Iterator[None]:
        """Hold the lock under which names and addresses are handed out (across processes)."""
        self.ensure()
        fd = os.open(os.path.join(self.path, GLOBAL_LOCK), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def container_lock(self, name: str) -> Iterator[None]:
        """Hold the lock of container `name`; raise if it does not exist (or was just removed)."""
        path = self.container_dir(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            raise _unknown(name) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Whoever held the lock before may have destroyed the container meanwhile: the
            # descriptor then names a directory that is no longer at `path`.
            try:
                current = os.stat(path)
            except FileNotFoundError:
                raise _unknown(name) from None
            held = os.fstat(fd)
            if (current.st_dev, current.st_ino) != (held.st_dev, held.st_ino) or \
                    not os.path.exists(os.path.join(path, STATE_FILE)):
                raise _unknown(name)
            yield
        finally:
            os.close(fd)


def _remove_tree(path: str) -> None:
    """rmtree that tolerates files someone else removes meanwhile (an older engine's cleanup
    may be removing the same trash)."""
    def gone_already(function, name, info):
        if not issubclass(info[0], FileNotFoundError):
            raise info[1]
    shutil.rmtree(path, onerror=gone_already)


class UnknownContainerError(EnvironmentError_):
    """There is no container host of that name (in this state directory)."""


def _unknown(name: str) -> EnvironmentError_:
    return UnknownContainerError(f"there is no container host named {name!r}",
                             hint="`lispdeploy container list` shows the container hosts")
