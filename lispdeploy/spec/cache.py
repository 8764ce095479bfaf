"""A cache of compiled specs, so that loading an unchanged spec neither imports Hy nor
compiles anything.

An entry is keyed by the spec's text, its path as given, the load path, the versions of
lispdeploy, Hy and Python, and a fingerprint of lispdeploy's source files; it holds the compiled code (marshal), the position of the last form
and the prelude's mangled names. Specs that load their own modules are not cached (their names
are bound while compiling). Entries are written atomically; an unusable cache directory only
means no caching. `LISPDEPLOY_CACHE_DIR` overrides the directory (default
`$XDG_CACHE_HOME/lispdeploy/specs`).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from typing import Any, Dict, Iterable, Optional, Tuple

from lispdeploy import __version__

_FORMAT = 1
HY_VERSION = "1.3.1"  # pinned in pyproject.toml; part of every key


def directory() -> str:
    """Where compiled specs are kept."""
    explicit = os.environ.get("LISPDEPLOY_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "lispdeploy", "specs")


_installation: Optional[str] = None


def installation() -> str:
    """A fingerprint of lispdeploy's own source files (path, size, modification time): what
    specs compile to depends on its macros and vocabulary, not only on its version."""
    global _installation
    if _installation is None:
        h = hashlib.sha256()
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for root, dirs, files in os.walk(package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(root, name))
                    h.update(f"{root}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        _installation = h.hexdigest()
    return _installation


def key(text: str, path: str, load_path: Iterable[str]) -> str:
    """The cache key of a spec's compiled code."""
    h = hashlib.sha256()
    for part in (str(_FORMAT), __version__, installation(), HY_VERSION, sys.version,
                 os.path.abspath(path), path, "\0".join(load_path), text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def lookup(cache_key: str) -> Optional[Tuple[Any, Any, Tuple[int, int], Dict[str, str]]]:
    """(body code, value code or None, (line, column) of the last form, names) or None."""
    try:
        with open(os.path.join(directory(), cache_key), "rb") as f:
            entry = marshal.load(f)
        if entry[0] != _FORMAT:
            return None
        _, body, value, last, names = entry
        return body, value, tuple(last), dict(names)
    except (OSError, EOFError, ValueError, TypeError, IndexError):
        return None


def store(cache_key: str, body, value, last: Tuple[int, int], names: Dict[str, str]) -> None:
    """Save a compiled spec; failures (read-only home, full disk) are ignored."""
    path = directory()
    try:
        os.makedirs(path, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                marshal.dump((_FORMAT, body, value, list(last), names), f)
            os.replace(tmp, os.path.join(path, cache_key))
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        pass
