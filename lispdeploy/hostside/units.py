"""systemd units during activation: enable and start new units, restart exactly those whose
unit file, watched configuration or package changed, reload those of which only a file they
reload on changed, stop and disable the ones a generation
dropped (giving back the state a unit had before lispdeploy first touched it), and check that
started units stay up. Standard library only."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Set

from lispdeploy.hostside.changes import Change
from lispdeploy.hostside.commands import CommandError, run
from lispdeploy.hostside.hoststate import HostState

UNIT_DIR = "/etc/systemd/system"
SETTLE_SECONDS = 1.0
START_WAIT_SECONDS = 20.0


class UnitError(Exception):
    """A unit did not start or did not stay up; carries the tail of its journal."""

    def __init__(self, unit: str, state: str, journal: str):
        self.unit = unit
        self.state = state
        self.journal = journal
        super().__init__((f"unit {unit} {state}" if state.startswith("failed to")
                          else f"unit {unit} is {state} after starting")
                         + (f"; its journal ends with:\n{journal}" if journal else ""))


def enablement(name: str) -> str:
    """What `systemctl is-enabled` says: enabled, disabled, static, masked, not-found..."""
    result = run(["systemctl", "is-enabled", name], check=False)
    return (result.stdout.strip() or result.stderr.strip().split(":")[-1].strip() or "unknown")


def activity(name: str) -> str:
    """What `systemctl is-active` says: active, inactive, failed, activating..."""
    return run(["systemctl", "is-active", name], check=False).stdout.strip() or "unknown"


def unit_path(name: str) -> str:
    """Where lispdeploy writes a unit file it manages."""
    return f"{UNIT_DIR}/{name}"


def _remember(name: str, state: HostState) -> None:
    if state.get("units", name) is None:
        state.record("units", name, {"enabled": enablement(name),
                                     "active": activity(name) == "active"})


def unit_changes(units: List[Dict[str, Any]], changed_paths: Set[str],
                 new_packages: Set[str], state: HostState) -> List[Change]:
    """Changes that bring declared units to their wanted state; `changed_paths` are the files
    this activation changes, `new_packages` the packages it installs."""
    changes: List[Change] = []
    # Units that run already take their new configuration before new units start: a new unit
    # may use what a reloaded one now serves (certbot's challenge location in nginx).
    starts: List[Change] = []
    for unit in units:
        name = unit["name"]
        enabled = enablement(name)
        active = activity(name) == "active"
        touched = (unit_path(name) in changed_paths
                   or _any_changed(unit.get("watch", ()), changed_paths)
                   or bool(set(unit.get("packages", ())) & new_packages))
        # Restarting does all a reload does: a reload only when nothing needs a restart.
        reloaded = not touched and _any_changed(unit.get("reload", ()), changed_paths)
        if enabled == "masked":
            changes.append(Change("unit", "unmask", name, lambda n=name: _do(n, "unmask", state)))
        if unit.get("enable") and enabled not in ("enabled", "static", "alias", "indirect"):
            changes.append(Change("unit", "enable", name, lambda n=name: _do(n, "enable", state)))
        if not unit.get("enable") and enabled == "enabled":
            changes.append(Change("unit", "disable", name,
                                  lambda n=name: _do(n, "disable", state)))
        if unit.get("start") and not active:
            starts.append(Change("unit", "start", name, lambda n=name: _do(n, "start", state)))
        elif active and touched:
            changes.append(Change("unit", "restart", name,
                                  lambda n=name: _do(n, "restart", state),
                                  "its configuration changed"))
        elif active and reloaded:
            changes.append(Change("unit", "reload", name,
                                  lambda n=name: _do(n, "reload", state),
                                  "its configuration changed"))
    return changes + starts


def _any_changed(paths: Iterable[str], changed_paths: Set[str]) -> bool:
    """Whether one of `paths` (relative to /etc, or absolute) is among the changed files."""
    return any(("/etc/" + p.lstrip("/")) in changed_paths or p in changed_paths for p in paths)


def unit_removals(units: List[Dict[str, Any]], state: HostState) -> List[Change]:
    """Changes that stop and disable units lispdeploy managed and no generation wants, giving
    back their original state."""
    wanted = {u["name"] for u in units}
    changes = []
    for name, original in sorted(state.data["units"].items()):
        if name in wanted:
            continue
        changes.append(Change("unit", "stop", name,
                              lambda n=name, o=original: _give_back(n, o, state),
                              "give back its state before lispdeploy"
                              if original.get("active") or original.get("enabled") == "enabled"
                              else ""))
    return changes


def _do(name: str, verb: str, state: HostState) -> None:
    _remember(name, state)
    try:
        run(["systemctl", verb, name], timeout=START_WAIT_SECONDS * 6)
    except CommandError:
        if verb not in ("start", "restart", "reload"):
            raise
        # systemctl only says to look at the journal: show its end instead.
        raise UnitError(name, f"failed to {verb}", journal_tail(name)) from None


def _give_back(name: str, original: Dict[str, Any], state: HostState) -> None:
    if activity(name) == "active" and not original.get("active"):
        run(["systemctl", "stop", name], check=False)
    was = original.get("enabled")
    now = enablement(name)
    if was == "masked" and now != "masked":
        run(["systemctl", "mask", name], check=False)
    elif was in ("disabled", "not-found") and now == "enabled":
        run(["systemctl", "disable", name], check=False)
    elif was == "enabled" and now != "enabled":
        run(["systemctl", "enable", name], check=False)
    if original.get("active") and activity(name) != "active":
        run(["systemctl", "start", name], check=False)
    state.record("units", name, None)


def daemon_reload() -> None:
    """Make systemd read changed unit files."""
    run(["systemctl", "daemon-reload"])


def journal_tail(name: str, lines: int = 20) -> str:
    """The last lines of a unit's journal."""
    result = run(["journalctl", "-u", name, "-n", str(lines), "--no-pager", "-o", "cat"],
                 check=False)
    return result.stdout.strip()


def condition_unmet(name: str) -> bool:
    """Whether systemd skipped the unit's last start because a Condition... was not met
    (e.g. ConditionCapability in a container): deliberate, not a failure."""
    result = run(["systemctl", "show", "-p", "ConditionResult", "--value", name], check=False)
    return result.stdout.strip() == "no"


def check_running(names: Iterable[str]) -> List[str]:
    """Wait until the units are active, then for a moment more, so that a daemon that dies
    right after starting is caught; raise UnitError naming the first that is not up. Units
    systemd skipped for an unmet condition are returned, not failed."""
    names = list(dict.fromkeys(names))
    skipped: List[str] = []
    if not names:
        return skipped
    deadline = time.monotonic() + START_WAIT_SECONDS
    pending = set(names)
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            state = activity(name)
            if state == "active":
                pending.discard(name)
            elif state in ("failed", "inactive"):
                if state == "inactive" and condition_unmet(name):
                    skipped.append(name)
                    pending.discard(name)
                    continue
                raise UnitError(name, state, journal_tail(name))
        if pending:
            time.sleep(0.2)
    if pending:
        name = sorted(pending)[0]
        raise UnitError(name, activity(name), journal_tail(name))
    time.sleep(SETTLE_SECONDS)
    for name in names:
        if name in skipped:
            continue
        state = activity(name)
        if state != "active":
            raise UnitError(name, state, journal_tail(name))
    return skipped
