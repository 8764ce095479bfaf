"""Confirm or revert: a host that a deploy cuts off goes back to its previous generation by
itself.

After a successful activation, the host records a pending confirmation of the new generation
(`pending-confirmation`: generation, previous, deadline on the host's clock) and starts a
watchdog (the host agent, `agent.py`, as a transient systemd unit, so it outlives the SSH
session). The controller then opens a *new* connection and confirms. If no confirmation
arrives before the deadline (the new generation broke SSH, the network, authentication... or
the controller is gone), the watchdog switches the host back to the previous generation and
re-activates it. A later deploy that reaches the host while its generation awaits
confirmation confirms it (`confirm_pending`): that deploy reached it anew.

Deciding is done under the deploy lock, so that a confirmation and the watchdog's way back
never both happen; the way back is an activation like any other (journaled, recovered if cut
short). A host stopped while a generation awaited confirmation starts the watchdog again at
boot (`lispdeploy-recover.service`): past the deadline, it goes back at once. Standard
library only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, Optional

from lispdeploy.hostside import created, generations, lease
from lispdeploy.hostside.commands import run
from lispdeploy.hostside.contract import Confirmation, Pending
from lispdeploy.hostside.hoststate import ROOT, write_atomically
from lispdeploy.hostside.output import say

PENDING = os.path.join(ROOT, "pending-confirmation")
POLL_SECONDS = 0.5
# How long a confirmation waits for the lock (the watchdog may be going back right now).
CONFIRM_WAIT_SECONDS = 120.0
WATCHDOG = "lispdeploy.hostside.confirmation watchdog"


def pending() -> Optional[Pending]:
    """The generation awaiting its confirmation, if one does."""
    try:
        with open(PENDING, encoding="utf-8") as f:
            data = json.load(f)
        return Pending(generation=int(data["generation"]), previous=data.get("previous"),
                       deadline=float(data["deadline"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _drop() -> None:
    if os.path.lexists(PENDING):
        os.unlink(PENDING)


def arm(generation: int, previous: Optional[int], agent: str, timeout: float) -> Confirmation:
    """Record that `generation` awaits confirmation and start the watchdog (the host agent
    program `agent`, a store item) as a transient unit; return what was armed. Called with
    the deploy lock held. A watchdog that cannot start is said in the Confirmation: the
    generation then stands unguarded."""
    deadline = time.time() + timeout
    write_atomically(PENDING, json.dumps({"generation": generation, "previous": previous,
                                          "deadline": deadline}).encode(), 0o600)
    unit = f"lispdeploy-confirm-{generation}"
    try:
        run(["systemctl", "reset-failed", unit], check=False)
        run(["systemd-run", f"--unit={unit}", "--collect", "--quiet",
             "--description=lispdeploy: revert unless the deploy is confirmed",
             sys.executable, "-I", agent, "watch"])
    except Exception as e:  # no watchdog: the deploy stands, unguarded, and says so
        return Confirmation(unit=unit, deadline=deadline, timeout=timeout,
                            error=f"{type(e).__name__}: {e}")
    return Confirmation(unit=unit, deadline=deadline, timeout=timeout)


def confirm_pending(current: Optional[int]) -> Optional[int]:
    """With the deploy lock held, as an activation begins: a deploy reached the host while
    generation `current` awaited its confirmation; confirm it (return its number). A pending
    record of a generation that is no longer current is dropped (it was superseded)."""
    waiting = pending()
    if waiting is None:
        return None
    _drop()
    if current is not None and waiting.generation == current:
        created.forget(current)  # it stands, and what it created
        return current
    lease.end_of(waiting.generation)
    return None


def drop_superseded() -> None:
    """With the deploy lock held: drop the pending record of a generation that is no longer
    the current one (undone, rolled back, replaced)."""
    waiting = pending()
    if waiting is not None and waiting.generation != generations.current():
        _drop()
        lease.end_of(waiting.generation)  # the deploy that held the host for it is over


def confirm(generation: int) -> Dict[str, Any]:
    """Confirm `generation` (called over a new connection): stop the watchdog's countdown.
    Idempotent (asked again after a lost answer, it says confirmed while the host keeps the
    generation); says whether the host had already gone back."""
    with generations.Lock("lispdeploy confirmation", wait=CONFIRM_WAIT_SECONDS):
        waiting = pending()
        current = generations.current()
        if current == generation and (waiting is None or waiting.generation == generation):
            _drop()
            created.forget(generation)  # it stands, and what it created
            return {"confirmed": True, "generation": generation}
        return {"confirmed": False, "current": current, "reverted": current != generation}


def watch(agent: Optional[str] = None) -> Dict[str, Any]:
    """The watchdog: wait for the confirmation; at the deadline, switch back. `agent`: the
    host agent program it runs as (recorded in the journal of the way back)."""
    from lispdeploy.hostside import activation
    first = pending()
    if first is None:
        return {"result": "nothing pending"}
    while time.time() < first.deadline:
        now = pending()
        if now is None or now.generation != first.generation:
            return {"result": "confirmed"}
        if generations.current() != first.generation:
            break  # superseded: said under the lock below
        time.sleep(POLL_SECONDS)
    with generations.Lock(WATCHDOG, wait=activation.LOCK_WAIT_SECONDS):
        activation.recover_locked("watchdog")
        now = pending()
        if now is None or now.generation != first.generation:
            return {"result": "confirmed"}
        if generations.current() != first.generation:
            _drop()
            return {"result": "superseded"}
        say(f"lispdeploy: generation {first.generation} was not confirmed in time; "
            f"switching back to generation {first.previous or 0}")
        # The record goes once the way back is journaled: cut short, it is finished.
        report = activation.switch_locked(first.previous, who=WATCHDOG, agent=agent,
                                          begun=_drop, tidy=first.generation)
        lease.end_of(first.generation)
    say(f"lispdeploy: {report.result}")
    return report.to_json()
