"""G-expressions: code written in a spec to run later on a host.

The spec layer compiles a gexp's Hy body into Python source when the spec is read. The body is
a function body whose value is the gexp's value; each `#$x` became a reference to the name
`_ungexp_N`, and `references[N]` holds the value of `x` computed on the controller. Lowering
(`gexp.lowering`) embeds those values as literals, store paths or nested code.
"""

from __future__ import annotations

from typing import Tuple

from lispdeploy import checks
from lispdeploy.records import Field, Record

PLACEHOLDER_PREFIX = "_ungexp_"


def _references(value):
    """The values of the escapes as they were computed: a list stays a list (it is embedded
    as one), unlike fields that `checks.anything` freezes into tuples."""
    return tuple(value)


class Gexp(Record):
    """Staged code: Python `source` (a function body ending in `return`), the `references`
    spliced into it, and for each line of `source` the spec line it came from."""

    record_name = "gexp"
    fields = (
        Field("source", check=checks.string,
              doc="Python statements forming a function body; the last one returns the value"),
        Field("references", (), check=_references,
              doc="values of the #$ escapes, by placeholder index"),
        Field("spec_lines", (), check=checks.anything,
              doc="for each line of source, the spec line it was compiled from (0: unknown)"),
    )

    def placeholder(self, index: int) -> str:
        """The name standing for references[index] in the source."""
        return f"{PLACEHOLDER_PREFIX}{index}"

    def spec_line(self, source_line: int) -> int:
        """The spec line a 1-based line of `source` came from, or 0 if unknown."""
        lines: Tuple[int, ...] = self.spec_lines
        if 0 < source_line <= len(lines):
            return lines[source_line - 1]
        return 0


def gexp_check(value):
    """A g-expression (#~...)."""
    if isinstance(value, Gexp):
        return value
    raise TypeError("a g-expression #~(...)")
