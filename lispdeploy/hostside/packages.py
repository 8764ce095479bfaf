"""Packages on a host, with its package manager (apt on Debian and Ubuntu): the executors of
the planner's package changes. They install what a generation declares (at its pinned version),
remove only what lispdeploy itself installed, and update the package lists when apt's sources
change. Installing never starts the package's
services (a policy-rc.d forbids it for the duration): the activation starts and restarts units
itself, with the configuration it manages. Removing purges the package and the dependencies
its installation brought that nothing depends on any more, so that generation 0 is the host
as it was. Consecutive package changes of one kind are made by one apt-get run (see
`BATCHED`). Standard library only."""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Set

from lispdeploy.hostside.commands import CommandError, exists, run
from lispdeploy.hostside.contract import HostSideError
from lispdeploy.hostside.facts import package_facts

POLICY_RC_D = "/usr/sbin/policy-rc.d"
_POLICY_MARK = "# lispdeploy: services are started by the activation"
_POLICY = f"#!/bin/sh\n{_POLICY_MARK}\nexit 101\n"
DPKG_UPDATES = "/var/lib/dpkg/updates"
# SUDO_FORCE_REMOVE: sudo's removal script refuses without it (no root password set).
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none",
            "SUDO_FORCE_REMOVE": "yes"}
# What apt says when its package lists are missing (a fresh server has none) or out of date
# (a version they name is gone from the archive): after `apt-get update` it may succeed.
_STALE_LISTS = ("Unable to locate package", "has no installation candidate", "was not found",
                "Failed to fetch", "404  Not Found", "404 Not Found")
_VERSION_NOT_FOUND = re.compile(r"Version '([^']*)' for '([^']*)' was not found")


class PackageError(HostSideError):
    """A declared package cannot be installed as declared (a pin apt cannot satisfy)."""


def installed_names() -> Set[str]:
    """Every installed package."""
    result = run(["dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\n"], check=False)
    return {line.split("\t")[0] for line in result.stdout.splitlines()
            if line.split("\t")[1:2] and line.split("\t")[1].startswith("ii")}


def offered_versions(name: str) -> List[str]:
    """The versions of package `name` that apt can install (newest first)."""
    result = run(["apt-cache", "madison", name], check=False)
    versions: List[str] = []
    for line in result.stdout.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) >= 2 and fields[0] == name and fields[1] not in versions:
            versions.append(fields[1])
    return versions


def package_manager() -> Optional[str]:
    """'apt' when the host has apt and dpkg, else None."""
    return "apt" if exists("apt-get") and exists("dpkg-query") else None


def _spec(args: Dict[str, Any]) -> str:
    return args["package"] + (f"={args['version']}" if args.get("version") else "")


def _ours(path: str = POLICY_RC_D) -> bool:
    """Whether `path` is the policy-rc.d lispdeploy writes (one an interruption left)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return _POLICY_MARK in f.read(4096)
    except OSError:
        return False


class _NoServiceStarts:
    """A policy-rc.d that forbids package scripts to start services, unless one exists (ours,
    left by an interrupted activation, is taken over and removed)."""

    def __enter__(self):
        self.made = not os.path.exists(POLICY_RC_D) or _ours()
        if self.made:
            tmp = POLICY_RC_D + ".lispdeploy-tmp"
            with open(tmp, "w") as f:
                f.write(_POLICY)
            os.chmod(tmp, 0o755)
            os.replace(tmp, POLICY_RC_D)
        return self

    def __exit__(self, *exc):
        if self.made and os.path.exists(POLICY_RC_D):
            os.unlink(POLICY_RC_D)


def clean_up_after_interruption() -> None:
    """What an activation cut short in the middle of apt may leave: our policy-rc.d (package
    scripts could never start services again), and dpkg's half-done work (apt refuses to run
    until `dpkg --configure -a`)."""
    if _ours():
        os.unlink(POLICY_RC_D)
    try:
        pending = os.listdir(DPKG_UPDATES)
    except OSError:
        pending = []
    if pending and exists("dpkg"):
        with _NoServiceStarts():
            run(["dpkg", "--configure", "-a", "--force-confdef", "--force-confold"],
                env=_APT_ENV, check=False)


def install(batch: List[Dict[str, Any]], context) -> None:
    """Install (or bring to their pinned version) packages, in one apt-get run, updating the
    package lists once if apt does not know one."""
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends",
            # A pin may ask for an older version than the installed one.
            "--allow-downgrades",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
    specs = [_spec(a) for a in batch]
    before = installed_names()
    with _NoServiceStarts():
        try:
            run(argv + specs, env=_APT_ENV)
        except CommandError as e:
            if not any(text in e.output for text in _STALE_LISTS):
                raise
            run(["apt-get", "update", "-q"], env=_APT_ENV)
            try:
                run(argv + specs, env=_APT_ENV)
            except CommandError as again:
                raise _unsatisfiable(again) or again from None
    names = {a["package"] for a in batch}
    brought = sorted(installed_names() - before - names)
    for a in batch:
        previous = context.state.get("packages", a["package"])
        if previous is None and a["package"] in before:
            # Installed before lispdeploy, only moved to its pinned version: not lispdeploy's
            # to remove.
            continue
        record = dict(previous or {"installed": True})
        record["brought"] = sorted(set(record.get("brought", ())) | set(brought))
        context.state.record("packages", a["package"], record)


def _unsatisfiable(error: CommandError) -> Optional[PackageError]:
    """A clear error for a pinned version apt does not have, naming those it does."""
    match = _VERSION_NOT_FOUND.search(error.output)
    if match is None:
        return None
    version, name = match.groups()
    offered = offered_versions(name)
    if offered:
        return PackageError(f"package {name}: version {version} is not available; apt offers "
                            f"{', '.join(offered)} (pin one of them, e.g. "
                            f"\"{name}@{offered[0]}\", or none)")
    return PackageError(f"package {name}: version {version} is not available, and apt offers "
                        "no version of it (check its name and the host's apt sources)")


def update_lists(args: Dict[str, Any], context) -> None:
    """Update apt's package lists (its sources, keys or pins changed)."""
    run(["apt-get", "update", "-q"], env=_APT_ENV)


def remove(batch: List[Dict[str, Any]], context) -> None:
    """Purge packages lispdeploy installed, then the dependencies their installation brought
    that no installed package depends on any more (configuration files go too: the host had
    none of them before)."""
    names = [a["package"] for a in batch]
    facts = package_facts(names)
    present = [n for n in names if n in facts and facts[n].installed]
    brought: Set[str] = set()
    for n in names:
        brought |= set((context.state.get("packages", n) or {}).get("brought", ()))
    with _NoServiceStarts():
        if present:
            run(["apt-get", "purge", "-y", "-q"] + present, env=_APT_ENV)
        leftovers = sorted(brought & _autoremovable()) if brought else []
        if leftovers:
            run(["apt-get", "purge", "-y", "-q"] + leftovers, env=_APT_ENV)
    for n in names:
        context.state.record("packages", n, None)


def _autoremovable() -> Set[str]:
    """Packages apt would autoremove: installed as dependencies, that no installed package
    depends on now. lispdeploy installs without recommends, so what merely recommends or
    suggests a package it brought (libc6 suggests libc-l10n, which locales needs) does not
    keep it."""
    result = run(["apt-get", "-s", "-o", "APT::AutoRemove::RecommendsImportant=false",
                  "-o", "APT::AutoRemove::SuggestsImportant=false", "autoremove"],
                 env=_APT_ENV, check=False)
    return {line.split()[1].split(":")[0] for line in result.stdout.splitlines()
            if line.startswith("Remv ")}


def forget(batch: List[Dict[str, Any]], context) -> None:
    """Drop the record of packages that are no longer installed."""
    for a in batch:
        context.state.record("packages", a["package"], None)


EXECUTORS = {
    ("package", "add"): install,
    ("package", "change"): install,
    ("package", "remove"): remove,
    ("package", "forget"): forget,
    ("package-lists", "update"): update_lists,
}
# Executors that take the list of a run of consecutive changes (one apt-get for them all).
BATCHED = {("package", "add"), ("package", "change"), ("package", "remove"),
           ("package", "forget")}
