"""systemd units during activation: the executors of the planner's unit changes (unmask,
enable, disable, start, restart, reload; stop and give back the state a dropped unit had
before lispdeploy first touched it), reloading systemd, and checking that started units stay
up. Standard library only."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List

from lispdeploy.hostside.commands import CommandError, run
from lispdeploy.hostside.contract import KIND_ACTIVATION, HostSideError
from lispdeploy.hostside.facts import unit_facts

SETTLE_SECONDS = 1.0
START_WAIT_SECONDS = 20.0


class UnitError(HostSideError):
    """A unit did not start or did not stay up; carries the tail of its journal."""

    kind = KIND_ACTIVATION

    def __init__(self, unit: str, state: str, journal: str):
        self.unit = unit
        self.state = state
        self.journal = journal
        super().__init__((f"unit {unit} {state}" if state.startswith("failed to")
                          else f"unit {unit} is {state} after starting")
                         + (f"; its journal ends with:\n{journal}" if journal else ""))


def _remember(name: str, original: Dict[str, Any], context) -> None:
    # The state the unit had when lispdeploy first touched it, as the plan saw it.
    if context.state.get("units", name) is None:
        context.state.record("units", name, {"enabled": original.get("enabled", "not-found"),
                                             "active": bool(original.get("active"))})


def _verb(verb: str):
    def execute(args: Dict[str, Any], context) -> None:
        name = args["unit"]
        _remember(name, args.get("original") or {}, context)
        try:
            run(["systemctl", verb, name], timeout=START_WAIT_SECONDS * 6)
        except CommandError:
            if verb not in ("start", "restart", "reload"):
                raise
            # systemctl only says to look at the journal: show its end instead.
            raise UnitError(name, f"failed to {verb}", journal_tail(name)) from None
    execute.__name__ = verb
    execute.__doc__ = f"systemctl {verb} the unit (remembering its original state first)."
    return execute


def give_back(args: Dict[str, Any], context) -> None:
    """Stop a unit no generation wants and give back the state it had before lispdeploy."""
    name, original = args["unit"], args.get("original") or {}
    now = unit_facts([name])[name]
    if now.active == "active" and not original.get("active"):
        run(["systemctl", "stop", name], check=False)
    was = original.get("enabled")
    enabled = now.enablement
    if was == "masked" and enabled != "masked":
        run(["systemctl", "mask", name], check=False)
    elif was in ("disabled", "not-found") and enabled == "enabled":
        run(["systemctl", "disable", name], check=False)
    elif was == "enabled" and enabled != "enabled":
        run(["systemctl", "enable", name], check=False)
    if original.get("active") and now.active != "active":
        run(["systemctl", "start", name], check=False)
    context.state.record("units", name, None)


def daemon_reload() -> None:
    """Make systemd read changed unit files."""
    run(["systemctl", "daemon-reload"])


def journal_tail(name: str, lines: int = 20) -> str:
    """The last lines of a unit's journal."""
    result = run(["journalctl", "-u", name, "-n", str(lines), "--no-pager", "-o", "cat"],
                 check=False)
    return result.stdout.strip()


def check_running(names: Iterable[str]) -> List[str]:
    """Wait until the units are active, then for a moment more, so that a daemon that dies
    right after starting is caught; raise UnitError naming the first that is not up. Units
    systemd skipped for an unmet condition are returned, not failed. One `systemctl show`
    per look, for all of them."""
    names = list(dict.fromkeys(names))
    skipped: List[str] = []
    if not names:
        return skipped
    deadline = time.monotonic() + START_WAIT_SECONDS
    pending = list(names)
    while pending and time.monotonic() < deadline:
        facts = unit_facts(pending)
        for name in list(pending):
            fact = facts[name]
            if fact.active == "active":
                pending.remove(name)
            elif fact.active in ("failed", "inactive"):
                if fact.skipped:
                    skipped.append(name)
                    pending.remove(name)
                    continue
                raise UnitError(name, fact.active, journal_tail(name))
        if pending:
            time.sleep(0.2)
    if pending:
        name = pending[0]
        raise UnitError(name, unit_facts([name])[name].active, journal_tail(name))
    time.sleep(SETTLE_SECONDS)
    up = [n for n in names if n not in skipped]
    facts = unit_facts(up)
    for name in up:
        if facts[name].active != "active":
            raise UnitError(name, facts[name].active, journal_tail(name))
    return skipped


EXECUTORS = {
    ("unit", "unmask"): _verb("unmask"),
    ("unit", "enable"): _verb("enable"),
    ("unit", "disable"): _verb("disable"),
    ("unit", "start"): _verb("start"),
    ("unit", "restart"): _verb("restart"),
    ("unit", "reload"): _verb("reload"),
    ("unit", "stop"): give_back,
}
