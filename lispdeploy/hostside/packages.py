"""Packages on a host, with its package manager (apt on Debian and Ubuntu): install what a
generation declares (at the pinned version, when it pins one) and remove only what lispdeploy
itself installed. Installing never starts the package's services (a policy-rc.d forbids it for
the duration): the activation starts and restarts units itself, with the configuration it
manages. Removing purges the package and the dependencies its installation brought that
nothing needs any more, so that generation 0 is the host as it was. Standard library only."""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Set

from lispdeploy.hostside.changes import Change
from lispdeploy.hostside.commands import CommandError, exists, run
from lispdeploy.hostside.hoststate import HostState

POLICY_RC_D = "/usr/sbin/policy-rc.d"
# SUDO_FORCE_REMOVE: Debian's sudo refuses to be removed while root has no password (it
# could lock root out); lispdeploy removes only the sudo it installed itself.
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none",
            "SUDO_FORCE_REMOVE": "yes"}
# What apt says when its package lists are missing or out of date: after an `apt-get update`
# the same command may succeed.
_STALE_LISTS = ("Unable to locate package", "has no installation candidate",
                "was not found", "Failed to fetch", "404  Not Found", "404 Not Found")
_VERSION_NOT_FOUND = re.compile(r"Version '([^']*)' for '([^']*)' was not found")


class PackageError(Exception):
    """A declared package cannot be installed as declared (a pin apt cannot satisfy)."""


def package_manager() -> Optional[str]:
    """'apt' when the host has apt and dpkg, else None."""
    return "apt" if exists("apt-get") and exists("dpkg-query") else None


def installed_versions() -> Dict[str, str]:
    """Every installed package and its version."""
    result = run(["dpkg-query", "-W", "-f=${Package}\t${Version}\t${db:Status-Abbrev}\n"],
                 check=False)
    versions = {}
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[2].startswith("ii"):
            versions[fields[0]] = fields[1]
    return versions


def installed(name: str) -> bool:
    """Whether dpkg reports the package as installed."""
    result = run(["dpkg-query", "-W", "-f=${Status}", name], check=False)
    return result.returncode == 0 and result.stdout.strip().endswith("install ok installed")


def _spec(package: Dict[str, Any]) -> str:
    return package["name"] + (f"={package['version']}" if package.get("version") else "")


def missing_packages(packages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The declared packages that are not installed, or not at their pinned version."""
    versions = installed_versions()
    return [p for p in packages if p["name"] not in versions
            or (p.get("version") and versions[p["name"]] != p["version"])]


def package_changes(missing: List[Dict[str, Any]], state: HostState) -> List[Change]:
    """One change installing the `missing` packages (see `missing_packages`)."""
    if not missing:
        return []
    names = " ".join(_spec(p) for p in missing)
    return [Change("package", "add", names, lambda: install(missing, state))]


def package_removals(packages: List[Dict[str, Any]], state: HostState) -> List[Change]:
    """One change removing the packages lispdeploy installed that are no longer declared."""
    wanted = {p["name"] for p in packages}
    ours = sorted(n for n in state.data["packages"] if n not in wanted)
    if not ours:
        return []
    return [Change("package", "remove", " ".join(ours), lambda: remove(ours, state))]


class _NoServiceStarts:
    """A policy-rc.d that forbids package scripts to start services, unless one exists."""

    def __enter__(self):
        self.made = not os.path.exists(POLICY_RC_D)
        if self.made:
            with open(POLICY_RC_D, "w") as f:
                f.write("#!/bin/sh\n# lispdeploy: services are started by the activation\n"
                        "exit 101\n")
            os.chmod(POLICY_RC_D, 0o755)
        return self

    def __exit__(self, *exc):
        if self.made and os.path.exists(POLICY_RC_D):
            os.unlink(POLICY_RC_D)


def offered_versions(name: str) -> List[str]:
    """The versions of package `name` that apt can install (newest first)."""
    result = run(["apt-cache", "madison", name], check=False)
    versions = []
    for line in result.stdout.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) >= 2 and fields[0] == name and fields[1] not in versions:
            versions.append(fields[1])
    return versions


def install(packages: List[Dict[str, Any]], state: HostState) -> None:
    """Install packages at their pinned versions (updating the package lists once if apt does
    not know one, or its lists are out of date)."""
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends",
            # A pin may ask for an older version than the installed one.
            "--allow-downgrades",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
    before = set(installed_versions())
    with _NoServiceStarts():
        try:
            run(argv + [_spec(p) for p in packages], env=_APT_ENV)
        except CommandError as e:
            if not any(text in e.output for text in _STALE_LISTS):
                raise
            run(["apt-get", "update", "-q"], env=_APT_ENV)
            try:
                run(argv + [_spec(p) for p in packages], env=_APT_ENV)
            except CommandError as again:
                raise _unsatisfiable(again, packages) or again from None
    brought = sorted(set(installed_versions()) - before - {p["name"] for p in packages})
    for p in packages:
        previous = state.get("packages", p["name"])
        if previous is None and p["name"] in before:
            # Installed before lispdeploy, only moved to the pinned version: not lispdeploy's
            # to remove.
            continue
        record = dict(previous or {"installed": True})
        record["brought"] = sorted(set(record.get("brought", ())) | set(brought))
        state.record("packages", p["name"], record)


def _unsatisfiable(error: CommandError,
                   packages: List[Dict[str, Any]]) -> Optional[PackageError]:
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


def remove(names: List[str], state: HostState) -> None:
    """Purge packages lispdeploy installed, then the dependencies their installation brought
    that no installed package needs any more (their configuration files go too)."""
    present = [n for n in names if installed(n)]
    brought: Set[str] = set()
    for n in names:
        brought |= set((state.get("packages", n) or {}).get("brought", ()))
    with _NoServiceStarts():
        if present:
            run(["apt-get", "purge", "-y", "-q"] + present, env=_APT_ENV)
        leftovers = sorted(brought & _autoremovable())
        if leftovers:
            run(["apt-get", "purge", "-y", "-q"] + leftovers, env=_APT_ENV)
    for n in names:
        state.record("packages", n, None)


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
