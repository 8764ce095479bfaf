"""The host runtime as a store item: `lispdeploy.hostside`'s sources, which programs name
instead of embedding (see `lispdeploy.hostside.bundle`, which loads them on the host).

The item `<hash>-lispdeploy-runtime` is a directory holding `lispdeploy/__init__.py` (empty)
and `lispdeploy/hostside/*.py`; its hash covers every source, so a host keeps one item per
version of the runtime and a changed runtime is a new item. When a host lacks it, it travels
as the *runtime frame* of a request: the files, zlib-compressed, read by the program's loader
before anything else (see `lispdeploy.hostside.protocol`).

Imports store and lispdeploy.hostside only.
"""

from __future__ import annotations

import functools
import os
import zlib
from typing import Dict

import lispdeploy.hostside
from lispdeploy.store import StoreItem

RUNTIME_NAME = "lispdeploy-runtime"


@functools.lru_cache(maxsize=1)
def runtime_item() -> StoreItem:
    """The store item of this lispdeploy's host runtime."""
    return StoreItem(RUNTIME_NAME, entries=[(path, data, False)
                                            for path, data in runtime_files().items()])


def runtime_files() -> Dict[str, bytes]:
    """Relative path in the item -> source bytes, for every module of lispdeploy.hostside."""
    directory = os.path.dirname(os.path.abspath(lispdeploy.hostside.__file__))
    files = {"lispdeploy/__init__.py": b""}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".py"):
            with open(os.path.join(directory, name), "rb") as f:
                files[f"lispdeploy/hostside/{name}"] = f.read()
    return files


@functools.lru_cache(maxsize=1)
def runtime_frame() -> bytes:
    """The runtime item's files as the compressed frame a request carries to a host that
    lacks them."""
    item = runtime_item()
    parts = []
    for path, data, _executable in item.entries:
        parts.append(b"%d %s\n" % (len(data), path.encode("utf-8")))
        parts.append(data)
    return zlib.compress(b"".join(parts), 9)
