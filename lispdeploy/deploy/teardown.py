"""Tearing down provisioned hosts: what `destroy` would delete for a spec's machines, what
`prune` would delete (hosts the spec's deployment created and no longer declares), and
deleting them. A host is only ever deleted by the deployment that created it: a machine whose
host belongs to another deployment is refused before anything is deleted.

Nothing here asks or prints; the command line lists the targets and asks first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from lispdeploy.errors import LispdeployError
from lispdeploy.machine import EnvironmentType, Machine, ProvisionedHost, check_owner


@dataclass
class Target:
    """One thing to delete: the machine it is for (None for a host no machine declares any
    more), the host as its environment describes it, and how to delete it."""

    machine: Optional[Machine]
    host: ProvisionedHost
    delete: Callable[[], Any]

    @property
    def label(self) -> str:
        """The machine's host name, or the host's own name for a pruned one."""
        return self.machine.display_name if self.machine is not None else self.host.name

    def to_json(self) -> Dict[str, Any]:
        """The target for reports."""
        return {"host": self.label, **self.host.to_json()}


@dataclass
class Outcome:
    """What deleting a target did: `error` is None when it is gone."""

    target: Target
    error: Optional[LispdeployError] = None


def destroy_targets(machines: Sequence[Machine], deployment: Optional[str]
                    ) -> Tuple[List[Target], List[str]]:
    """What destroying the machines deletes, and a note for each machine with nothing to
    delete. Raises for a machine whose host another deployment created."""
    targets: List[Target] = []
    notes: List[str] = []
    for machine in machines:
        environment = machine.environment
        if environment.find_host is not None and environment.destroy_host is not None:
            found = environment.find_host(machine)
            if found is None:
                notes.append(f"{machine.display_name}: nothing to destroy (not provisioned)")
                continue
            check_owner(machine, found, deployment)
            targets.append(Target(machine, found, _deleter(environment, found)))
        elif environment.destroy_machine is not None:
            found = ProvisionedHost(environment.name, machine.display_name,
                                    f"whatever {environment.name}'s destroy-machine removes",
                                    None)
            targets.append(Target(machine, found, _machine_deleter(machine)))
        else:
            notes.append(f"{machine.display_name}: nothing to destroy ({environment.name} "
                         "hosts are not provisioned by lispdeploy)")
    return targets, notes


def _deleter(environment: EnvironmentType, found: ProvisionedHost) -> Callable[[], Any]:
    return lambda: environment.destroy_host(found)


def _machine_deleter(machine: Machine) -> Callable[[], Any]:
    return lambda: machine.environment.destroy_machine(machine)


def prune_targets(machines: Sequence[Machine], deployment: str,
                  environments: Sequence[EnvironmentType]) -> Tuple[List[Target], List[str]]:
    """The hosts `deployment` created in these environments that none of `machines`
    declares, and notes on environments that could not be looked through."""
    targets: List[Target] = []
    notes: List[str] = []
    for environment in environments:
        if environment.deployment_hosts is None or environment.destroy_host is None:
            continue
        ours = [m for m in machines if m.environment is environment]
        skip = _skip_reason(environment, ours)
        if skip:
            notes.append(skip)
            continue
        declared = set()
        for machine in ours:
            found = environment.find_host(machine) if environment.find_host else None
            if found is not None:
                declared.add(found.key)
        for found in environment.deployment_hosts(deployment):
            if found.key not in declared:
                targets.append(Target(None, found, _deleter(environment, found)))
    return targets, notes


def environments_of(machines: Sequence[Machine]) -> List[EnvironmentType]:
    """The environments prune looks through: lispdeploy's own that provide hosts, and those
    of the spec's machines."""
    from lispdeploy.environments.container.environment import container_environment_type
    from lispdeploy.environments.digital_ocean import digital_ocean_environment_type
    found: List[EnvironmentType] = [container_environment_type, digital_ocean_environment_type]
    for machine in machines:
        if machine.environment not in found:
            found.append(machine.environment)
    return found


def _skip_reason(environment: EnvironmentType, machines: Sequence[Machine]) -> Optional[str]:
    """Why an environment the spec does not use cannot be looked through (no root for
    containers, no token for DigitalOcean), or None. One the spec uses is always looked
    through, and its errors are the command's."""
    if machines:
        return None
    if environment.name == "container-environment-type" and os.geteuid() != 0:
        return "container hosts not looked through: that needs root"
    if environment.name == "digital-ocean-environment-type" and not any(
            os.environ.get(v) for v in ("LISPDEPLOY_DIGITAL_OCEAN_TOKEN",
                                        "GUIX_DIGITAL_OCEAN_TOKEN")):
        return "DigitalOcean droplets not looked through: no API token is set"
    return None


def carry_out(targets: Sequence[Target]) -> List[Outcome]:
    """Delete every target (one failure does not stop the others)."""
    outcomes = []
    for target in targets:
        try:
            target.delete()
            outcomes.append(Outcome(target))
        except LispdeployError as e:
            outcomes.append(Outcome(target, e))
    return outcomes
