"""Lowering: turning file-like objects into store items, and g-expressions into programs.

`Lowerer.lower_file(obj)` gives the store item of a file-like object; `Lowerer.path_of(obj)`
gives the path a reference to `obj` becomes on a host (`file-append` adds its suffix) and
records the items that path needs. `Lowerer.lower_program(name, gexps)` gives a program's text
and the items it refers to (for `remote-eval`); `Lowerer.program(name, gexps)` makes that
program an executable store item (for activation scripts and `program-file`). Results are
memoized per object, so a file referred to many times is read, hashed or built once.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

from lispdeploy.errors import GexpError
from lispdeploy.gexp.build import LocalBuilder
from lispdeploy.gexp.files import (ComputedFile, FileAppend, FileLike, LocalFile, MixedTextFile,
                                   PlainFile, ProgramFile, SecretFile)
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.gexp.program import SOURCE_MAPS, LoweredProgram, ProgramBuilder
from lispdeploy.hostside.program import SourceMap
from lispdeploy.store import StoreItem


class Lowerer:
    """Lowers file-like objects and g-expressions for hosts.

    `builder` runs computed-file gexps on the controller (a `LocalBuilder` by default)."""

    def __init__(self, *, builder: Optional[LocalBuilder] = None):
        self._items: Dict[int, Tuple[FileLike, StoreItem]] = {}
        self.builder = builder or LocalBuilder()
        # Program item path -> where its gexps were written (kept out of the items).
        self.source_maps: Dict[str, SourceMap] = {}

    def lower_file(self, obj: FileLike) -> StoreItem:
        """The store item of a file-like object (not `file-append`: see `path_of`)."""
        cached = self._items.get(id(obj))
        if cached is not None and cached[0] is obj:
            return cached[1]
        item = self._lower(obj)
        self._items[id(obj)] = (obj, item)
        return item

    def path_of(self, obj: FileLike) -> Tuple[str, List[StoreItem]]:
        """The host path a reference to `obj` stands for, and the items it needs."""
        if isinstance(obj, SecretFile):
            raise _secret_in_store(obj)
        if isinstance(obj, FileAppend):
            path, items = self.path_of(obj.base)
            return path + obj.suffix, items
        item = self.lower_file(obj)
        return item.path, [item]

    def lower_program(self, name: str, gexps: Union[Gexp, Sequence[Gexp]]) -> LoweredProgram:
        """A program running `gexps` in order: its text, and the items it refers to. Its
        value is the gexp's value when given one gexp, else the list of their values."""
        single = isinstance(gexps, Gexp)
        roots = [gexps] if single else list(gexps)
        builder = ProgramBuilder(self.path_of)
        indices = [builder.add(g) for g in roots]
        return LoweredProgram(name, builder.text(name, indices, single=single), builder.items,
                              source_map=builder.source_map)

    def program(self, name: str, gexps: Union[Gexp, Sequence[Gexp]]) -> StoreItem:
        """An executable store item running `gexps` in order (see `lower_program`); run it on
        a host with `lispdeploy.remote.eval.run_program`, or as a script. Its references are
        the items the gexps refer to."""
        lowered = self.lower_program(name, gexps)
        # The runtime it names is a reference: it is on the host whenever the program is.
        item = StoreItem(name, content=lowered.text.encode("utf-8"), executable=True,
                         references=list(lowered.items) + [lowered.runtime])
        if lowered.source_map:
            self.source_maps[item.path] = lowered.source_map
            SOURCE_MAPS[item.path] = lowered.source_map
        return item

    def _lower(self, obj: FileLike) -> StoreItem:
        if isinstance(obj, PlainFile):
            content = obj.content if isinstance(obj.content, bytes) else obj.content.encode()
            return StoreItem(obj.name, content=content)
        if isinstance(obj, LocalFile):
            return _local_item(obj)
        if isinstance(obj, MixedTextFile):
            parts: List[str] = []
            refs: List[StoreItem] = []
            for text in obj.texts:
                if isinstance(text, str):
                    parts.append(text)
                else:
                    path, items = self.path_of(text)
                    parts.append(path)
                    refs.extend(items)
            return StoreItem(obj.name, content="".join(parts).encode(), references=refs)
        if isinstance(obj, ProgramFile):
            return self.program(obj.name, obj.gexp)
        if isinstance(obj, ComputedFile):
            lowered = self.lower_program(obj.name, obj.gexp)
            return self.builder.build(lowered, name=obj.name, location=obj.location)
        if isinstance(obj, SecretFile):
            raise _secret_in_store(obj)
        if isinstance(obj, FileAppend):
            raise GexpError("file-append names a path inside another item, not an item of its "
                            "own", location=obj.location,
                            hint="use it where a path is expected: in a gexp, a mixed-text-file "
                                 "or a service field")
        raise GexpError(f"cannot lower {obj.record_name} into a store item",
                        location=obj.location)


def _local_item(obj: LocalFile) -> StoreItem:
    try:
        if os.path.isdir(obj.file):
            entries = []
            for root, dirs, files in os.walk(obj.file):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, obj.file)
                    with open(full, "rb") as f:
                        entries.append((rel, f.read(), os.access(full, os.X_OK)))
            return StoreItem(obj.name, entries=entries)
        with open(obj.file, "rb") as f:
            content = f.read()
        return StoreItem(obj.name, content=content, executable=os.access(obj.file, os.X_OK))
    except OSError as e:
        raise GexpError(f"local-file: cannot read '{obj.file}': {e.strerror}",
                        location=obj.location) from None


def _secret_in_store(obj: SecretFile) -> GexpError:
    """The error of a secret-file used where it would become (part of) a store item."""
    return GexpError(f"secret-file '{obj.name}' cannot be part of a store item: its content "
                     "would be kept in every host's store", location=obj.location,
                     hint="use it only as the content of an /etc file: (etc-file (path ...) "
                          "(file (secret-file ...)) (mode #o600))")
