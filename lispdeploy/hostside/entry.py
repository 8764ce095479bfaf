"""What the controller calls on a host: each function takes and returns JSON-compatible values
(the records of `hostside.contract` in their JSON form) and is run by the controller in one
round trip (probe, activate, switch, roll back, confirm, list generations, collect garbage).
Standard library only."""

from __future__ import annotations

import base64
import os
import signal
import time
from typing import Any, Dict, Optional

from lispdeploy.hostside import activation, confirmation, created, gc, generations, lease
from lispdeploy.hostside import probe as probing
from lispdeploy.hostside.contract import DEPLOYED, Confirmation, ProbeRequest


def probe(request: Dict[str, Any]) -> Dict[str, Any]:
    """The answer to a `contract.ProbeRequest`: facts and safety-check reports."""
    return probing.probe(ProbeRequest.from_json(request)).to_json()


# The lease outlives the confirmation's deadline by this much: the watchdog's own switch back
# (under the generations' lock) is then done or under way.
LEASE_MARGIN = 30.0


def activate(system: str, who: str, confirm: Optional[Dict[str, Any]] = None,
             provenance: Optional[Dict[str, Any]] = None,
             holder: Optional[Dict[str, Any]] = None,
             secrets: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Make `system` a new generation and activate it (rolling back on failure), recording
    `provenance` with it; the system the host already runs is converged to in place. With
    `confirm` ({"watchdog": program item, "timeout": seconds}), a new generation must then be
    confirmed over a new connection, or the host goes back by itself; until then the host is
    `holder`'s ({"id", "who", "spec"}: see hostside.lease), and another deploy is refused.
    `secrets`: /etc path -> base64 content of the manifest's secrets; they arrive with the
    program on stdin and are written nowhere but at their destinations. A
    `contract.Outcome`."""
    _finish_even_if_disconnected()
    holder = dict(holder or {"id": None, "who": who})
    with lease.changing(holder):
        started = time.time()
        outcome = activation.activate(system, who=who, provenance=provenance,
                                      secrets={path: base64.b64decode(data)
                                               for path, data in (secrets or {}).items()})
        if confirm and outcome.result == DEPLOYED and outcome.generation != outcome.previous:
            try:
                outcome.confirmation = confirmation.arm(outcome.generation, outcome.previous,
                                                        confirm["watchdog"], confirm["timeout"])
            except Exception as e:  # no watchdog: the deploy stands, unguarded, and says so
                outcome.confirmation = Confirmation(error=f"{type(e).__name__}: {e}")
            else:
                lease.hold(dict(holder, since=started),
                           until=outcome.confirmation.deadline + LEASE_MARGIN)
                return outcome.to_json()
    # Not awaiting a confirmation: the generation stands, and what it created with it.
    if outcome.result == DEPLOYED:
        created.forget(outcome.generation)
    return outcome.to_json()


def confirm(generation: int, lease_id: Optional[str] = None) -> Dict[str, Any]:
    """Confirm a deployed generation (see hostside.confirmation); the deploy's lease ends."""
    answer = confirmation.confirm(generation)
    if answer.get("confirmed"):
        created.forget(generation)
    lease.release(lease_id)
    return answer


def _finish_even_if_disconnected() -> None:
    """An activation that has begun runs to its end (or its roll-back) even if the controller
    goes away: a lost connection must not leave the host half-way."""
    for name in ("SIGHUP", "SIGPIPE", "SIGINT"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def switch_generation(number: Optional[int], who: str, lease_id: Optional[str] = None,
                      failed: Optional[int] = None) -> Dict[str, Any]:
    """Switch to an existing generation (None or 0: the host as it was) and re-activate it;
    refused while another deploy is changing the host (`lease_id`: the deploy that is, going
    back after a failed health check: then `failed` is the generation it leaves, removed
    with what it created, see hostside.created)."""
    _finish_even_if_disconnected()
    with lease.changing({"id": lease_id, "who": who}):
        outcome = activation.switch_to(number or None, who=who)
        if failed is not None and outcome.result != "failed":
            # As a failed activation's: the generation is gone, and what it created.
            created.tidy(failed)
            with generations.Lock(who):
                if failed != generations.current() and os.path.lexists(
                        generations.link_path(failed)):
                    generations.remove(failed)
    lease.release(lease_id)
    return outcome.to_json()


def roll_back(who: str) -> Dict[str, Any]:
    """Switch to the generation before the current one (refused while another deploy is
    changing the host)."""
    _finish_even_if_disconnected()
    with lease.changing({"id": None, "who": who}):
        return activation.switch_to(activation.previous_generation(), who=who).to_json()


def list_generations() -> Dict[str, Any]:
    """Every generation with its date, system item and provenance."""
    return {"current": generations.current(),
            "generations": [generations.describe(n) for n in generations.numbers()]}


def collect_garbage(keep: int, dry_run: bool = False) -> Dict[str, Any]:
    """Delete old generations and unreferenced store items (not while another deploy is
    changing the host: its generations are not all settled)."""
    with lease.changing({"id": None, "who": "lispdeploy gc"}), generations.Lock("lispdeploy gc"):
        return gc.collect(keep, dry_run=dry_run)
