"""What the controller calls on a host: each function takes and returns JSON-compatible values
(the records of `hostside.contract` in their JSON form) and is run by the controller in one
round trip (probe, activate, switch, roll back, confirm, list generations, collect garbage).

Activations, switches and roll-backs run as jobs of the host agent (`hostside.agent`): a
transient systemd unit, independent of the SSH session, whose output and result the session
streams back. `agent` is the agent program's store path (sent with the call). Standard library
only."""

from __future__ import annotations

from typing import Any, Dict, Optional

from lispdeploy.hostside import generations, lease, pause
from lispdeploy.hostside.contract import ProbeRequest

# Each function imports the modules it needs: a program is one of them, and a no-op deploy's
# only program (the probe) need not load the planner, the executors and the agent.


def probe(request: Dict[str, Any]) -> Dict[str, Any]:
    """The answer to a `contract.ProbeRequest`: facts and safety-check reports (after
    finishing or undoing an activation that was cut short)."""
    from lispdeploy.hostside import probe as probing
    pause.point("probe")
    return probing.probe(ProbeRequest.from_json(request)).to_json()


def activate(system: str, who: str, confirm: Optional[Dict[str, Any]] = None,
             provenance: Optional[Dict[str, Any]] = None,
             holder: Optional[Dict[str, Any]] = None,
             agent: Optional[str] = None,
             secrets: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Make `system` a new generation and activate it (rolling back on failure), recording
    `provenance` with it; the system the host already runs is converged to in place. With
    `confirm` ({"timeout": seconds}), a new generation must then be confirmed over a new
    connection, or the host goes back by itself; until then the host is `holder`'s
    ({"id", "who", "spec"}: see hostside.lease, held by the agent's job), and another deploy
    is refused. `secrets`: /etc path -> base64 content of the manifest's secrets; they arrive
    with the program on stdin and are written nowhere but at their destinations (the agent
    runs such an activation inline, never from a request on disk). A `contract.Outcome`."""
    from lispdeploy.hostside import agent as agents
    pause.point("activate")
    arguments = {"system": system, "who": who, "confirm": confirm, "provenance": provenance,
                 "holder": holder}
    if secrets:
        arguments["secrets"] = secrets
    outcome = agents.perform(agent, "activate", arguments)
    pause.point("answered")
    return outcome


def confirm(generation: int, lease_id: Optional[str] = None) -> Dict[str, Any]:
    """Confirm a deployed generation (see hostside.confirmation); the deploy's lease ends."""
    from lispdeploy.hostside import confirmation
    pause.point("confirm")
    answer = confirmation.confirm(generation)
    lease.release(lease_id)
    return answer


def switch_generation(number: Optional[int], who: str, lease_id: Optional[str] = None,
                      failed: Optional[int] = None,
                      agent: Optional[str] = None) -> Dict[str, Any]:
    """Switch to an existing generation (None or 0: the host as it was) and re-activate it;
    refused while another deploy is changing the host (`lease_id`: the deploy that is, going
    back after a failed health check: then `failed` is the generation it leaves, removed
    with what it created, see hostside.created)."""
    from lispdeploy.hostside import agent as agents
    return agents.perform(agent, "switch", {"number": number or None, "who": who,
                                            "lease_id": lease_id, "failed": failed})


def roll_back(who: str, agent: Optional[str] = None) -> Dict[str, Any]:
    """Switch to the generation before the current one (refused while another deploy is
    changing the host)."""
    from lispdeploy.hostside import agent as agents
    return agents.perform(agent, "roll-back", {"who": who})


def list_generations() -> Dict[str, Any]:
    """Every generation with its date, system item and provenance."""
    return {"current": generations.current(),
            "generations": [generations.describe(n) for n in generations.numbers()]}


def collect_garbage(keep: int, dry_run: bool = False) -> Dict[str, Any]:
    """Delete old generations and unreferenced store items (not while another deploy is
    changing the host: its generations are not all settled)."""
    from lispdeploy.hostside import gc
    with lease.changing({"id": None, "who": "lispdeploy gc"}), generations.Lock("lispdeploy gc"):
        return gc.collect(keep, dry_run=dry_run)
