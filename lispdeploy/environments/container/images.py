"""Images: the read-only root file systems container hosts are overlays of.

An image is named as a spec names it:

- "debian-12", "debian-13": a minimal Debian (minbase plus systemd, systemd-sysv, dbus,
  openssh-server and python3: the shape of a fresh cloud server), built once with mmdebstrap
  from the mirror this machine's apt uses and kept under /var/lib/lispdeploy/images;
- "machine": this machine's own `/` (the packages, Python and configuration of the machine);
- a path to a root file system a user made: a directory, used where it is, or a tarball
  (tar, optionally compressed), unpacked once into the image store.

A stored image is built (or unpacked) in a directory of its own beside the others and renamed
into place when complete, so nobody ever boots a half-built one. Builds of one image are
serialised across processes by a lock file, and the second caller finds the first one's
image. Hosts name the image they were made from, and an image is only removed when no host
uses it.

Layout of the store:

    .lock-<key>                      flock: exclusive while <key> is built or removed, shared
                                     while a host is being created from it
    <key>_r<recipe>_<UTC time>/      a complete image: image.json, build.log, root/
    .build-<key>-<pid>-<start>-<n>/  an image being built by process <pid>
    .trash-<dir>-<pid>-<n>/          a removed image being deleted

Imports `errors` and the siblings `archive`, `mounts`, `package_cache` and `processes` only.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, List, Optional, Tuple

from lispdeploy.environments.container import mounts
from lispdeploy.environments.container.archive import (
    RELEASES, Archive, machine_archive, machine_release, os_release,
)
from lispdeploy.environments.container.package_cache import PackageCache
from lispdeploy.environments.container.processes import ProcessRef
from lispdeploy.errors import EnvironmentError_

DEFAULT_DIR = "/var/lib/lispdeploy/images"
MACHINE = "machine"
# Raised whenever what a built image contains changes, so that hosts get the new recipe.
RECIPE = 1
PACKAGES = ("systemd", "systemd-sysv", "dbus", "openssh-server", "python3")
# What no two hosts may share, and what the engine gives each host itself: host keys, the
# machine's host name and DNS configuration (copied at each boot).
_CUSTOMIZE = ('rm -f "$1"/etc/ssh/ssh_host_*_key "$1"/etc/ssh/ssh_host_*_key.pub '
              '"$1"/etc/hostname "$1"/etc/resolv.conf; : > "$1"/etc/machine-id')
BUILD_TIMEOUT = 1800.0
_STORED = re.compile(r"(?P<key>[a-z0-9][a-z0-9.-]*)_r(?P<recipe>\d+)_(?P<time>\d{8}T\d{6}Z)\Z")
_counter = itertools.count()
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Image:
    """A root file system hosts can boot from.

    `name` is what a spec says ("debian-12", "machine", a path); `root` the directory hosts
    are overlays of. `kind` is "release", "machine", "directory" or "tarball". Stored images
    also have their `directory` in the store and what `image.json` says of their build.
    """

    name: str
    root: str
    kind: str
    directory: Optional[str] = None
    release: Optional[str] = None
    built: Optional[str] = None
    build_seconds: Optional[float] = None
    recipe: Optional[int] = None
    source: Optional[str] = None
    details: dict = field(default_factory=dict, compare=False)

    @property
    def current(self) -> bool:
        """Whether a stored image is of today's recipe (older ones serve only old hosts)."""
        return self.kind != "release" or self.recipe == RECIPE


def release_names() -> Tuple[str, ...]:
    """The names of the minimal images lispdeploy builds: debian-12, debian-13."""
    return tuple(f"debian-{version}" for version in RELEASES)


def default_image() -> str:
    """The minimal image of this machine's own Debian release ("debian-12" on bookworm)."""
    version = machine_release()
    if version is None:
        name = os_release().get("PRETTY_NAME", "this system")
        raise EnvironmentError_(
            f"there is no minimal image of this machine's release ({name}) to default to",
            hint=f"choose one in the container-configuration: (image \"debian-12\"), "
                 f"(image \"debian-13\"), (image 'machine) or a path to a root file system")
    return f"debian-{version}"


def check_name(name: str) -> str:
    """`name` if it names an image (see the module docstring), else raise with the choices."""
    if name == MACHINE or name in release_names() or os.path.isabs(name):
        return name
    raise EnvironmentError_(
        f"unknown image {name!r}",
        hint=f"use one of {', '.join(release_names())}, 'machine (this machine's /), or an "
             "absolute path to a root file system (a directory or a tarball)")


def check_root(root: str, name: str) -> None:
    """Raise unless directory `root` looks bootable as a lispdeploy host (systemd, sshd,
    python3), naming what is missing."""
    needs = [
        (("usr/lib/systemd/systemd", "lib/systemd/systemd"), "systemd", "systemd systemd-sysv"),
        (("etc/ssh/sshd_config",), "an SSH server", "openssh-server"),
        (("usr/bin/python3", "bin/python3"), "python3 (lispdeploy's host code runs on it)",
         "python3"),
    ]
    for paths, what, package in needs:
        if not any(os.path.lexists(os.path.join(root, p)) for p in paths):
            raise EnvironmentError_(
                f"image {name} has no {what}: container hosts boot systemd and are reached "
                "over SSH", hint=f"install {package} in it (e.g. mmdebstrap "
                                 f"--include={package.replace(' ', ',')})")


class ImageStore:
    """The images of one store directory (default /var/lib/lispdeploy/images)."""

    def __init__(self, directory: str = DEFAULT_DIR, *, archive: Optional[Archive] = None,
                 cache: Optional[PackageCache] = None, mmdebstrap: str = "mmdebstrap"):
        if any(c in directory for c in ",:\\\n"):
            # Image roots go into overlayfs mount options, where these are separators.
            raise EnvironmentError_(f"image directory {directory!r} contains ',', ':' or '\\'")
        self.directory = os.path.abspath(directory)
        self._archive = archive
        self.cache = cache
        self.mmdebstrap = mmdebstrap

    # -- finding -------------------------------------------------------------------------------

    def find(self, name: str) -> Optional[Image]:
        """The image `name` if it can be used without building, else None."""
        check_name(name)
        if name == MACHINE:
            return Image(name=MACHINE, root="/", kind="machine")
        if name in release_names():
            return self._newest(name)
        path = os.path.abspath(name)
        if os.path.isdir(path):
            if os.path.realpath(path) == "/":
                return Image(name=MACHINE, root="/", kind="machine")
            check_root(path, name)
            return Image(name=path, root=os.path.realpath(path), kind="directory", source=path)
        if os.path.isfile(path):
            return self._newest(_tarball_key(path))
        raise EnvironmentError_(f"image {name}: no such directory or file",
                                hint="give the path of a root file system (a directory or a "
                                     "tarball), or debian-12, debian-13, 'machine")

    def get(self, name: str, *, progress: Optional[Progress] = None) -> Image:
        """The image `name`, built (or unpacked) first if it is not in the store yet."""
        image = self.find(name)
        return image if image is not None else self.build(name, progress=progress)

    @contextlib.contextmanager
    def using(self, name: str, *, progress: Optional[Progress] = None) -> Iterator[Image]:
        """The image `name` (built if missing), kept from removal until the block ends: a host
        being created from it records it meanwhile."""
        image = self.get(name, progress=progress)
        if image.directory is None:
            yield image
            return
        for _ in range(3):
            with self._lock(self._key_of(image), shared=True):
                if os.path.isdir(image.root):
                    yield image
                    return
            # Removed between finding and locking: build it again.
            image = self.get(name, progress=progress)
        raise EnvironmentError_(f"image {name} keeps being removed while hosts are created")

    def list(self) -> List[Image]:
        """Every image in the store, oldest first."""
        found = []
        for entry in _listdir(self.directory):
            if _STORED.match(entry):
                image = self._read(os.path.join(self.directory, entry))
                if image is not None:
                    found.append(image)
        return sorted(found, key=lambda i: (i.built or "", i.name))

    def _newest(self, key: str) -> Optional[Image]:
        candidates = []
        for entry in _listdir(self.directory):
            match = _STORED.match(entry)
            if match and match["key"] == key and int(match["recipe"]) == RECIPE:
                candidates.append(entry)
        for entry in sorted(candidates, reverse=True):
            image = self._read(os.path.join(self.directory, entry))
            if image is not None and os.path.isdir(image.root):
                return image
        return None

    def _read(self, directory: str) -> Optional[Image]:
        try:
            with open(os.path.join(directory, "image.json")) as f:
                data = json.load(f)
        except (FileNotFoundError, ValueError):
            return None
        return Image(name=data["name"], root=os.path.join(directory, "root"), kind=data["kind"],
                     directory=directory, release=data.get("release"), built=data.get("built"),
                     build_seconds=data.get("build_seconds"), recipe=data.get("recipe"),
                     source=data.get("source"), details=data)

    def _key_of(self, image: Image) -> str:
        match = _STORED.match(os.path.basename(image.directory or ""))
        return match["key"] if match else image.name

    # -- building ------------------------------------------------------------------------------

    def build(self, name: str, *, progress: Optional[Progress] = None,
              rebuild: bool = False) -> Image:
        """Build image `name` into the store (a release) or unpack it (a tarball); with
        `rebuild`, even if it is there already (hosts of the old one keep it)."""
        check_name(name)
        progress = progress or (lambda text: None)
        if name == MACHINE or os.path.isdir(name):
            image = self.find(name)
            assert image is not None
            return image
        tarball = None if name in release_names() else os.path.abspath(name)
        if tarball is not None and not os.path.isfile(tarball):
            self.find(name)  # raises the error naming what is wrong
        key = name if tarball is None else _tarball_key(tarball)
        os.makedirs(self.directory, mode=0o755, exist_ok=True)
        with self._lock(key, shared=False):
            self.cleanup()
            existing = self._newest(key)
            if existing is not None and not rebuild:
                # Built by another process while this one waited for the lock.
                return existing
            started = time.monotonic()
            building = os.path.join(
                self.directory, f".build-{key}-{_process_tag(ProcessRef.current())}-"
                                f"{next(_counter)}")
            os.mkdir(building, 0o755)
            try:
                if tarball is None:
                    details = self._build_release(name, building, progress)
                else:
                    details = self._unpack(tarball, building, progress)
                check_root(os.path.join(building, "root"), name)
                stamp = datetime.datetime.now(datetime.timezone.utc)
                details.update(name=name if tarball is None else tarball,
                               recipe=RECIPE, built=stamp.isoformat(timespec="seconds"),
                               build_seconds=round(time.monotonic() - started, 1),
                               size=_tree_size(os.path.join(building, "root")))
                with open(os.path.join(building, "image.json"), "w") as f:
                    json.dump(details, f, indent=2, sort_keys=True)
                    f.write("\n")
                final = os.path.join(self.directory,
                                     f"{key}_r{RECIPE}_{stamp.strftime('%Y%m%dT%H%M%SZ')}")
                os.rename(building, final)
            except BaseException:
                self._discard(building)
                raise
        image = self._read(final)
        assert image is not None
        progress(f"image {name} ready ({image.build_seconds:g} s)")
        return image

    def _build_release(self, name: str, building: str, progress: Progress) -> dict:
        version = name.split("-", 1)[1]
        codename = RELEASES[version]
        archive = self._archive or machine_archive()
        if shutil.which(self.mmdebstrap) is None:
            raise EnvironmentError_(f"mmdebstrap is not installed; it builds image {name}",
                                    hint="apt-get install mmdebstrap (make test installs it)")
        root = os.path.join(building, "root")
        argv = [self.mmdebstrap, "--mode=root", "--format=directory", "--variant=minbase",
                f"--include={','.join(PACKAGES)}", f"--customize-hook={_CUSTOMIZE}",
                codename, root, *archive.sources(codename)]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "DEBIAN_FRONTEND": "noninteractive"}
        progress(f"building image {name} (Debian {version}, {codename}) with mmdebstrap from "
                 f"{archive.mirror}")
        with contextlib.ExitStack() as stack:
            proxy = archive.proxy
            if self.cache is not None and stack.enter_context(
                    self.cache.used(f"build-{_process_tag(ProcessRef.current())}")):
                # apt outside the image honours http_proxy, and the image keeps no trace of it.
                proxy = self.cache.url
            if proxy:
                env["http_proxy"] = proxy
            self._run_logged(argv, env, os.path.join(building, "build.log"), progress,
                             f"building image {name}")
        return {"kind": "release", "release": version, "codename": codename,
                "packages": list(PACKAGES), "mirror": archive.mirror,
                "security": archive.security}

    def _unpack(self, tarball: str, building: str, progress: Progress) -> dict:
        root = os.path.join(building, "root")
        os.mkdir(root, 0o755)
        progress(f"unpacking image {tarball}")
        argv = ["tar", "--extract", "--file", tarball, "--directory", root, "--numeric-owner",
                "--preserve-permissions", "--xattrs", "--xattrs-include=*", "--acls"]
        self._run_logged(argv, {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
                         os.path.join(building, "build.log"), progress,
                         f"unpacking image {tarball}")
        stat = os.stat(tarball)
        return {"kind": "tarball", "source": tarball, "source_size": stat.st_size,
                "source_mtime": stat.st_mtime_ns}

    def _run_logged(self, argv: list, env: dict, log_path: str, progress: Progress,
                    what: str) -> None:
        """Run `argv`, its output to `log_path`, its `I:` lines (mmdebstrap's steps) to
        `progress`; raise with the log's end if it fails or takes over BUILD_TIMEOUT."""
        deadline = time.monotonic() + BUILD_TIMEOUT
        with open(log_path, "w") as log:
            try:
                child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, env=env, text=True,
                                         errors="replace", start_new_session=True)
            except FileNotFoundError:
                raise EnvironmentError_(f"{argv[0]} is not installed") from None
            timer = threading.Timer(BUILD_TIMEOUT, child.terminate)
            timer.start()
            try:
                assert child.stdout is not None
                for line in child.stdout:
                    log.write(line)
                    log.flush()
                    if line.startswith("I: "):
                        step = line[3:].strip().rstrip(".")
                        # The hook's command line says nothing a user needs.
                        progress(f"{what}: " + ("customizing" if "--customize-hook" in step
                                                else step))
                child.wait()
            except BaseException:
                # Interrupted (Ctrl-C, SIGTERM): mmdebstrap unmounts what it mounted on SIGTERM.
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(60)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                raise
            finally:
                timer.cancel()
        if child.returncode != 0:
            why = "took too long" if time.monotonic() >= deadline else \
                f"failed (exit status {child.returncode})"
            raise EnvironmentError_(f"{what} {why}",
                                    hint=f"the end of its log:\n{_tail(log_path)}")

    # -- removing ------------------------------------------------------------------------------

    def remove(self, name: str, users: Callable[[Image], List[str]]) -> List[Image]:
        """Remove the stored images of `name` (every build of it); return those removed.

        `users(image)` names the hosts made from an image; an image that has some, or that an
        overlay mounted on this machine uses, is not removed and the error says who uses it.
        """
        check_name(name)
        if name == MACHINE or (os.path.isabs(name) and os.path.isdir(name)):
            raise EnvironmentError_(f"image {name} is not in the image store",
                                    hint="only built or unpacked images can be removed")
        key = name if name in release_names() else None
        if key is None:
            key = _tarball_key(name) if os.path.isfile(name) else None
        matching = [i for i in self.list() if i.name == name or (key and self._key_of(i) == key)]
        if not matching:
            raise EnvironmentError_(f"there is no image {name} in {self.directory}",
                                    hint="`lispdeploy container image list` shows the images")
        removed, refused = [], []
        for image in matching:
            with self._lock(self._key_of(image), shared=False):
                using = sorted(set(users(image)) | set(_overlays_using(image.root)))
                if using:
                    refused.append((image, using))
                    continue
                self._discard(image.directory, trash=True)
                removed.append(image)
        if refused:
            image, using = refused[0]
            raise EnvironmentError_(
                f"image {name} ({os.path.basename(image.directory)}) is in use by "
                f"{', '.join(using)}",
                hint="destroy those container hosts first (lispdeploy destroy SPEC, or "
                     "lispdeploy container destroy SPEC)")
        return removed

    def cleanup(self) -> None:
        """Remove builds whose process died and removals that were interrupted."""
        for entry in _listdir(self.directory):
            path = os.path.join(self.directory, entry)
            if entry.startswith(".trash-"):
                remover = re.search(r"-(\d+)-\d+\Z", entry)
                if not (remover and os.path.exists(f"/proc/{remover[1]}")):
                    self._discard(path)
            elif entry.startswith(".build-"):
                match = re.search(r"-(\d+)\.(\d+)-\d+\Z", entry)
                owner = ProcessRef(int(match[1]), int(match[2])) if match else None
                if owner is None or not owner.alive():
                    self._discard(path)

    def _discard(self, path: str, *, trash: bool = False) -> None:
        """Delete a build or image directory, never through something mounted inside it."""
        if not os.path.lexists(path):
            return
        for mount_point in reversed(mounts.mounts_under(path)):
            # A build killed mid-way leaves mmdebstrap's /proc, /sys and /dev mounts behind.
            mounts.unmount(mount_point)
        still = mounts.mounts_under(path)
        if still:
            raise EnvironmentError_(f"refusing to delete {path}: {still[0]} is mounted",
                                    hint=f"unmount it first: umount {still[0]}")
        if trash:
            moved = os.path.join(self.directory, f".trash-{os.path.basename(path)}-"
                                                 f"{os.getpid()}-{next(_counter)}")
            os.rename(path, moved)
            path = moved
        shutil.rmtree(path)

    @contextlib.contextmanager
    def _lock(self, key: str, *, shared: bool) -> Iterator[None]:
        os.makedirs(self.directory, mode=0o755, exist_ok=True)
        fd = os.open(os.path.join(self.directory, f".lock-{key}"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _tarball_key(path: str) -> str:
    """A store key for a tarball: its path, size and modification time (a changed tarball is
    a new image)."""
    real = os.path.realpath(path)
    stat = os.stat(real)
    digest = hashlib.sha256(f"{real}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
    return f"tarball-{digest[:16]}"


def _process_tag(process: ProcessRef) -> str:
    return f"{process.pid}.{process.start_time}"


def _overlays_using(root: str) -> List[str]:
    """Mount points of overlays whose lower directory is `root`."""
    found = []
    try:
        with open(mounts.MOUNTINFO) as f:
            lines = f.readlines()
    except OSError:
        return found
    for line in lines:
        before, _, after = line.partition(" - ")
        fields = after.split()
        if len(fields) >= 3 and fields[0] == "overlay":
            options = fields[2].split(",")
            if any(o == f"lowerdir={root}" or (o.startswith("lowerdir=") and root in
                                                o[9:].split(":")) for o in options):
                found.append(f"the overlay mounted at {before.split()[4]}")
    return found


def _tree_size(path: str) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
    return total


def _tail(path: str, lines: int = 25) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:]).rstrip() or "(empty)"
    except FileNotFoundError:
        return "(no log)"


def _listdir(path: str) -> list:
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []
