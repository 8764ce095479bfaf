"""The probe: everything a deploy needs to know about a host, gathered in one round trip.

Architecture, OS and package manager, Python version, which store items are missing, the
generations and the current one's provenance and manifest, who holds the deploy lock, the
reports of the safety checks asked for (`hostside.safety`), and, for the manifest to deploy,
the facts planning needs and lispdeploy's record of what it changed: the controller plans with
`hostside.plan` from them, so a dry run needs no other round trip.

Before anything else, an activation found cut short (its journal left, the lock free) is
finished or undone, as a job of the host agent that ran it (`hostside.agent`), and reported
with the recoveries done since the last activation (at boot, say). An activation running now
is reported as such (`interrupted`, `lock`): the host is not on a complete generation until
it ends. Runs on hosts: standard library only.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, Optional

from lispdeploy.hostside import agent as agents
from lispdeploy.hostside import confirmation, generations, journal, lease, packages, safety
from lispdeploy.hostside import store
from lispdeploy.hostside.contract import (ContractError, OsRelease, ProbeAnswer, ProbeRequest,
                                          Provenance)
from lispdeploy.hostside.facts import gather
from lispdeploy.hostside.generations import LockedError
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


PROBE_LOCK_WAIT_SECONDS = 5.0


def recover_interrupted() -> None:
    """Finish or undo an activation that was cut short, if the probe finds one (and no
    activation is running: it holds the lock)."""
    if not journal.exists() or generations.holder() is not None:
        return
    try:
        agent = journal.Journal.read().agent
    except (ContractError, AttributeError):
        return  # a journal this program cannot read: reported, left to its own lispdeploy
    try:
        agents.perform(agent, "recover", {"found": "probe", "wait": PROBE_LOCK_WAIT_SECONDS})
    except LockedError:
        pass  # an activation began meanwhile: it recovers first itself


def interrupted() -> Optional[Dict[str, Any]]:
    """The journal of an activation still open (running now, or unreadable here)."""
    try:
        found = journal.Journal.read()
    except ContractError as e:
        return {"error": str(e)}
    return found.describe() if found is not None else None


def probe(request: ProbeRequest) -> ProbeAnswer:
    """The host's answer to `request` (see the module docstring)."""
    recover_interrupted()
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
        machine=os.uname().machine, os=os_release(), python=list(sys.version_info[:3]),
        package_manager=packages.package_manager(),
        systemd=os.path.isdir("/run/systemd/system"),
        missing=store.missing(request.items), generation=number,
        generations=generations.numbers(), system=system,
        provenance=provenance if number is not None else None,
        lock=lease.holder() or generations.holder(), checks=safety.report(request.checks),
        current=current, recovered=journal.recoveries(), interrupted=interrupted(),
        pending=confirmation.pending())
    if request.manifest is not None:
        state = HostState()
        answer.facts = gather(facts_request(request.manifest, state, current), state)
        answer.state = state.public()
    return answer
