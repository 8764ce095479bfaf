"""Rolling deploys: which machines go in which wave, and when to stop.

Machines go in ascending order of their `wave` field, those without one last, each group in
spec order; `--batch N` (or `P%` of the selected machines, rounded up) splits each group into
waves of at most that many. Without `--batch`, each group is one wave (a spec without wave
fields: one wave of every machine). After each wave, a rollout that has seen more failed hosts
than `--max-fail N` (or `P%`, rounded down; 0 by default: any failure stops it) does not
start the next one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from lispdeploy.errors import UsageError
from lispdeploy.machine import Machine


@dataclass(frozen=True)
class Amount:
    """A number of hosts, or a percentage of the selected ones: `--batch 3`, `--batch 25%`."""

    value: float
    percent: bool = False

    @classmethod
    def parse(cls, text: str, option: str, *, minimum: int) -> "Amount":
        """`N` or `P%` as given to `option`."""
        raw = text.strip()
        percent = raw.endswith("%")
        number = raw[:-1] if percent else raw
        try:
            value = float(number) if percent else int(number)
        except ValueError:
            value = -1
        if value < minimum or (percent and not 0 < value <= 100):
            raise UsageError(f"{option} {text}: expected a number of hosts ({minimum} or more) "
                             "or a percentage such as 25%")
        return cls(value, percent)

    def of(self, total: int, *, round_up: bool) -> int:
        """How many hosts of `total` this amount is."""
        if not self.percent:
            return int(self.value)
        exact = total * self.value / 100
        return math.ceil(exact - 1e-9) if round_up else math.floor(exact + 1e-9)

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else str(int(self.value))


def plan_waves(machines: Sequence[Machine], batch: Optional[Amount]) -> List[List[Machine]]:
    """The waves of a rollout (see the module docstring)."""
    groups: Dict[Optional[int], List[Machine]] = {}
    for machine in machines:
        groups.setdefault(machine.wave, []).append(machine)
    order = sorted((k for k in groups if k is not None)) + ([None] if None in groups else [])
    size = max(1, batch.of(len(machines), round_up=True)) if batch is not None else None
    waves: List[List[Machine]] = []
    for key in order:
        group = groups[key]
        step = size or len(group)
        waves.extend(group[i:i + step] for i in range(0, len(group), step))
    return waves


def allowed_failures(max_fail: Optional[Amount], total: int) -> int:
    """How many failed hosts a rollout of `total` hosts tolerates."""
    return 0 if max_fail is None else max_fail.of(total, round_up=False)
