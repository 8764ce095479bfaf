"""Confirm or revert: a host that a deploy cuts off goes back to its previous generation by
itself.

After a successful activation, the host records a pending confirmation of the new generation
and starts a watchdog (a transient systemd unit, so it outlives the SSH session). The
controller then opens a *new* connection and confirms. If no confirmation arrives before the
deadline (the new generation broke SSH, the network, authentication...), the watchdog switches
the host back to the previous generation and re-activates it. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, Optional

from lispdeploy.hostside import created, generations, lease
from lispdeploy.hostside.commands import run
from lispdeploy.hostside.contract import Confirmation
from lispdeploy.hostside.hoststate import ROOT, write_atomically

PENDING = os.path.join(ROOT, "pending-confirmation")
POLL_SECONDS = 0.5


def _pending() -> Optional[Dict[str, Any]]:
    try:
        with open(PENDING, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def arm(generation: int, previous: Optional[int], watchdog: str,
        timeout: float) -> Confirmation:
    """Record that `generation` awaits confirmation and start the watchdog program
    `watchdog` (a store item) as a transient unit; return what was armed."""
    deadline = time.time() + timeout
    write_atomically(PENDING, json.dumps({"generation": generation, "previous": previous,
                                          "deadline": deadline}).encode(), 0o600)
    unit = f"lispdeploy-confirm-{generation}"
    run(["systemctl", "reset-failed", unit], check=False)
    run(["systemd-run", f"--unit={unit}", "--collect", "--quiet",
         "--description=lispdeploy: revert unless the deploy is confirmed",
         sys.executable, "-I", watchdog])
    return Confirmation(unit=unit, deadline=deadline, timeout=timeout)


def confirm(generation: int) -> Dict[str, Any]:
    """Confirm `generation` (called over a new connection): stop the watchdog's countdown.
    Says whether the host had already gone back."""
    pending = _pending()
    if pending is not None and pending["generation"] == generation:
        os.unlink(PENDING)
        return {"confirmed": True, "generation": generation}
    return {"confirmed": False, "current": generations.current(),
            "reverted": generations.current() != generation}


def watch() -> Dict[str, Any]:
    """The watchdog: wait for the confirmation; at the deadline, switch back."""
    from lispdeploy.hostside import activation
    pending = _pending()
    if pending is None:
        return {"result": "nothing pending"}
    while time.time() < pending["deadline"]:
        current = _pending()
        if current is None or current["generation"] != pending["generation"]:
            return {"result": "confirmed"}
        time.sleep(POLL_SECONDS)
    if generations.current() != pending["generation"]:
        os.unlink(PENDING)
        return {"result": "superseded"}
    print(f"lispdeploy: generation {pending['generation']} was not confirmed in time; "
          f"switching back to generation {pending['previous'] or 0}", file=sys.stderr)
    report = activation.switch_to(pending["previous"], who="lispdeploy confirmation watchdog")
    if report.result != "failed":
        created.tidy(pending["generation"])
    lease.end()
    if os.path.exists(PENDING):
        os.unlink(PENDING)
    print(f"lispdeploy: {report.result}", file=sys.stderr)
    return report.to_json()
