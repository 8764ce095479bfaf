"""Activating a system generation on a host, transactionally.

`plan(manifest)` compares what a generation wants (its manifest; None for generation 0, the
host as it was) with what the host has, and returns the ordered changes; `activate(path)`
makes a new generation current and applies its plan; if anything fails, the previous
generation is made current again and *its* plan applied, which gives back files, accounts and
units as they were (planning compares with the disk, so it converges from any partial state).
The same planning gives the dry run its diff. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional

from lispdeploy.hostside import accounts, generations, packages, settings, trees, units
from lispdeploy.hostside.changes import Change
from lispdeploy.hostside.commands import CommandError, exists, run
from lispdeploy.hostside.files import DesiredFile, file_changes
from lispdeploy.hostside.hoststate import HostState


class ActivationError(Exception):
    """A step of an activation failed; `step` names it."""

    def __init__(self, step: str, message: str):
        self.step = step
        super().__init__(message)


def _read_item(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def desired_files(manifest: Optional[Dict[str, Any]], state: HostState,
                  read_item: Callable[[str], bytes] = _read_item) -> Dict[str, DesiredFile]:
    """Every file a generation wants: /etc files, special files (outside /etc), unit files,
    host-setting files. `read_item` gives a store item's content (a dry run passes contents
    it was sent)."""
    if manifest is None:
        return {}
    files: Dict[str, DesiredFile] = {}
    for entry in manifest.get("etc", ()):
        path = "/etc/" + entry["path"].lstrip("/")
        files[path] = DesiredFile(path, content=read_item(entry["item"]),
                                  mode=int(str(entry.get("mode") or "0644"), 8),
                                  user=entry.get("user") or "root",
                                  group=entry.get("group") or "root")
    for entry in manifest.get("files", ()):
        if not entry.get("directory"):
            files[entry["path"]] = DesiredFile(entry["path"], content=read_item(entry["item"]),
                                               mode=int(str(entry["mode"]), 8),
                                               user=entry.get("user") or "root",
                                               group=entry.get("group") or "root")
    for unit in manifest.get("units", ()):
        if unit.get("item"):
            path = units.unit_path(unit["name"])
            files[path] = DesiredFile(path, content=read_item(unit["item"]))
    # A file the spec declares itself (hosts-file, say) wins over the one made from settings.
    for path, desired in settings.desired_files(manifest, state).items():
        files.setdefault(path, desired)
    return files


def desired_trees(manifest: Optional[Dict[str, Any]]) -> Dict[str, trees.DesiredTree]:
    """Every directory a generation wants (special files that are directories)."""
    return {e["path"]: trees.DesiredTree(e["path"], e["item"], mode=int(str(e["mode"]), 8),
                                         user=e.get("user") or "root",
                                         group=e.get("group") or "root")
            for e in (manifest or {}).get("files", ()) if e.get("directory")}


class Plan:
    """The ordered changes of one activation, grouped by step."""

    def __init__(self, manifest: Optional[Dict[str, Any]], state: HostState,
                 read_item: Callable[[str], bytes] = _read_item):
        self.manifest = manifest
        self.state = state
        m = manifest or {}
        groups, users_ = list(m.get("groups", ())), list(m.get("users", ()))
        wanted_units, wanted_packages = list(m.get("units", ())), list(m.get("packages", ()))
        missing = packages.missing_packages(wanted_packages)
        self.installs = packages.package_changes(missing, state)
        new_packages = {p["name"] for p in missing}
        self.accounts = accounts.account_changes(groups, users_, state)
        self.unit_removals = units.unit_removals(wanted_units, state)
        files = desired_files(manifest, state, read_item)
        changes = file_changes(files, state)
        # apt's sources, keys and pins first, and the package lists updated, so that a
        # package of a repository this generation adds installs with it.
        self.apt_files = [c for c in changes if c.name.startswith(packages.APT_DIR + "/")]
        self.files = [c for c in changes if c not in self.apt_files]
        self.package_lists = packages.list_changes(bool(self.apt_files))
        self.trees = trees.tree_changes(desired_trees(manifest), state, set(files))
        changed = {c.name for c in changes + self.trees}
        self.validations = [e for e in m.get("etc", ())
                            if e.get("validate") and "/etc/" + e["path"].lstrip("/") in changed]
        self.runtime = settings.runtime_changes(manifest) if manifest else []
        self.reload = any(p.startswith(units.UNIT_DIR + "/") for p in changed)
        self.units = units.unit_changes(wanted_units, changed, new_packages, state)
        self.activation = m.get("activation")
        self.account_removals = accounts.account_removals(groups, users_, state)
        self.removals = packages.package_removals(wanted_packages, state)
        self.one_shot = {u["name"] for u in wanted_units if u.get("one-shot")}

    def changes(self) -> List[Change]:
        """Every change in the order they are made."""
        return (self.apt_files + self.package_lists + self.installs + self.accounts
                + self.unit_removals + self.files + self.trees + self.runtime + self.units
                + self.account_removals + self.removals)

    def to_json(self) -> Dict[str, Any]:
        """The plan for a dry run: changes and the services that would restart."""
        return {"changes": [c.to_json() for c in self.changes()],
                "restart": [c.name for c in self.units if c.action == "restart"],
                "reload": [c.name for c in self.units if c.action == "reload"],
                "start": [c.name for c in self.units if c.action == "start"],
                "runs-activation-program": self.activation is not None}

    def apply(self) -> List[Dict[str, str]]:
        """Make every change, in order; return what was done."""
        done: List[Dict[str, str]] = []

        def make(step: str, changes: List[Change]):
            for change in changes:
                started = time.monotonic()
                try:
                    change.apply()
                except (CommandError, OSError, units.UnitError) as e:
                    raise ActivationError(step, f"{change.action} {change.kind} {change.name}: "
                                                f"{e}") from e
                done.append(change.to_json())
                # Shown by `lispdeploy deploy -v`, which streams what hosts print.
                print(f"{change.action} {change.kind} {change.name} "
                      f"({time.monotonic() - started:.2f} s)", file=sys.stderr)

        make("files", self.apt_files)
        make("packages", self.package_lists)
        make("packages", self.installs)
        make("accounts", self.accounts)
        make("units", self.unit_removals)
        make("files", self.files)
        make("files", self.trees)
        make("settings", self.runtime)
        if self.manifest is None:
            settings.restore_runtime(self.state)
        # As in Guix, services' activation snippets run before services are (re)started:
        # they make what the services need (a web server's document root, a first
        # self-signed certificate).
        if self.activation:
            self._run_activation_program()
            done.append({"kind": "activation", "action": "run", "name": self.activation})
        # Checked once what they refer to exists (apache2's document root, nginx's
        # certificates), and before any daemon reads them: a file its daemon refuses fails
        # the activation, and the previous generation's files come back.
        self._validate()
        if self.reload:
            units.daemon_reload()
        make("units", self.units)
        started = [c.name for c in self.units if c.action in ("start", "restart", "reload")
                   and c.name not in self.one_shot]
        try:
            for name in units.check_running(started):
                done.append({"kind": "unit", "action": "skipped", "name": name,
                             "detail": "systemd skipped it: a condition of the unit is not met"
                                       " on this host"})
        except units.UnitError as e:
            raise ActivationError("units", str(e)) from e
        make("accounts", self.account_removals)
        make("packages", self.removals)
        return done

    def _validate(self) -> None:
        for entry in self.validations:
            argv = [entry["item"] if a == "{}" else a for a in entry["validate"]]
            if not exists(argv[0]):
                raise ActivationError("validate", f"cannot check /etc/{entry['path']}: "
                                                  f"{argv[0]} is not installed")
            result = run(argv, check=False)
            if result.returncode != 0:
                raise ActivationError(
                    "validate", f"/etc/{entry['path']} is invalid ({' '.join(argv[:2])} ...):\n"
                                + (result.stderr or result.stdout).strip())

    def _run_activation_program(self) -> None:
        result = run([sys.executable, "-I", self.activation], check=False)
        if result.returncode != 0:
            raise ActivationError("activation", "the activation program failed:\n"
                                  + "\n".join((result.stderr or "").strip().splitlines()[-20:]))


def plan(manifest_path: Optional[str]) -> Plan:
    """The plan that would make the host match a system item (None: generation 0)."""
    return Plan(_load(manifest_path), HostState())


def _load(manifest_path: Optional[str]) -> Optional[Dict[str, Any]]:
    if manifest_path is None:
        return None
    with open(manifest_path, encoding="utf-8") as f:
        return json.load(f)


def activate(system_path: str, *, who: str = "lispdeploy") -> Dict[str, Any]:
    """Make `system_path` a new current generation and apply it; on failure go back."""
    if generations.current() is not None and \
            generations.system_of(generations.current()) == system_path:
        return {"result": "unchanged", "generation": generations.current(), "changes": []}
    with generations.Lock(who):
        previous = generations.current()
        number = generations.add(system_path)
        return _switch_and_apply(number, previous, remove_on_failure=True)


def switch_to(number: Optional[int], *, who: str = "lispdeploy") -> Dict[str, Any]:
    """Make an existing generation current (None: generation 0) and re-activate it fully."""
    with generations.Lock(who):
        previous = generations.current()
        if number is not None and number not in generations.numbers():
            raise ActivationError("switch", f"there is no generation {number}")
        if number == previous:
            return {"result": "unchanged", "generation": number, "changes": []}
        return _switch_and_apply(number, previous, remove_on_failure=False)


def previous_generation() -> Optional[int]:
    """The generation before the current one (None: generation 0)."""
    current = generations.current()
    older = [n for n in generations.numbers() if current is None or n < current]
    if current is None:
        raise ActivationError("roll-back", "the host has no generation to roll back from")
    return older[-1] if older else None


def _switch_and_apply(number: Optional[int], previous: Optional[int],
                      remove_on_failure: bool) -> Dict[str, Any]:
    generations.switch(number)
    try:
        changes = plan(generations.system_of(number) if number is not None else None).apply()
        return {"result": "deployed", "generation": number, "previous": previous,
                "changes": changes}
    except Exception as failure:
        report: Dict[str, Any] = {
            "result": "failed", "generation": previous, "failed-generation": number,
            "step": getattr(failure, "step", "activation"), "error": str(failure),
            "rolled-back": False}
        generations.switch(previous)
        try:
            report["rollback-changes"] = plan(
                generations.system_of(previous) if previous is not None else None).apply()
            report["rolled-back"] = True
        except Exception as rollback_failure:
            report["rollback-error"] = f"{type(rollback_failure).__name__}: {rollback_failure}"
        if remove_on_failure and number is not None and os.path.lexists(
                generations.link_path(number)):
            generations.remove(number)
        return report
