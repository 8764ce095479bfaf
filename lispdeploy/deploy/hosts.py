"""Choosing machines by name for `--on`: glob patterns on host names, in spec order."""

from __future__ import annotations

import fnmatch
from typing import Iterable, List, Sequence

from lispdeploy.errors import UsageError
from lispdeploy.machine import Machine


def select_machines(machines: Sequence[Machine], patterns: Iterable[str]) -> List[Machine]:
    """The machines whose host name matches one of the glob `patterns` (each may hold
    several, comma-separated), in spec order; all of them when there is no pattern. A
    pattern that matches nothing is an error listing the host names."""
    wanted = [p.strip() for group in patterns for p in group.split(",") if p.strip()]
    if not wanted:
        return list(machines)
    names = [m.display_name for m in machines]
    for pattern in wanted:
        if not fnmatch.filter(names, pattern):
            raise UsageError(f"--on {pattern}: no machine of the spec has a matching host name",
                             hint="the host names are: " + ", ".join(names))
    return [m for m in machines if any(fnmatch.fnmatchcase(m.display_name, p) for p in wanted)]
