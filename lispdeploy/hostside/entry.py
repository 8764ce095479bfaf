"""What the controller calls on a host: each function takes and returns JSON-compatible values
and is run by the controller in one round trip (probe, dry run, activate, switch, roll back,
list generations, collect garbage). Standard library only."""

from __future__ import annotations

import base64
import signal
from typing import Any, Dict, Optional

from lispdeploy.hostside import activation, confirmation, gc, generations, probe as probing
from lispdeploy.hostside.hoststate import HostState


def probe(request: Dict[str, Any]) -> Dict[str, Any]:
    """Facts and safety checks (see hostside.probe)."""
    return probing.probe(request)


def dry_run(manifest: Dict[str, Any], contents: Dict[str, str]) -> Dict[str, Any]:
    """The plan of a deploy without changing anything: store items are not on the host yet,
    so their contents (base64) come with the request."""
    decoded = {path: base64.b64decode(data) for path, data in contents.items()}

    def read_item(path: str) -> bytes:
        if path in decoded:
            return decoded[path]
        with open(path, "rb") as f:
            return f.read()

    plan = activation.Plan(manifest, HostState(), read_item).to_json()
    current = generations.manifest_of(generations.current())
    plan["activation-program-changed"] = (
        manifest.get("activation") != (current or {}).get("activation"))
    return plan


def activate(system: str, who: str, confirm: Optional[Dict[str, Any]] = None
             ) -> Dict[str, Any]:
    """Make `system` a new generation and activate it (rolling back on failure). With
    `confirm` ({"watchdog": program item, "timeout": seconds}), a deployed generation must then
    be confirmed over a new connection, or the host goes back by itself."""
    _finish_even_if_disconnected()
    report = activation.activate(system, who=who)
    if confirm and report["result"] == "deployed":
        try:
            report["confirmation"] = confirmation.arm(report["generation"], report["previous"],
                                                      confirm["watchdog"], confirm["timeout"])
        except Exception as e:  # no watchdog: the deploy stands, unguarded, and says so
            report["confirmation"] = {"error": f"{type(e).__name__}: {e}"}
    return report


def confirm(generation: int) -> Dict[str, Any]:
    """Confirm a deployed generation (see target.confirmation)."""
    return confirmation.confirm(generation)


def _finish_even_if_disconnected() -> None:
    """An activation that has begun runs to its end (or its roll-back) even if the controller
    goes away: a lost connection must not leave the host half-way."""
    for name in ("SIGHUP", "SIGPIPE", "SIGINT"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def switch_generation(number: Optional[int], who: str) -> Dict[str, Any]:
    """Switch to an existing generation (None or 0: the host as it was) and re-activate it."""
    _finish_even_if_disconnected()
    return activation.switch_to(number or None, who=who)


def roll_back(who: str) -> Dict[str, Any]:
    """Switch to the generation before the current one."""
    _finish_even_if_disconnected()
    return activation.switch_to(activation.previous_generation(), who=who)


def list_generations() -> Dict[str, Any]:
    """Every generation with its date, system item and provenance."""
    return {"current": generations.current(),
            "generations": [generations.describe(n) for n in generations.numbers()]}


def collect_garbage(keep: int, dry_run: bool = False) -> Dict[str, Any]:
    """Delete old generations and unreferenced store items."""
    with generations.Lock("lispdeploy gc"):
        return gc.collect(keep, dry_run=dry_run)
