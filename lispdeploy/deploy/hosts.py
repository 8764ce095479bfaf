"""Reaching the host of a machine, whatever its environment, and choosing machines by name.

A managed-host machine is reached over SSH as its `machine-ssh-configuration` says. A machine
of another environment type (containers, cloud) is reached through its environment's
`delegate`, which returns the managed-host machine standing for it (provisioning the host if
it has to); messages still use the original machine's host name.

Imports errors, machine and environments.managed_host.
"""

from __future__ import annotations

import fnmatch
import inspect
from typing import Any, Callable, Iterable, List, Optional, Sequence

from lispdeploy.environments.managed_host import managed_host_environment_type, open_transport
from lispdeploy.errors import EnvironmentError_, UsageError
from lispdeploy.machine import Machine


def connect(machine: Machine, *, progress: Optional[Callable[[str], None]] = None,
            **options: Any):
    """An open transport to the machine's host; `options` go to `SshTransport.connect`.
    `progress` hears what provisioning the host waits for (creating a droplet, ...), when
    the environment's delegate takes a `progress` keyword."""
    target = machine
    if machine.environment is not managed_host_environment_type:
        delegate = machine.environment.delegate
        if delegate is None:
            raise EnvironmentError_(
                f"machine '{machine.display_name}': {machine.environment.name} cannot be "
                "reached over SSH (it has no delegate)", location=machine.location)
        if progress is not None and _takes_progress(delegate):
            target = delegate(machine, progress=progress)
        else:
            target = delegate(machine)
        # The spec has no host-key to fix: the environment gave the key.
        options.setdefault("host_key_source",
                           f"the host key {machine.environment.name} gives for it")
    return open_transport(target, name=machine.display_name, **options)


def _takes_progress(procedure: Callable) -> bool:
    """Whether a delegate accepts `progress=` (lispdeploy's own do; a spec's lambdas
    usually take the machine only)."""
    try:
        parameters = inspect.signature(procedure).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "progress" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
               or p.kind is p.VAR_KEYWORD for p in parameters)


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
