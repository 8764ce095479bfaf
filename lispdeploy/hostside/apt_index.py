"""What the host's apt knows of the packages a system declares: the host half of the deploy's
`packages` check, run in the probe, before any change. A package apt cannot install as
declared (a name it does not know, a virtual package, a pinned version it does not offer) is
reported with what would help the user fix the spec: close names, providers, the versions
apt offers.

A fresh server has no package lists (minimal images ship none): they are fetched first, since
nothing can be checked without them and the deploy's install would fetch them anyway. When a
name is still unknown, the lists are refreshed once and the name checked again (lists may be
older than the archive). Only packages that are not installed as declared are asked about:
a deploy that installs nothing costs no process. Standard library only.
"""

from __future__ import annotations

import difflib
import os
from typing import Any, Dict, List, Optional, Tuple

from lispdeploy.hostside.commands import CommandError, run
from lispdeploy.hostside.facts import package_facts
from lispdeploy.hostside.plan import version_matches

LISTS_DIR = "/var/lib/apt/lists"
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
# Versions and candidates as apt-cache policy prints them (LC_ALL=C).
_NONE = "(none)"


class Known:
    """A name as apt's cache knows it: its candidate and every version it offers."""

    __slots__ = ("candidate", "versions")

    def __init__(self, candidate: Optional[str], versions: List[str]):
        self.candidate = candidate
        self.versions = versions


def has_lists(lists_dir: str = LISTS_DIR) -> bool:
    """Whether apt has package lists (`*_Packages`, compressed or not)."""
    try:
        return any("_Packages" in name for name in os.listdir(lists_dir))
    except OSError:
        return False


# An update through a slow mirror takes a minute; one that has not finished in five is stuck
# (a stalled proxy or mirror), and the deploy says so rather than wait with it.
UPDATE_TIMEOUT = 300


def update_lists() -> Optional[str]:
    """Run `apt-get update`; the end of its output when it fails, else None."""
    try:
        run(["apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=120"], env=_APT_ENV,
            timeout=UPDATE_TIMEOUT)
    except CommandError as e:
        return "\n".join(e.output.strip().splitlines()[-6:]) or str(e)
    return None


def parse_policy(text: str) -> Dict[str, Known]:
    """`apt-cache policy NAME...`'s output: name -> candidate and versions. Names apt does
    not know have no entry."""
    known: Dict[str, Known] = {}
    current: Optional[Known] = None
    in_table = False
    for line in text.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = known[line[:-1]] = Known(None, [])
            in_table = False
        elif current is None:
            continue
        elif line.startswith("  Candidate:"):
            value = line.split(":", 1)[1].strip()
            current.candidate = None if value == _NONE else value
        elif line.startswith("  Version table:"):
            in_table = True
        elif in_table and len(line) > 5 and line[:5] in ("     ", " *** ") and line[5] != " ":
            version = line[5:].split()[0]
            if version not in current.versions:
                current.versions.append(version)
    return known


def policy(names: List[str]) -> Dict[str, Known]:
    """What apt's cache knows of `names` (one apt-cache run)."""
    if not names:
        return {}
    known = parse_policy(run(["apt-cache", "policy", "--", *names], check=False).stdout)
    # apt prints a package of the host's own architecture without its ":amd64".
    for name in names:
        base = name.split(":")[0]
        if name not in known and base != name and base in known:
            known[name] = known[base]
    return known


def providers(name: str) -> List[str]:
    """The packages that provide virtual package `name`."""
    text = run(["apt-cache", "showpkg", "--", name], check=False).stdout
    out: List[str] = []
    if "Reverse Provides:" not in text:
        return out
    for line in text.split("Reverse Provides:", 1)[1].splitlines():
        words = line.split()
        if words and words[0] not in out:
            out.append(words[0])
    return out


def close_names(names: List[str], count: int = 4) -> Dict[str, List[str]]:
    """For each of `names`, the names apt knows that are spelt most like it."""
    every = run(["apt-cache", "pkgnames"], check=False).stdout.split()
    out = {}
    for name in names:
        # Names that share no first letter are never what was meant; this also keeps
        # difflib's work to a fraction of the ~60 000 names.
        pool = [n for n in every if n[:1] == name[:1] and abs(len(n) - len(name)) <= 8]
        out[name] = difflib.get_close_matches(name, pool, n=count, cutoff=0.6)
    return out


def _pending(wanted: List[Dict[str, Any]]) -> List[Tuple[str, Optional[str]]]:
    """The (name, pin) of the packages not installed as declared."""
    facts = package_facts(w["name"] for w in wanted)
    out = []
    for w in wanted:
        fact = facts.get(w["name"])
        pin = w.get("version")
        if fact is not None and fact.installed and (not pin or version_matches(fact.version, pin)):
            continue
        out.append((w["name"], pin))
    return out


def unresolved(pending: List[Tuple[str, Optional[str]]], known: Dict[str, Known]
              ) -> List[Dict[str, Any]]:
    """The pending (name, pin)s apt cannot install as declared, with what it knows of them
    (an unknown name's kind is "unknown" here, whether or not it is a virtual package)."""
    problems: List[Dict[str, Any]] = []
    for name, pin in pending:
        entry = known.get(name)
        if entry is None or not entry.versions:
            problems.append({"name": name, "kind": "unknown"})
        elif pin and not any(version_matches(v, pin) for v in entry.versions):
            problems.append({"name": name, "kind": "version", "version": pin,
                             "offered": entry.versions})
        elif not pin and entry.candidate is None:
            problems.append({"name": name, "kind": "no-candidate", "offered": entry.versions})
    return problems


def check(wanted: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The report of the `packages` check for `wanted` ([{name, version}]): `lists` (present,
    fetched: the host had none, refreshed: fetched again for an unknown name), `update-error`
    and `problems` ([{name, kind: unknown|virtual|version|no-candidate, ...}])."""
    pending = _pending(wanted)
    report: Dict[str, Any] = {"lists": "present", "update-error": None, "problems": [],
                              "asked": len(pending)}
    if not pending:
        return report
    if not has_lists():
        report["lists"] = "fetched"
        report["update-error"] = update_lists()
        if not has_lists():
            return report
    names = [name for name, _ in pending]
    problems = unresolved(pending, policy(names))
    if problems and report["lists"] == "present":
        report["lists"] = "refreshed"
        report["update-error"] = update_lists()
        problems = unresolved(pending, policy(names))
    unknown = []
    for problem in problems:
        if problem["kind"] == "unknown":
            provided_by = providers(problem["name"])
            if provided_by:
                problem.update(kind="virtual", providers=provided_by)
            else:
                unknown.append(problem)
    if unknown:
        close = close_names([p["name"] for p in unknown])
        for problem in unknown:
            problem["close"] = close[problem["name"]]
    report["problems"] = problems
    return report
