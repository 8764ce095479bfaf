"""A managed host's deploy checks: those that need no host, and the reading of the probe's
answers.

Before connecting: every group a user refers to is declared. With the probe's answers: the
host's architecture matches the machine's `system`, it has a package manager lispdeploy can
drive when packages are declared, nobody else is deploying, the safety checks the host ran
passed, and the spec's commit does not go back in time (`allow-downgrades?`).
Each failure names what to change.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any, Dict, List, Optional, Tuple

from lispdeploy.environments.deploy_options import MACHINE_ARCHITECTURES
from lispdeploy.errors import DeployError, SpecError
from lispdeploy.system.operating_system import OperatingSystem


class Problem:
    """A check that failed: a message and a hint, fatal unless it is a warning."""

    __slots__ = ("message", "hint", "warning", "check", "location")

    def __init__(self, message: str, hint: str = "", warning: bool = False, *,
                 check: str = "", location=None):
        self.message = message
        self.hint = hint
        self.warning = warning
        self.check = check          # the host's safety check that found it, if one did
        self.location = location    # where the spec declares what it is about

    def to_json(self) -> Dict[str, Any]:
        """The problem for reports."""
        return {"message": self.message, "hint": self.hint, "warning": self.warning}


def check_declared_groups(os_: OperatingSystem) -> None:
    """Every group a user refers to must be declared in the operating system's groups."""
    declared = {g.name for g in os_.groups}
    for user in os_.users:
        for group in (user.group, *user.supplementary_groups):
            if group not in declared:
                raise SpecError(
                    f"user '{user.name}' refers to group '{group}', which the operating system "
                    "does not declare", location=user.location,
                    hint=f"add (user-group (name \"{group}\")) to the operating-system's groups, "
                         "e.g. (groups (cons (user-group (name \"" + group + "\")) "
                         "%base-groups))")


def ssh_lockout_problem(os_: OperatingSystem, user: str) -> Optional[Problem]:
    """A problem when the new system's sshd would refuse the user lispdeploy connects as:
    the deploy would cut itself off (the host would revert, but the deploy is pointless)."""
    from lispdeploy.services.ssh import openssh_service_type
    for s in os_.services:
        if s.kind is not openssh_service_type:
            continue
        config = s.value
        if user == "root" and config.permit_root_login is False:
            return Problem(
                "the new system's sshd refuses root logins (openssh-configuration "
                "permit-root-login is #f, Guix's default), and lispdeploy reaches this host as "
                "root: the deploy would cut itself off",
                "add (permit-root-login 'prohibit-password) to the openssh-configuration, or "
                "deploy as another user with sudo: (user \"deploy\") in machine-ssh-configuration")
        if not config.public_key_authentication:
            return Problem(
                "the new system's sshd refuses public keys (public-key-authentication? #f), "
                "which is how lispdeploy logs in: the deploy would cut itself off",
                "keep (public-key-authentication? #t)")
    return None


def probe_problems(probe: Dict[str, Any], *, system: str, has_packages: bool
                   ) -> List[Problem]:
    """What the probe's answers forbid (architecture, package manager, lock, safety checks)."""
    problems: List[Problem] = []
    expected = MACHINE_ARCHITECTURES.get(system)
    if expected is not None and probe["machine"] not in expected:
        problems.append(Problem(
            f"incorrect target system ('{system}' was given, while the host reports "
            f"'{probe['machine']}')",
            "set (system ...) in the machine's configuration to the host's architecture"))
    if has_packages and probe.get("package-manager") is None:
        problems.append(Problem(
            f"the host runs {probe['os']['name']}, which has no package manager lispdeploy can "
            "drive (apt)", "deploy to Debian or Ubuntu hosts, or declare no packages"))
    if not probe.get("systemd"):
        problems.append(Problem("the host does not run systemd, which lispdeploy's services use",
                                "deploy to a host booted with systemd"))
    if probe.get("lock"):
        problems.append(Problem(f"another deploy is activating on the host ({probe['lock']})",
                                "wait for it to finish, then deploy again"))
    for check in probe.get("checks", ()):
        if not check["ok"]:
            problems.append(Problem(check["message"], check.get("hint", ""),
                                    check=check.get("check", "")))
    return problems


# The host's checks of values the operating-system record declares itself.
OPERATING_SYSTEM_CHECKS = ("timezone", "locale", "keyboard", "file-system", "bootloader")


def locate(problems: List[Problem], os_: OperatingSystem) -> List[Problem]:
    """Give the problems the host found in the operating system's own values the location of
    the operating-system form, so that they read as the spec's mistakes they are."""
    for problem in problems:
        if problem.check in OPERATING_SYSTEM_CHECKS and problem.location is None:
            problem.location = os_.location
    return problems


def downgrade_problem(host_provenance: Dict[str, Any], local_provenance: Dict[str, Any],
                      spec_path: str, allow_downgrades: bool) -> Optional[Problem]:
    """A problem when the spec commit deployed on the host is not an ancestor of the one being
    deployed (a warning when downgrades are allowed or provenance is missing). Provenance is
    the manifest's: {"git": {"commit", "dirty"} or null, ...}."""
    deployed = (host_provenance.get("git") or {}).get("commit")
    ours = (local_provenance.get("git") or {}).get("commit")
    if not deployed or not ours:
        if deployed and not ours:
            return Problem("cannot determine the provenance of this deploy (the spec is not in a "
                           f"git repository); the host runs commit {deployed[:12]}",
                           warning=True)
        return None
    if deployed == ours:
        return None
    try:
        subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(spec_path)), "merge-base",
                        "--is-ancestor", deployed, ours], capture_output=True, check=True,
                       timeout=30)
        return None
    except subprocess.CalledProcessError:
        relation = "not a descendant of"
    except OSError:
        return Problem("cannot run git to compare commits", warning=True)
    message = (f"commit {ours[:12]} being deployed is {relation} commit {deployed[:12]} that the "
               "host runs")
    if allow_downgrades:
        return Problem(message + "; going on because (allow-downgrades? #t)", warning=True)
    return Problem(message, "deploy a descendant of the host's commit, or set "
                            "(allow-downgrades? #t) in the machine's configuration")


def raise_first(problems: List[Problem], host: str, step: str) -> Tuple[Problem, ...]:
    """Raise a DeployError for the first fatal problem; return the warnings."""
    for p in problems:
        if not p.warning:
            raise DeployError(p.message, host=host, step=step, hint=p.hint or None,
                              rolled_back=None, location=p.location)
    return tuple(problems)
