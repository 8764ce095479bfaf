"""Rendering: turning the file-likes of a folded system into store items for one host.

Most file-likes are lowered as they are (`gexp.lowering.Lowerer`). A `generated-file` is
written here, by its `generate` procedure, which receives a `Rendering`: the host's listen
address, and ways to name other items on the host (their store paths) or to evaluate a
service's g-expression (see `services.staged`). Every item a generated file names becomes one
of its references, so the system closure holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileAppend, FileLike, ProgramFile
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.services import staged
from lispdeploy.services.sinks import GeneratedFile
from lispdeploy.store import StoreItem

if TYPE_CHECKING:
    from lispdeploy.gexp.lowering import Lowerer


class Renderer:
    """Store items for the file-likes of one system build, each made once."""

    def __init__(self, lowerer: Optional["Lowerer"] = None, *,
                 listen_address: Optional[str] = None):
        if lowerer is None:
            # Imported here: loading a spec imports the catalogue but lowers nothing.
            from lispdeploy.gexp.lowering import Lowerer
            lowerer = Lowerer()
        self.lowerer = lowerer
        self.listen_address = listen_address
        self._generated: Dict[int, Tuple[GeneratedFile, StoreItem]] = {}

    def item_of(self, obj: FileLike) -> StoreItem:
        """The store item of a file-like object (generated ones are written here)."""
        if isinstance(obj, GeneratedFile):
            cached = self._generated.get(id(obj))
            if cached is not None and cached[0] is obj:
                return cached[1]
            item = self._render(obj)
            self._generated[id(obj)] = (obj, item)
            return item
        return self.lowerer.lower_file(obj)

    def path_of(self, obj: FileLike) -> Tuple[str, List[StoreItem]]:
        """The host path a reference to `obj` stands for, and the items it needs."""
        if isinstance(obj, FileAppend) and isinstance(obj.base, GeneratedFile):
            item = self.item_of(obj.base)
            return item.path + obj.suffix, [item]
        if isinstance(obj, GeneratedFile):
            item = self.item_of(obj)
            return item.path, [item]
        return self.lowerer.path_of(obj)

    def _render(self, obj: GeneratedFile) -> StoreItem:
        rendering = Rendering(self)
        content = obj.generate(rendering)
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, bytes):
            raise ServiceError(f"generated-file '{obj.name}': its generator returned "
                               f"{type(content).__name__}, not text", location=obj.location)
        return StoreItem(obj.name, content=content, references=rendering.references)


class Rendering:
    """What the generator of one file may use; see the module docstring."""

    def __init__(self, renderer: Renderer):
        self._renderer = renderer
        self.references: List[StoreItem] = []

    @property
    def listen_address(self) -> Optional[str]:
        """The address services bind to when the spec names none (container hosts), or None."""
        return self._renderer.listen_address

    def path_of(self, obj: FileLike) -> str:
        """The path of `obj` on the host; its items become references of this file."""
        path, items = self._renderer.path_of(obj)
        self.references.extend(items)
        return path

    def content_of(self, obj: FileLike) -> bytes:
        """The bytes of a file-like, to copy into this file (the item is not referenced)."""
        item = self._renderer.item_of(obj)
        if item.content is None:
            raise ServiceError(f"{obj.record_name} '{item.name}' is a directory, not a file",
                               location=obj.location)
        return item.content

    def evaluate(self, gexp: Gexp, helpers: Mapping[str, Any], *, what: str) -> Any:
        """The value of a service's g-expression, computed on the controller."""
        return staged.evaluate(gexp, helpers, self.path_of, what=what)

    def program(self, name: str, gexp: Gexp) -> str:
        """The host path of a Python program made from `gexp` (a `program-file`)."""
        return self.path_of(ProgramFile(name=name, gexp=gexp, location=gexp.location))
