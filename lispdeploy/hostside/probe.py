"""The probe: everything a deploy needs to know about a host, gathered in one round trip.

Architecture, OS and package manager, Python version, which store items are missing, the
generations and the current one's provenance and manifest, who holds the deploy lock, the
reports of the safety checks asked for (`hostside.safety`), and, for the manifest to deploy,
the facts planning needs and lispdeploy's record of what it changed: the controller plans with
`hostside.plan` from them, so a dry run needs no other round trip. Runs on hosts: standard
library only.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Dict

from lispdeploy.hostside import generations, lease, packages, safety, store
from lispdeploy.hostside.contract import (ContractError, OsRelease, ProbeAnswer, ProbeRequest,
                                          Provenance)
from lispdeploy.hostside.facts import gather
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import facts_request


def os_release() -> OsRelease:
    """/etc/os-release in short."""
    info: Dict[str, str] = {}
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key:
                    info[key] = value.strip('"')
    except OSError:
        pass
    return OsRelease(id=info.get("ID", "unknown"), version=info.get("VERSION_ID", ""),
                     name=info.get("PRETTY_NAME", info.get("NAME", "unknown")))


def probe(request: ProbeRequest) -> ProbeAnswer:
    """The host's answer to `request` (see the module docstring)."""
    number = generations.current()
    system = generations.system_of(number) if number is not None else None
    current = None
    if number is not None:
        try:
            current = generations.manifest_of(number)
        except (OSError, ContractError):
            current = None
    try:
        provenance = Provenance.from_json(generations.provenance_of(number) or {})
    except ContractError:
        provenance = None
    answer = ProbeAnswer(
        machine=platform.machine(), os=os_release(), python=list(sys.version_info[:3]),
        package_manager=packages.package_manager(),
        systemd=os.path.isdir("/run/systemd/system"),
        missing=store.missing(request.items), generation=number,
        generations=generations.numbers(), system=system,
        provenance=provenance if number is not None else None,
        lock=lease.holder() or generations.holder(), checks=safety.report(request.checks), current=current)
    if request.manifest is not None:
        state = HostState()
        answer.facts = gather(facts_request(request.manifest, state, current), state)
        answer.state = state.public()
    return answer
