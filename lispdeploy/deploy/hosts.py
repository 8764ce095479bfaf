"""Reaching the host of a machine, whatever its environment, and choosing machines by name.

A managed-host machine is reached over SSH as its `machine-ssh-configuration` says. A machine
of another environment type (containers, cloud) is reached through its environment's
`delegate`, which returns the managed-host machine standing for it (provisioning the host if
it has to); messages still use the original machine's host name.

Imports errors, machine and environments.managed_host.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Callable, Iterable, List, Optional, Sequence

from lispdeploy.environments.managed_host import managed_host_environment_type, open_transport
from lispdeploy.errors import EnvironmentError_, UsageError
from lispdeploy.machine import Machine, accepts_keyword


def connect(machine: Machine, *, progress: Optional[Callable[[str], None]] = None,
            provision: bool = False, **options: Any):
    """An open transport to the machine's host; `options` go to `SshTransport.connect`.
    Only with `provision` (deploys) may the environment create a missing host; `progress`
    hears what provisioning waits for (creating a droplet, ...), when the environment's
    delegate takes a `progress` keyword."""
    target = machine
    if machine.environment is not managed_host_environment_type:
        delegate = machine.environment.delegate
        if delegate is None:
            raise EnvironmentError_(
                f"machine '{machine.display_name}': {machine.environment.name} cannot be "
                "reached over SSH (it has no delegate)", location=machine.location)
        keywords: dict = {}
        if progress is not None and accepts_keyword(delegate, "progress"):
            keywords["progress"] = progress
        if accepts_keyword(delegate, "create"):
            keywords["create"] = provision
        target = delegate(machine, **keywords)
        # The spec has no host-key to fix: the environment gave the key.
        options.setdefault("host_key_source",
                           f"the host key {machine.environment.name} gives for it")
    return open_transport(target, name=machine.display_name, **options)


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
