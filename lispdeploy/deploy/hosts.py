"""Choosing machines for `--on`: glob patterns on host names, `@tag` (glob on the machines'
tags) and `!pattern` exclusions, in spec order; and the completions a shell offers for them."""

from __future__ import annotations

import fnmatch
from typing import Iterable, List, Sequence

from lispdeploy.errors import UsageError
from lispdeploy.machine import Machine


def terms(patterns: Iterable[str]) -> List[str]:
    """Every term of `--on` values (each may hold several, comma-separated)."""
    return [t.strip() for group in patterns for t in group.split(",") if t.strip()]


def matches(machine: Machine, term: str) -> bool:
    """Whether a term without its `!` selects the machine: `@glob` on its tags, else a glob
    on its host name."""
    if term.startswith("@"):
        return any(fnmatch.fnmatchcase(tag, term[1:]) for tag in machine.tags)
    return fnmatch.fnmatchcase(machine.display_name, term)


def select_machines(machines: Sequence[Machine], patterns: Iterable[str]) -> List[Machine]:
    """The machines `--on` selects, in spec order: those a positive term matches (all of them
    when every term is an exclusion, or there is none), less those a `!term` matches. A term
    that matches no machine, or a selection left empty, is an error that lists the host names
    and tags."""
    given = terms(patterns)
    if not given:
        return list(machines)
    positive = [t for t in given if not t.startswith("!")]
    negative = [t[1:].strip() for t in given if t.startswith("!")]
    for term, shown in [(t, t) for t in positive] + [(t, "!" + t) for t in negative]:
        if not term or term == "@":
            raise UsageError(f"--on {shown}: an empty pattern",
                             hint="--on NAME-GLOB, --on @TAG, --on '!NAME-GLOB'")
        if not any(matches(m, term) for m in machines):
            what = "tag" if term.startswith("@") else "host name"
            raise UsageError(f"--on {shown}: no machine of the spec has a matching {what}",
                             hint=_known(machines))
    chosen = [m for m in machines
              if (not positive or any(matches(m, t) for t in positive))
              and not any(matches(m, t) for t in negative)]
    if not chosen:
        raise UsageError(f"--on {','.join(given)}: selects no machine (every one it matches "
                         "is excluded)", hint=_known(machines))
    return chosen


def _known(machines: Sequence[Machine]) -> str:
    tags = sorted({t for m in machines for t in m.tags})
    text = "the host names are: " + ", ".join(m.display_name for m in machines)
    if tags:
        text += "; the tags: " + ", ".join("@" + t for t in tags)
    return text


def completions(machines: Sequence[Machine], incomplete: str) -> List[str]:
    """What a shell may complete `--on INCOMPLETE` with: host names and `@tags`, after the
    terms already written (comma-separated) and an optional `!`."""
    done, _, last = incomplete.rpartition(",")
    prefix = done + "," if done else ""
    bang = "!" if last.startswith("!") else ""
    word = last[len(bang):]
    names = [m.display_name for m in machines]
    tags = sorted({"@" + t for m in machines for t in m.tags})
    return [prefix + bang + choice for choice in names + tags if choice.startswith(word)]
