"""Packages on a host, with its package manager (apt on Debian and Ubuntu): the executors of
the planner's package changes. They install what a generation declares (at its pinned version)
and remove only what lispdeploy itself installed. Installing never starts the package's
services (a policy-rc.d forbids it for the duration): the activation starts and restarts units
itself, with the configuration it manages. Consecutive package changes of one kind are made by
one apt-get run (see `BATCHED`). Standard library only."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from lispdeploy.hostside.commands import CommandError, exists, run
from lispdeploy.hostside.facts import package_facts

POLICY_RC_D = "/usr/sbin/policy-rc.d"
# SUDO_FORCE_REMOVE: sudo's removal script refuses without it (no root password set).
_APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none",
            "SUDO_FORCE_REMOVE": "yes"}


def package_manager() -> Optional[str]:
    """'apt' when the host has apt and dpkg, else None."""
    return "apt" if exists("apt-get") and exists("dpkg-query") else None


def _spec(args: Dict[str, Any]) -> str:
    return args["package"] + (f"={args['version']}" if args.get("version") else "")


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


def install(batch: List[Dict[str, Any]], context) -> None:
    """Install (or bring to their pinned version) packages, in one apt-get run, updating the
    package lists once if apt does not know one."""
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
    if any(a.get("version") for a in batch):
        argv.append("--allow-downgrades")
    specs = [_spec(a) for a in batch]
    with _NoServiceStarts():
        try:
            run(argv + specs, env=_APT_ENV)
        except CommandError as e:
            if "Unable to locate package" not in e.output and "has no installation" not in \
                    e.output and "not found" not in e.output:
                raise
            run(["apt-get", "update", "-q"], env=_APT_ENV)
            run(argv + specs, env=_APT_ENV)
    for a in batch:
        context.state.record("packages", a["package"], {"installed": True})


def remove(batch: List[Dict[str, Any]], context) -> None:
    """Remove packages lispdeploy installed (their configuration files stay)."""
    names = [a["package"] for a in batch]
    facts = package_facts(names)
    present = [n for n in names if n in facts and facts[n].installed]
    if present:
        with _NoServiceStarts():
            run(["apt-get", "remove", "-y", "-q"] + present, env=_APT_ENV)
    for n in names:
        context.state.record("packages", n, None)


def forget(batch: List[Dict[str, Any]], context) -> None:
    """Drop the record of packages that are no longer installed."""
    for a in batch:
        context.state.record("packages", a["package"], None)


EXECUTORS = {
    ("package", "add"): install,
    ("package", "change"): install,
    ("package", "remove"): remove,
    ("package", "forget"): forget,
}
# Executors that take the list of a run of consecutive changes (one apt-get for them all).
BATCHED = {("package", "add"), ("package", "change"), ("package", "remove"),
           ("package", "forget")}
