"""Content-addressed store items: what the controller builds and hosts keep under
`/var/lib/lispdeploy/store/<hash>-<name>`.

An item is a file (bytes and an executable bit) or a directory (relative paths to files), plus
the items it refers to. Its hash covers its name, kind, contents and the paths of its
references, so the same inputs always give the same path on every host. Hosts are sent only
the items they lack (see the remote layer). The hash is `hostside.store.item_digest`, which
hosts recompute to verify the items they receive.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from lispdeploy.hostside.store import HASH_LENGTH, STORE_DIR, item_digest


class StoreItem:
    """One immutable item: a file (`content`) or a directory (`entries`)."""

    __slots__ = ("name", "content", "executable", "entries", "references", "private", "hash",
                 "path")

    def __init__(self, name: str, *, content: Optional[bytes] = None, executable: bool = False,
                 entries: Optional[Iterable[Tuple[str, bytes, bool]]] = None,
                 references: Iterable["StoreItem"] = (), private: bool = False):
        if (content is None) == (entries is None):
            raise ValueError("a store item has either content (a file) or entries (a directory)")
        if "/" in name or not name:
            raise ValueError(f"bad store item name {name!r}")
        self.name = name
        self.content = bytes(content) if content is not None else None
        self.executable = bool(executable)
        self.entries = (tuple(sorted((str(p), bytes(c), bool(x)) for p, c, x in entries))
                        if entries is not None else None)
        for path, _, _ in self.entries or ():
            if path.startswith("/") or ".." in path.split("/"):
                raise ValueError(f"bad directory entry {path!r} in store item {name!r}")
        refs = {r.path: r for r in references}
        self.references = tuple(refs[p] for p in sorted(refs))
        # Private: readable by root only on hosts (see lispdeploy.hostside.store).
        self.private = bool(private)
        self.hash = self._digest()
        self.path = f"{STORE_DIR}/{self.hash}-{self.name}"

    def _digest(self) -> str:
        # The same function hosts use to verify the items they receive.
        return item_digest(self.name, self.content, self.executable, self.entries,
                           [ref.path for ref in self.references], self.private)

    def as_private(self) -> "StoreItem":
        """This item as one only root may read on hosts (its own path)."""
        if self.private:
            return self
        return StoreItem(self.name, content=self.content, executable=self.executable,
                         entries=self.entries, references=self.references, private=True)

    @property
    def size(self) -> int:
        """Bytes of content this item carries (not counting references)."""
        if self.content is not None:
            return len(self.content)
        return sum(len(c) for _, c, _ in self.entries)

    def text(self) -> str:
        """A file item's content as text (UTF-8)."""
        if self.content is None:
            raise ValueError(f"store item {self.name} is a directory")
        return self.content.decode("utf-8")

    def __eq__(self, other) -> bool:
        return isinstance(other, StoreItem) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"#<store-item {self.path}>"

    def to_json(self) -> Dict:
        """A description for reports: path, kind, size and references."""
        return {"path": self.path, "kind": "file" if self.content is not None else "directory",
                "size": self.size, "references": [r.path for r in self.references]}


def closure(items: Iterable[StoreItem]) -> List[StoreItem]:
    """`items` and everything they refer to, references before referrers, each once."""
    ordered: List[StoreItem] = []
    seen = set()
    stack = [(item, False) for item in reversed(list(items))]
    while stack:
        item, expanded = stack.pop()
        if expanded:
            if item.path not in seen:
                seen.add(item.path)
                ordered.append(item)
            continue
        if item.path in seen:
            continue
        stack.append((item, True))
        for ref in reversed(item.references):
            if ref.path not in seen:
                stack.append((ref, False))
    return ordered
