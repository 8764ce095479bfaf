"""Packages on a host, with its package manager (apt on Debian and Ubuntu): install what a
generation declares and remove only what lispdeploy itself installed. Installing never starts
the package's services (a policy-rc.d forbids it for the duration): the activation starts and
restarts units itself, with the configuration it manages. Standard library only."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from lispdeploy.hostside.changes import Change
from lispdeploy.hostside.commands import CommandError, exists, run
from lispdeploy.hostside.hoststate import HostState

POLICY_RC_D = "/usr/sbin/policy-rc.d"
APT_DIR = "/etc/apt"
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none"}


def package_manager() -> Optional[str]:
    """'apt' when the host has apt and dpkg, else None."""
    return "apt" if exists("apt-get") and exists("dpkg-query") else None


def installed(name: str) -> bool:
    """Whether dpkg reports the package as installed."""
    result = run(["dpkg-query", "-W", "-f=${Status}", name], check=False)
    return result.returncode == 0 and result.stdout.strip().endswith("install ok installed")


def _spec(package: Dict[str, Any]) -> str:
    return package["name"] + (f"={package['version']}" if package.get("version") else "")


def missing_packages(packages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The declared packages that are not installed."""
    return [p for p in packages if not installed(p["name"])]


def package_changes(missing: List[Dict[str, Any]], state: HostState) -> List[Change]:
    """One change installing the `missing` packages (see `missing_packages`)."""
    if not missing:
        return []
    names = " ".join(_spec(p) for p in missing)
    return [Change("package", "add", names, lambda: install(missing, state))]


def list_changes(sources_changed: bool) -> List[Change]:
    """Updating apt's package lists, when its sources, keys or pins change."""
    if not sources_changed or package_manager() != "apt":
        return []
    return [Change("package-lists", "update", "apt",
                   lambda: run(["apt-get", "update", "-q"], env=_APT_ENV),
                   "its sources, keys or pins changed")]


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


def install(packages: List[Dict[str, Any]], state: HostState) -> None:
    """Install packages (updating the package lists once if apt does not know one)."""
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
    with _NoServiceStarts():
        try:
            run(argv + [_spec(p) for p in packages], env=_APT_ENV)
        except CommandError as e:
            if "Unable to locate package" not in e.output and "has no installation" not in \
                    e.output:
                raise
            run(["apt-get", "update", "-q"], env=_APT_ENV)
            run(argv + [_spec(p) for p in packages], env=_APT_ENV)
    for p in packages:
        state.record("packages", p["name"], {"installed": True})


def remove(names: List[str], state: HostState) -> None:
    """Remove packages lispdeploy installed (their configuration files stay)."""
    present = [n for n in names if installed(n)]
    if present:
        with _NoServiceStarts():
            run(["apt-get", "remove", "-y", "-q"] + present, env=_APT_ENV)
    for n in names:
        state.record("packages", n, None)
