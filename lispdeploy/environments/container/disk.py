"""The first contents of a container host's own disk: the overlay's upper directory.

Everything a new host needs that differs from this machine's `/` is written here before the
first boot (the overlay must not be mounted while its upper directory is written):

- identity: /etc/hostname, /etc/hosts, a fresh /etc/machine-id;
- SSH: root's authorized_keys (the controller's key only), a fresh ed25519 host key with the
  machine's other host keys hidden, and an sshd drop-in that keeps sshd on the host's address;
- units: enablement of the image's services removed (whiteouts), units that must never run in
  a container masked;
- man-db's index is not rebuilt after package installs (they are much faster without);
- apt goes through lispdeploy's package cache while it runs (`package_cache`): an apt
  `Proxy-Auto-Detect` script answers its URL when something listens there, DIRECT otherwise
  (and always for repositories on loopback or on a port other than 80);
- /var/lib/lispdeploy made opaque, so a host starts never deployed and cannot see the state
  directory (other hosts' disks, the controller's keys).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import uuid
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from lispdeploy.errors import EnvironmentError_

SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-lispdeploy-container.conf"
HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
MAN_DB_FLAG = "/var/lib/man-db/auto-update"
APT_CACHE_CONF = "/etc/apt/apt.conf.d/00lispdeploy-package-cache"
APT_CACHE_DETECT = "/etc/apt/lispdeploy-package-cache"
STATE_ROOT = "/var/lib/lispdeploy"

# Units that have no business in a container host: consoles and gettys (the console is a log
# file), and the distribution's housekeeping timers, which would run in every host at once.
MASKED_UNITS = (
    "getty@.service", "serial-getty@.service", "console-getty.service",
    "container-getty@.service",
    "apt-daily.timer", "apt-daily.service", "apt-daily-upgrade.timer",
    "apt-daily-upgrade.service", "unattended-upgrades.service",
    "man-db.timer", "man-db.service", "dpkg-db-backup.timer", "dpkg-db-backup.service",
    "e2scrub_all.timer", "e2scrub_all.service", "e2scrub_reap.service",
    "fstrim.timer", "fstrim.service",
)
# Units the image enabled that stay enabled, with systemd's own `systemd-*` units: a host must
# be reachable and manageable. Every other enabled service, timer, socket or path unit is
# disabled (not masked, so a deploy may enable it again): hosts share the loopback interface,
# and two web servers or databases started from the same image would fight over the same ports.
KEPT_UNITS = ("ssh.service", "sshd.service", "dbus.service", "dbus.socket")
_UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
_DISABLED_KINDS = (".service", ".timer", ".socket", ".path")
# sshd keywords are case-insensitive.
_INCLUDE = re.compile(r"^[ \t]*Include[ \t]+/etc/ssh/sshd_config\.d/\*\.conf[ \t]*$",
                      re.MULTILINE | re.IGNORECASE)
_LISTEN = re.compile(r"^[ \t]*ListenAddress\b.*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class PreparedDisk:
    """What preparing a disk decided: the host key and the units it switched off."""

    host_key: str
    disabled_units: Tuple[str, ...]
    masked_units: Tuple[str, ...]


def generate_key(path: str, comment: str) -> str:
    """Write a new ed25519 key pair at `path` (mode 600) and return the public key line.

    The line is "ssh-ed25519 AAAA..." without the comment.
    """
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                       check=True, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except FileNotFoundError:
        raise EnvironmentError_("ssh-keygen is not installed",
                                hint="apt-get install openssh-client") from None
    except subprocess.CalledProcessError as error:
        raise EnvironmentError_(f"ssh-keygen could not write {path}: {error.stderr.strip()}") \
            from None
    os.chmod(path, 0o600)
    with open(path + ".pub") as f:
        kind, key = f.read().split()[:2]
    return f"{kind} {key}"


def identity_files(host_name: str, address: Optional[str]) -> Dict[str, str]:
    """The identity files `prepare` writes (path -> text): what a new host's /etc/hostname and
    /etc/hosts hold. Without an address (chosen when the host is created) /etc/hosts names it
    in words: a dry run still knows that the file exists and what else it says."""
    return {"/etc/hostname": f"{host_name}\n",
            "/etc/hosts": _hosts(host_name, address or "(address-chosen-at-creation)")}


def prepare(upper: str, *, host_name: str, address: str, authorized_key: str,
            lower: str = "/", package_cache: Optional[Tuple[str, int, Optional[str]]] = None
            ) -> PreparedDisk:
    """Write the first contents of a host's disk into the empty directory `upper`.

    `package_cache` is the (address, port) of the package cache apt should use when it runs,
    and the proxy to use when it does not (this machine's own apt proxy; None: direct).
    """
    disk = _Upper(upper, lower)
    disk.write("/etc/hostname", f"{host_name}\n")
    disk.write("/etc/hosts", _hosts(host_name, address))
    disk.write("/etc/machine-id", uuid.uuid4().hex + "\n", mode=0o444)
    if os.path.lexists(os.path.join(lower, "var/lib/dbus/machine-id")):
        disk.symlink("/var/lib/dbus/machine-id", "/etc/machine-id")

    disk.directory("/root/.ssh", mode=0o700)
    disk.write("/root/.ssh/authorized_keys", authorized_key.strip() + "\n", mode=0o600)

    # The machine's own host keys must not identify every container host.
    for entry in _listdir(os.path.join(lower, "etc/ssh")):
        if entry.startswith("ssh_host_"):
            disk.whiteout(f"/etc/ssh/{entry}")
    if os.path.lexists(os.path.join(lower, "etc/ssh/sshd_not_to_be_run")):
        disk.whiteout("/etc/ssh/sshd_not_to_be_run")
    for path in (HOST_KEY, HOST_KEY + ".pub"):
        disk.remove(path)
    disk.directory("/etc/ssh")
    host_key = generate_key(disk.path(HOST_KEY), f"root@{host_name}")
    _confine_sshd(disk, lower)
    disk.write(SSHD_DROP_IN, _sshd_drop_in(address))

    masked = tuple(sorted(u for u in MASKED_UNITS if _unit_exists(lower, u)))
    for unit in masked:
        disk.symlink(f"/etc/systemd/system/{unit}", "/dev/null")
    disabled = set()
    for wants, unit in _enabled_units(lower):
        if unit.endswith(_DISABLED_KINDS) and unit not in KEPT_UNITS \
                and not unit.startswith("systemd-"):
            disk.whiteout(f"/etc/systemd/system/{wants}/{unit}")
            disabled.add(unit)

    # Rebuilding the man page index after every package a deploy installs costs seconds per
    # apt run; man-db skips it when this flag file is absent. Nobody reads man pages here.
    if os.path.lexists(os.path.join(lower, MAN_DB_FLAG.lstrip("/"))):
        disk.whiteout(MAN_DB_FLAG)

    if package_cache is not None:
        cache_address, cache_port, fallback = package_cache
        disk.write(APT_CACHE_DETECT, _apt_proxy_detect(cache_address, cache_port, fallback),
                   mode=0o755)
        disk.write(APT_CACHE_CONF, _apt_proxy_conf(cache_address, cache_port))

    disk.directory(STATE_ROOT)
    os.setxattr(disk.path(STATE_ROOT), "trusted.overlay.opaque", b"y")
    return PreparedDisk(host_key=host_key, disabled_units=tuple(sorted(disabled - set(masked))),
                        masked_units=masked)


def _confine_sshd(disk: "_Upper", lower: str) -> None:
    """Make sure sshd reads the drop-in and listens nowhere else than it says.

    ListenAddress lines add up, so one in the machine's configuration would make every host
    listen there too, on an address that is not its own.
    """
    try:
        with open(os.path.join(lower, "etc/ssh/sshd_config")) as f:
            config = f.read()
    except FileNotFoundError:
        raise EnvironmentError_("openssh-server is not installed; container hosts need it",
                                hint="apt-get install openssh-server") from None
    if not _INCLUDE.search(config):
        raise EnvironmentError_(
            "this machine's /etc/ssh/sshd_config does not include sshd_config.d/*.conf, so "
            "container hosts cannot keep their sshd on their own address",
            hint="put Debian's `Include /etc/ssh/sshd_config.d/*.conf` at the top of "
                 "/etc/ssh/sshd_config")
    if _LISTEN.search(config):
        disk.write("/etc/ssh/sshd_config", _LISTEN.sub(
            lambda m: f"# {m.group(0).strip()}  # off in container hosts (lispdeploy)", config))
    drop_ins = os.path.join(lower, "etc/ssh/sshd_config.d")
    for entry in _listdir(drop_ins):
        try:
            with open(os.path.join(drop_ins, entry)) as f:
                if _LISTEN.search(f.read()):
                    disk.whiteout(f"/etc/ssh/sshd_config.d/{entry}")
        except (IsADirectoryError, UnicodeDecodeError):
            continue


def _hosts(host_name: str, address: str) -> str:
    return (f"127.0.0.1\tlocalhost\n{address}\t{host_name}\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")


def _sshd_drop_in(address: str) -> str:
    # sshd keeps the first value it reads for most keywords, and the Debian sshd_config includes
    # sshd_config.d/*.conf before its own lines, hence the "00-" name. ListenAddress names the
    # port so that a later `Port` line cannot move sshd off port 22 of this address.
    return ("# Written by lispdeploy when it created this container host. Container hosts share\n"
            "# the machine's loopback interface: sshd must listen on this host's address only.\n"
            f"ListenAddress {address}:22\n"
            f"HostKey {HOST_KEY}\n"
            "# Hosts share the machine's /etc/shadow: no password may open them.\n"
            "PasswordAuthentication no\n")


def _apt_proxy_detect(address: str, port: int, fallback: Optional[str]) -> str:
    # bash, not sh: Debian's sh (dash) cannot open TCP connections. apt runs this once per
    # archive host it fetches from, with a URI of that host; the answer is a proxy URL, or
    # DIRECT. apt-cacher-ng serves port 80 only (AllowUserPorts), and a repository on loopback
    # (a spec's own, served on this machine) gains nothing from it: those go around the cache.
    return ("#!/bin/bash\n"
            "# Written by lispdeploy when it created this container host: apt goes through\n"
            "# lispdeploy's package cache on this machine while it runs, directly otherwise.\n"
            'authority=${1#*://}; authority=${authority%%/*}; authority=${authority##*@}\n'
            'case "$authority" in\n'
            "  127.*|localhost|localhost:*|'[::1]'*) echo DIRECT; exit 0 ;;\n"
            "  *:80|'['*']') ;;\n"
            f"  *:*) echo {fallback or 'DIRECT'}; exit 0 ;;\n"
            "esac\n"
            f"if (exec 3<>/dev/tcp/{address}/{port}) 2>/dev/null; then\n"
            f"  echo http://{address}:{port}\n"
            "else\n"
            f"  echo {fallback or 'DIRECT'}\n"
            "fi\n")


def _apt_proxy_conf(address: str, port: int) -> str:
    return ("// Written by lispdeploy when it created this container host: packages come\n"
            f"// through lispdeploy's package cache ({address}:{port}) when it runs.\n"
            f'Acquire::http::Proxy-Auto-Detect "{APT_CACHE_DETECT}";\n')


def _listdir(path: str) -> list:
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


def _unit_exists(lower: str, unit: str) -> bool:
    return any(os.path.lexists(os.path.join(lower, d.lstrip("/"), unit)) for d in _UNIT_DIRS)


def _enabled_units(lower: str) -> list:
    """(wants directory, unit) for every enablement link in the image's /etc/systemd/system."""
    root = os.path.join(lower, "etc/systemd/system")
    found = []
    for wants in _listdir(root):
        if wants.endswith((".wants", ".requires")) and os.path.isdir(os.path.join(root, wants)):
            found.extend((wants, unit) for unit in _listdir(os.path.join(root, wants)))
    return found


class _Upper:
    """Writes into an overlay upper directory, mirroring the lower's directory metadata.

    A directory created in the upper layer shows its own mode and owner in the merged view, so
    each one copies them from the same directory of the lower layer (e.g. /root stays 700).
    """

    def __init__(self, upper: str, lower: str):
        self.upper = upper
        self.lower = lower

    def path(self, absolute: str) -> str:
        return os.path.join(self.upper, absolute.lstrip("/"))

    def directory(self, absolute: str, *, mode: int = 0o755) -> None:
        parts = absolute.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            relative = "/".join(parts[:i])
            target = os.path.join(self.upper, relative)
            if os.path.isdir(target):
                continue
            try:
                lower = os.stat(os.path.join(self.lower, relative))
                dir_mode, uid, gid = stat.S_IMODE(lower.st_mode), lower.st_uid, lower.st_gid
            except FileNotFoundError:
                dir_mode, uid, gid = (mode if i == len(parts) else 0o755), 0, 0
            os.mkdir(target)
            os.chown(target, uid, gid)
            os.chmod(target, dir_mode)

    def write(self, absolute: str, text: str, *, mode: int = 0o644) -> None:
        self.directory(os.path.dirname(absolute))
        target = self.path(absolute)
        self.remove(absolute)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(target, mode)

    def symlink(self, absolute: str, points_to: str) -> None:
        self.directory(os.path.dirname(absolute))
        self.remove(absolute)
        os.symlink(points_to, self.path(absolute))

    def whiteout(self, absolute: str) -> None:
        """Hide `absolute` of the lower layer: overlayfs reads a 0/0 character device so."""
        self.directory(os.path.dirname(absolute))
        self.remove(absolute)
        os.mknod(self.path(absolute), stat.S_IFCHR | 0o600, os.makedev(0, 0))

    def remove(self, absolute: str) -> None:
        try:
            os.unlink(self.path(absolute))
        except FileNotFoundError:
            pass
