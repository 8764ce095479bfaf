"""Making a plan's changes on the host, in order: each (kind, action) has one executor (the
`EXECUTORS` tables of files, trees, accounts, packages, units and settings, gathered here),
runs of package changes go to apt-get together, and the steps that follow from the changes
are taken where they belong: configuration files that have a validator are checked once
packages are in (the validator may come with them), before they are written; those whose
validator needs what the activation program makes (`validate-early?` #f: a document root, a
first certificate) after the activation program, before any unit reads them; systemd reloads
before units when a unit file changed, and started, restarted and reloaded units are watched
until they stay up. Standard library only."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from lispdeploy.hostside import accounts, files, journal as journals, packages, pause, settings
from lispdeploy.hostside import mapping, swap, trees, units
from lispdeploy.hostside.commands import CommandError, exists, run
from lispdeploy.hostside.contract import (KIND_ACTIVATION, Change, EtcFile, HostSideError,
                                          Manifest)
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.output import say
from lispdeploy.hostside.plan import (STEP_ACCOUNTS, STEP_PACKAGES, STEP_UNITS, UNIT_DIR, by_step,
                                      changed_paths)

EXECUTORS: Dict[Tuple[str, ...], Callable] = {}
for _table in (files.EXECUTORS, trees.EXECUTORS, accounts.EXECUTORS, packages.EXECUTORS,
               units.EXECUTORS, settings.EXECUTORS, swap.EXECUTORS,
               mapping.EXECUTORS):
    EXECUTORS.update(_table)
BATCHED = set(packages.BATCHED)


class ApplyError(HostSideError):
    """A step of an activation failed; `step` names it."""

    kind = KIND_ACTIVATION

    def __init__(self, step: str, message: str):
        self.step = step
        super().__init__(message)


def read_store_item(path: str) -> bytes:
    """A store item's content."""
    with open(path, "rb") as f:
        return f.read()


class StoreItems(Mapping):
    """Store path -> content, read from the host's store when asked (what `plan` reads)."""

    def __getitem__(self, path: str) -> bytes:
        try:
            return read_store_item(path)
        except (FileNotFoundError, IsADirectoryError):  # a directory item has no content
            raise KeyError(path) from None

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class Context:
    """What executors work with: lispdeploy's record on this host, the store, the journal of
    the activation (None outside one), where each change is recorded as it is made, and the
    content of the secrets the controller sent (/etc path -> bytes, in memory only).
    `replaced_secrets` keeps, in memory, what each secret's destination held before this
    activation wrote it, so that a roll-back can put it back without any copy on disk."""

    def __init__(self, state: HostState,
                 read_item: Callable[[str], bytes] = read_store_item,
                 journal: Optional["journals.Journal"] = None,
                 secrets: Optional[Mapping[str, bytes]] = None):
        self.state = state
        self.read_item = read_item
        self.journal = journal
        self.secrets: Dict[str, bytes] = dict(secrets or {})
        self.replaced_secrets: Dict[str, bytes] = {}


def _run_activation(args: Dict[str, Any], context: Context) -> None:
    result = run([sys.executable, "-I", args["program"]], check=False)
    if result.returncode != 0:
        raise ApplyError("activation", "the activation program failed:\n"
                         + "\n".join((result.stderr or "").strip().splitlines()[-20:]))


def _item_arrived(args: Dict[str, Any], context: Context) -> None:
    """An item the activation uses: it is in the store already, nothing to do."""


EXECUTORS[("activation", "run")] = _run_activation
EXECUTORS[("item", "add")] = _item_arrived
EXECUTORS[("item", "change")] = _item_arrived


def executor(change: Change) -> Callable:
    """The function that makes `change`."""
    found = EXECUTORS.get((change.kind, change.action, change.name)) or \
        EXECUTORS.get((change.kind, change.action))
    if found is None:
        raise ApplyError(change.args.get("step", "activation"),
                         f"this host program cannot {change.action} a {change.kind}")
    return found


def validations(manifest: Optional[Manifest], changes: List[Change]
                ) -> Dict[str, List[EtcFile]]:
    """The /etc files with a validator that `changes` write, by the step they are validated
    before: the accounts step (packages are in, files not written yet) for those the probe
    validates too, the units step (the activation program has run, no unit has read them
    yet) for those marked `validate-early?` #f."""
    due: Dict[str, List[EtcFile]] = {STEP_ACCOUNTS: [], STEP_UNITS: []}
    if manifest is None:
        return due
    changed = changed_paths(changes)
    for entry in manifest.etc:
        if entry.validate and entry.target in changed:
            due[STEP_ACCOUNTS if entry.validate_early else STEP_UNITS].append(entry)
    return due


def validate(entries: List[EtcFile]) -> None:
    """Run the validators of `entries` on their store items; ApplyError for the first that
    refuses its file."""
    for entry in entries:
        argv = [entry.item if a == "{}" else a for a in entry.validate]
        if not exists(argv[0]):
            raise ApplyError("validate", f"cannot check {entry.target}: {argv[0]} is not "
                                         "installed")
        result = run(argv, check=False)
        if result.returncode != 0:
            raise ApplyError("validate", f"{entry.target} is invalid ({' '.join(argv[:2])} "
                                         "...):\n" + (result.stderr or result.stdout).strip())


def apply(changes: List[Change], context: Context, manifest: Optional[Manifest]
          ) -> List[Change]:
    """Make every change, step by step (see the module docstring); return what was done."""
    done: List[Change] = []
    reload = any(c.kind == "file" and c.name.startswith(UNIT_DIR + "/") for c in changes)
    due = validations(manifest, changes)
    for step, group in by_step(changes):
        validate(due.get(step, []))
        if step == STEP_UNITS and reload:
            _reload()
        index = 0
        while index < len(group):
            make = executor(group[index])
            batch = [group[index]]
            if (batch[0].kind, batch[0].action) in BATCHED:
                while index + len(batch) < len(group) and \
                        executor(group[index + len(batch)]) is make:
                    batch.append(group[index + len(batch)])
            _make(make, batch, context, (batch[0].kind, batch[0].action) in BATCHED)
            done.extend(batch)
            index += len(batch)
        if step == STEP_UNITS:
            _check([c.name for c in group if c.action in ("start", "restart", "reload")], done)
    return done


def _reload() -> None:
    try:
        units.daemon_reload()
    except CommandError as e:
        raise ApplyError("units", f"systemctl daemon-reload: {e}") from e


def _check(started: List[str], done: List[Change]) -> None:
    try:
        for name in units.check_running(started):
            done.append(Change("unit", "skipped", name,
                               "systemd skipped it: a condition of the unit is not met on "
                               "this host"))
    except units.UnitError as e:
        raise ApplyError("units", str(e)) from e


def _make(make: Callable, batch: List[Change], context: Context, batched: bool) -> None:
    first = batch[0]
    step = first.args.get("step", "activation")
    names = " ".join(c.name for c in batch)
    what = f"{first.action} {first.kind} {names}"
    journals.checkpoint()
    if context.journal is not None:
        context.journal.step(what)
    pause.point(f"before {what}")
    started = time.monotonic()
    try:
        if batched:
            make([c.args for c in batch], context)
        else:
            make(first.args, context)
    except ApplyError:
        raise
    except (CommandError, OSError, KeyError, HostSideError) as e:
        # Reports name the step by what it works on ("units", not "units-dropped").
        raise ApplyError(step.split("-")[0], f"{what}: {e}") from e
    if context.journal is not None:
        context.journal.made(paths=[c.name for c in batch if c.kind == "file"],
                             packages=[c.name for c in batch if c.kind == "package"
                                       and c.action in ("add", "change")])
    pause.point(f"after {what}")
    # Shown by `lispdeploy deploy -v`, which streams what hosts print.
    say(f"{what} ({time.monotonic() - started:.2f} s)")
