"""How this machine reaches Debian's archive, so that images and hosts use the same mirror.

Images are built from the mirror this machine's apt uses (its sources.list and .sources
files), through the HTTP proxy its apt uses if it has one; the release of this machine
(from /etc/os-release) names the default image.

Imports `errors` only.
"""

from __future__ import annotations

import glob
import os
import subprocess
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY = "http://deb.debian.org/debian-security"
# Debian releases lispdeploy builds minimal images of: version -> code name.
RELEASES = {"12": "bookworm", "13": "trixie"}
_CODENAMES = {codename: version for version, codename in RELEASES.items()}


@dataclass(frozen=True)
class Archive:
    """Where Debian's packages come from: the main and security mirrors, and the HTTP proxy
    apt goes through (None: it connects directly)."""

    mirror: str = DEFAULT_MIRROR
    security: str = DEFAULT_SECURITY
    proxy: Optional[str] = None

    def sources(self, codename: str) -> List[str]:
        """The one-line apt sources of release `codename` (main, updates, security)."""
        return [f"deb {self.mirror} {codename} main",
                f"deb {self.mirror} {codename}-updates main",
                f"deb {self.security} {codename}-security main"]


def os_release(root: str = "/") -> dict:
    """The fields of `root`/etc/os-release (or usr/lib/os-release), unquoted."""
    for path in ("etc/os-release", "usr/lib/os-release"):
        try:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (FileNotFoundError, NotADirectoryError):
            continue
        fields = {}
        for line in lines:
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                fields[key.strip()] = value.strip().strip("\"'")
        return fields
    return {}


def machine_release(root: str = "/") -> Optional[str]:
    """This machine's Debian version ("12", "13") if it runs a release lispdeploy knows."""
    fields = os_release(root)
    if fields.get("ID") != "debian":
        return None
    version = fields.get("VERSION_ID", "")
    if version in RELEASES:
        return version
    # Testing and sid have no VERSION_ID; their code name says which release they become.
    return _CODENAMES.get(fields.get("VERSION_CODENAME", ""))


def _one_line_sources(text: str) -> Iterator[Tuple[str, List[str]]]:
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        if words[1].startswith("["):
            # Options such as [signed-by=...] come before the URI, possibly over several words.
            while words and not words[1].endswith("]"):
                del words[1]
            del words[1]
        if len(words) >= 3:
            yield words[1], [words[2]]


def _deb822_sources(text: str) -> Iterator[Tuple[str, List[str]]]:
    for stanza in text.split("\n\n"):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if not sep:
                key = None
                continue
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or \
                fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("suites", "").split()


def apt_sources(root: str = "/") -> List[Tuple[str, List[str]]]:
    """(URI, suites) of every binary source of `root`'s apt, in the order apt reads them."""
    etc = os.path.join(root, "etc/apt")
    found = []
    paths = [os.path.join(etc, "sources.list")] + sorted(
        glob.glob(os.path.join(etc, "sources.list.d", "*.list"))
        + glob.glob(os.path.join(etc, "sources.list.d", "*.sources")))
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
            continue
        parse = _deb822_sources if path.endswith(".sources") else _one_line_sources
        found.extend(parse(text))
    return found


def apt_proxy() -> Optional[str]:
    """The HTTP proxy this machine's apt is configured with (Acquire::http::Proxy), if any."""
    try:
        result = subprocess.run(["apt-config", "dump", "--format", "%f %v%n",
                                 "Acquire::http::Proxy"],
                                capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        # Acquire::http::Proxy::<host> lines are per-host exceptions, not the proxy.
        if key == "Acquire::http::Proxy" and value.strip().startswith("http://"):
            return value.strip()
    return None


def machine_archive(root: str = "/") -> Archive:
    """The mirrors this machine's apt uses for Debian, Debian's own if it names none."""
    mirror = security = None
    for uri, suites in apt_sources(root):
        uri = uri.rstrip("/")
        for suite in suites:
            codename, _, pocket = suite.partition("-")
            if codename not in _CODENAMES:
                continue
            if pocket == "security" and security is None:
                security = uri
            elif pocket in ("", "updates") and mirror is None:
                mirror = uri
    return Archive(mirror=mirror or DEFAULT_MIRROR, security=security or DEFAULT_SECURITY,
                   proxy=apt_proxy() if root == "/" else None)
