"""A change an activation makes (or, in a dry run, would make) on a host: what kind of thing,
what happens to it, its name, a detail (a diff, a list of fields), and how to make it.
Standard library only."""

from __future__ import annotations

import difflib
from typing import Any, Callable, Dict, Optional

MASKED = "(content not shown: the file is not world-readable)"


class Change:
    """One planned change; `apply()` makes it."""

    __slots__ = ("kind", "action", "name", "detail", "_apply")

    def __init__(self, kind: str, action: str, name: str, apply: Callable[[], Any],
                 detail: str = ""):
        self.kind = kind
        self.action = action
        self.name = name
        self.detail = detail
        self._apply = apply

    def apply(self) -> Any:
        """Make the change."""
        return self._apply()

    def to_json(self) -> Dict[str, str]:
        """The change for reports."""
        out = {"kind": self.kind, "action": self.action, "name": self.name}
        if self.detail:
            out["detail"] = self.detail
        return out

    def __repr__(self) -> str:
        return f"<{self.action} {self.kind} {self.name}>"


def file_diff(path: str, old: Optional[bytes], new: Optional[bytes], mode: int) -> str:
    """A unified diff of a file's content, masked when the file is not world-readable."""
    if not mode & 0o004:
        return MASKED
    try:
        old_text = old.decode("utf-8") if old is not None else ""
        new_text = new.decode("utf-8") if new is not None else ""
    except UnicodeDecodeError:
        return "(binary content differs)"
    lines = difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True),
                                 fromfile=path if old is not None else "/dev/null",
                                 tofile=path if new is not None else "/dev/null")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
