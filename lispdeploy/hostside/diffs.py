"""Diffs for people: what a file's content change looks like in a dry run or a report, masked
when the file is not world-readable. Standard library only."""

from __future__ import annotations

import difflib
from typing import Optional

MASKED = "(content not shown: the file is not world-readable)"
SECRET = "(secret: content not shown)"
BINARY = "(binary content differs)"


def as_text(content: Optional[bytes]) -> Optional[str]:
    """UTF-8 text of `content`, or None when it is not text."""
    if content is None:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def unified(path: str, old: Optional[str], new: Optional[str]) -> str:
    """A unified diff from `old` to `new` (None: the file does not exist on that side)."""
    lines = difflib.unified_diff((old or "").splitlines(True), (new or "").splitlines(True),
                                 fromfile=path if old is not None else "/dev/null",
                                 tofile=path if new is not None else "/dev/null")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def file_diff(path: str, old: Optional[str], new: Optional[bytes], mode: int,
              old_known: bool = True) -> str:
    """The diff of a file about to get content `new` at `mode`, from text `old` (None: absent).
    `old_known` false: the file exists but its text is not known (not world-readable, binary
    or large)."""
    if not mode & 0o004:
        return MASKED
    new_text = as_text(new) if new is not None else None
    if new is not None and new_text is None:
        return BINARY
    if not old_known:
        return "(the current content is not shown: it is not world-readable text)\n" + \
            unified(path, None, new_text)
    return unified(path, old, new_text)
