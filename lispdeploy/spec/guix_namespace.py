"""Guix's module namespace: every module name Guix and Guile have, where each public name of
Guix's service and system modules comes from, and what lispdeploy does about the modules it
does not provide.

`use-modules` accepts any of these names; a spec fails only when it *uses* a name lispdeploy
does not provide, and then the error says which Guix module the name comes from and whether
lispdeploy plans it, whether it only makes sense on Guix System, or which Debian package does
the same job (see `explain_name`).

A module is *provided* when some vocabulary lists it (`Vocabulary(modules=...)`): adding a
service module to lispdeploy is that one line in its vocabulary. `MODULE_STATUS` says what
becomes of the others. The name tables in `data/` are generated from a Guix checkout by
`tools/guix-names.py` (names only; the package variables are system.guix_names'). Imports
nothing of Hy; read only on error paths and when
a spec names a module.
"""

from __future__ import annotations

import functools
import os
from typing import Dict, FrozenSet, Iterable, Optional, Tuple

from lispdeploy.system.guix_names import package_modules

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

Module = Tuple[str, ...]

PLANNED = "planned"
GUIX_SYSTEM = "guix-system"
DEBIAN = "debian"

# What lispdeploy does about the Guix modules it does not provide (or provides in part).
# status, then the note the error shows. One line per module.
MODULE_STATUS: Dict[str, Tuple[str, str]] = {
    "gnu services admin": (DEBIAN, "lispdeploy has log rotation and unattended upgrades; "
                                   "for the rest, Debian's own packages"),
    "gnu services audio": (DEBIAN, "Debian's mpd package"),
    "gnu services auditd": (DEBIAN, "Debian's auditd package"),
    "gnu services authentication": (DEBIAN, "Debian's nslcd and fprintd packages"),
    "gnu services avahi": (GUIX_SYSTEM, "mDNS acts on the whole local network; Debian's "
                                        "avahi-daemon, if you really want it"),
    "gnu services backup": (DEBIAN, "Debian's restic package with a timer of your own"),
    "gnu services cgit": (DEBIAN, "Debian's cgit package behind nginx"),
    "gnu services ci": (DEBIAN, "Laminar is not in Debian; run your CI's own package"),
    "gnu services configuration": (GUIX_SYSTEM, "define-configuration builds Guix service "
                                                "records; write a Hy or Python service type "
                                                "(docs/services.md)"),
    "gnu services containers": (DEBIAN, "Debian's podman package"),
    "gnu services cuirass": (GUIX_SYSTEM, "Cuirass builds Guix packages"),
    "gnu services cups": (DEBIAN, "Debian's cups package"),
    "gnu services databases": (DEBIAN, "lispdeploy has PostgreSQL, MySQL and Redis; for "
                                       "the others, Debian's memcached and mongodb packages"),
    "gnu services dbus": (GUIX_SYSTEM, "Debian's systemd runs D-Bus already"),
    "gnu services desktop": (GUIX_SYSTEM, "desktop sessions are Guix System's; Debian's "
                                          "task-desktop packages"),
    "gnu services dict": (DEBIAN, "Debian's dictd package"),
    "gnu services dns": (DEBIAN, "Debian's knot, bind9 and unbound packages"),
    "gnu services docker": (DEBIAN, "Debian's docker.io package"),
    "gnu services file-sharing": (DEBIAN, "Debian's transmission-daemon package"),
    "gnu services games": (DEBIAN, "the games' own Debian packages"),
    "gnu services ganeti": (DEBIAN, "Debian's ganeti package"),
    "gnu services getmail": (DEBIAN, "Debian's getmail6 package"),
    "gnu services guix": (GUIX_SYSTEM, "Guix's build farm and publishing services"),
    "gnu services herd": (GUIX_SYSTEM, "lispdeploy talks to systemd, not the Shepherd"),
    "gnu services high-availability": (DEBIAN, "Debian's keepalived package"),
    "gnu services hurd": (GUIX_SYSTEM, "the Hurd"),
    "gnu services kerberos": (DEBIAN, "Debian's krb5-kdc package"),
    "gnu services ldap": (DEBIAN, "Debian's 389-ds-base and slapd packages"),
    "gnu services lightdm": (GUIX_SYSTEM, "display managers are Guix System's"),
    "gnu services linux": (DEBIAN, "Debian's earlyoom and zram-tools packages; kernel modules "
                                   "load from /etc/modules-load.d"),
    "gnu services lirc": (DEBIAN, "Debian's lirc package"),
    "gnu services mail": (DEBIAN, "Debian's dovecot-imapd, opensmtpd and exim4 packages"),
    "gnu services messaging": (DEBIAN, "Debian's prosody and ngircd packages"),
    "gnu services monitoring": (DEBIAN, "lispdeploy has the Prometheus node exporter; "
                                        "Debian's zabbix-agent and vnstat packages"),
    "gnu services nfs": (DEBIAN, "Debian's nfs-kernel-server package"),
    "gnu services nix": (DEBIAN, "Debian's nix-setup-systemd package"),
    "gnu services pam-mount": (DEBIAN, "Debian's libpam-mount package"),
    "gnu services pm": (GUIX_SYSTEM, "laptop power management; Debian's tlp"),
    "gnu services power": (DEBIAN, "Debian's apcupsd package"),
    "gnu services rsync": (DEBIAN, "Debian's rsync package (its rsync.service)"),
    "gnu services samba": (DEBIAN, "Debian's samba package"),
    "gnu services science": (DEBIAN, "R's Shiny server is not in Debian"),
    "gnu services sddm": (GUIX_SYSTEM, "display managers are Guix System's"),
    "gnu services security": (DEBIAN, "Debian's fail2ban package"),
    "gnu services security-token": (DEBIAN, "Debian's pcscd package"),
    "gnu services sound": (GUIX_SYSTEM, "sound servers are desktop services"),
    "gnu services spice": (GUIX_SYSTEM, "SPICE guest agents for Guix System VMs"),
    "gnu services syncthing": (DEBIAN, "Debian's syncthing package"),
    "gnu services telephony": (DEBIAN, "Debian's mumble-server package"),
    "gnu services upnp": (DEBIAN, "Debian's minidlna package"),
    "gnu services version-control": (DEBIAN, "Debian's gitolite3 and git-daemon-run packages"),
    "gnu services virtualization": (DEBIAN, "Debian's libvirt-daemon-system and qemu "
                                            "packages"),
    "gnu services vnc": (DEBIAN, "Debian's tigervnc-standalone-server package"),
    "gnu services vpn": (DEBIAN, "Debian's wireguard-tools and openvpn packages"),
    "gnu services web": (DEBIAN, "lispdeploy has nginx, httpd and PHP-FPM; Debian's varnish "
                                 "and fcgiwrap packages"),
    "gnu services xorg": (GUIX_SYSTEM, "X servers are desktop services"),
    "gnu system hurd": (GUIX_SYSTEM, "the Hurd"),
    "gnu system image": (GUIX_SYSTEM, "Guix System disk images"),
    "gnu system install": (GUIX_SYSTEM, "the Guix System installer"),
    "gnu system linux-container": (GUIX_SYSTEM, "guix system container"),
    "gnu system vm": (GUIX_SYSTEM, "guix system vm"),
    "gnu system pam": (GUIX_SYSTEM, "Debian's own PAM configuration stays"),
    "gnu system privilege": (GUIX_SYSTEM, "Debian's packages install their own setuid programs"),
    "gnu system setuid": (GUIX_SYSTEM, "Debian's packages install their own setuid programs"),
    "gnu home": (GUIX_SYSTEM, "Guix Home manages a user's home directory"),
    "gnu machine hetzner": (PLANNED, "a Hetzner environment is not written yet; use "
                                     "managed-host-environment-type with the server's address"),
    "gnu installer": (GUIX_SYSTEM, "the Guix System installer"),
}

# Guile's own modules (and libraries Guix configurations use), which use-modules accepts.
GUILE_MODULES = tuple(tuple(m.split()) for m in (
    "ice-9 match", "ice-9 format", "ice-9 ftw", "ice-9 rdelim", "ice-9 popen",
    "ice-9 textual-ports", "ice-9 binary-ports", "ice-9 regex", "ice-9 pretty-print",
    "ice-9 string-fun", "ice-9 receive", "ice-9 optargs", "ice-9 hash-table", "ice-9 vlist",
    "ice-9 threads", "ice-9 futures", "ice-9 q", "ice-9 eval-string", "ice-9 getopt-long",
    "ice-9 exceptions", "ice-9 control", "ice-9 curried-definitions", "ice-9 iconv",
    "ice-9 local-eval", "ice-9 ports", "ice-9 rw", "ice-9 session", "ice-9 streams",
    "ice-9 i18n", "ice-9 common-list", "ice-9 and-let-star", "ice-9 readline",
    "ice-9 documentation", "ice-9 atomic", "ice-9 arrays", "ice-9 null", "ice-9 safe",
    "ice-9 sandbox", "ice-9 peg", "ice-9 poll", "ice-9 time", "ice-9 weak-vector",
    "ice-9 expect", "ice-9 calling", "ice-9 suspendable-ports", "ice-9 unicode",
    "ice-9 boot-9", "ice-9 command-line", "ice-9 deprecated", "ice-9 buffered-input",
    "ice-9 history", "ice-9 occam-channel", "ice-9 serialize", "ice-9 top-repl",
    "ice-9 list", "ice-9 copy-tree", "ice-9 string-fun",
    "rnrs", "rnrs base", "rnrs bytevectors", "rnrs io ports", "rnrs lists", "rnrs records syntactic",
    "rnrs hashtables", "rnrs exceptions", "rnrs conditions", "rnrs sorting", "rnrs unicode",
    "rnrs control", "rnrs programs", "rnrs files", "rnrs syntax-case", "rnrs arithmetic bitwise",
    "web uri", "web client", "web server", "web http", "web request", "web response",
    "json", "gcrypt hash", "gcrypt base64", "gcrypt pk-crypto", "gcrypt random", "ssh session",
    "ssh key", "ssh auth", "git", "sxml simple", "sxml match", "sxml xpath", "sxml transform",
    "texinfo", "system base compile", "system repl server", "oop goops", "scheme base",
    "scheme write", "scheme char", "scheme case-lambda", "fibers", "shepherd service",
    "shepherd support", "zlib", "lzlib", "semver",
)) + tuple(("srfi", f"srfi-{n}") for n in (
    1, 2, 4, 6, 8, 9, 10, 11, 13, 14, 16, 17, 18, 19, 23, 26, 27, 28, 30, 31, 34, 35, 37, 38,
    39, 41, 42, 43, 45, 46, 60, 64, 67, 69, 71, 87, 88, 98, 105, 111, 119, 171)) + tuple(
    ("srfi", f"srfi-{n}", "gnu") for n in (9,))


@functools.lru_cache(maxsize=None)
def guix_modules() -> FrozenSet[Module]:
    """Every module name of Guix (from data/guix-modules.txt) and of Guile."""
    with open(os.path.join(_DATA, "guix-modules.txt"), encoding="utf-8") as f:
        names = {tuple(line.split()) for line in f if line.strip()}
    return frozenset(names | set(GUILE_MODULES))


@functools.lru_cache(maxsize=None)
def exports() -> Dict[str, str]:
    """Public name -> the Guix module it comes from ("gnu services docker")."""
    out: Dict[str, str] = {}
    with open(os.path.join(_DATA, "guix-exports.txt"), encoding="utf-8") as f:
        for line in f:
            name, _, module = line.rstrip("\n").partition("\t")
            out[name] = module
    return out


def is_guix_module(name: Module) -> bool:
    """Whether `name` is a module of Guix or Guile."""
    return name in guix_modules()


def show(module: Iterable[str]) -> str:
    """A module name as Guile writes it: `(gnu services docker)`."""
    return "(" + " ".join(module) + ")"


def status_of(module: str) -> Optional[Tuple[str, str]]:
    """(status, note) of a Guix module lispdeploy does not (fully) provide, or None."""
    parts = module.split()
    while parts:
        found = MODULE_STATUS.get(" ".join(parts))
        if found:
            return found
        parts.pop()
    return None


def explain_name(name: str, provided: Iterable[Module]) -> Optional[Tuple[str, str]]:
    """(message, hint) for a name a spec uses that lispdeploy lacks but Guix has, or None."""
    module = exports().get(name)
    if module is not None:
        status = status_of(module)
        partly = tuple(module.split()) in set(provided)
        message = (f"'{name}' comes from Guix's {show(module.split())}, which lispdeploy "
                   + ("provides only in part, without it" if partly else "does not provide"))
        if status is None:
            return message, ("it has no Debian counterpart in lispdeploy yet; leave it out, or "
                             "write the service yourself (docs/services.md)")
        kind, note = status
        if kind == PLANNED:
            return message + " yet", f"planned: {note}"
        if kind == GUIX_SYSTEM:
            return message, f"it is part of Guix System, which a Debian host does not run " \
                            f"({note}); leave it out"
        return message, (f"on Debian: {note}; install it with (packages ...) and configure it "
                         "with a simple-service or a service type of your own "
                         "(docs/services.md)")
    module = package_modules().get(name)
    if module is not None:
        return (f"'{name}' is a Guix package (from {show(module.split())}) that lispdeploy's "
                "package table does not map to a Debian package",
                "name the Debian package as a string instead, e.g. (packages (cons \"NAME\" "
                "%base-packages)); it must be a package the host's apt knows")
    return None
