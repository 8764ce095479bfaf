"""Source locations: where in a spec file something was written.
"""

from __future__ import annotations


class Location:
    """A place in a source file: file name, 1-based line and column."""

    __slots__ = ("file", "line", "column")

    def __init__(self, file: str, line: int = 0, column: int = 0):
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}" if self.column else f"{self.file}:{self.line}"
        return self.file

    def __repr__(self) -> str:
        return f"Location({self.file!r}, {self.line}, {self.column})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Location) and (self.file, self.line, self.column) == (
            other.file, other.line, other.column)

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.column))

    def to_json(self) -> str:
        """The location as `file:line:col`, as shown in messages."""
        return str(self)
