"""What a generation created, so that a failed one leaves nothing behind.

When an activation makes generation N, `begin(N)` starts its journal
(/var/lib/lispdeploy/created/N.jsonl): first the units that were failed before (so that the
roll-back can reset those the generation made fail), then each directory that did not exist
and was made while N was being applied: the parents of files it put in place, the homes of
accounts it created, and what its activation snippets made with `mkdir-p` (the activation
program runs in a process of its own and finds the journal through LISPDEPLOY_CREATED).

When N fails and the host goes back (the activation's roll-back, a failed health check, or
the confirmation watchdog), `tidy(N)` removes those directories (a snippet's or a home's with
what is in them, a parent only when empty) and resets the units that are failed now and were
not before, so that `systemctl --failed` is as it was. A generation that stands forgets its
journal (`forget(N)`, at its confirmation). Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from typing import Any, Dict, Iterator, List, Optional

from lispdeploy.hostside.hoststate import ROOT

DIRECTORY = os.path.join(ROOT, "created")
VARIABLE = "LISPDEPLOY_CREATED"
# Never taken away, whoever created them.
_KEPT = {"/", "/etc", "/home", "/srv", "/var", "/var/lib", "/usr", "/opt", "/root", "/tmp",
         ROOT}


def journal(number: int) -> str:
    """The journal of generation `number`."""
    return os.path.join(DIRECTORY, f"{number}.jsonl")


def failed_units() -> List[str]:
    """The units systemd lists as failed now."""
    try:
        done = subprocess.run(["systemctl", "list-units", "--state=failed", "--all", "--plain",
                               "--no-legend", "--no-pager"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted(line.split()[0] for line in done.stdout.splitlines() if line.split())


def begin(number: int) -> None:
    """Start generation `number`'s journal; this process and the ones it starts record into
    it until `stop`."""
    os.makedirs(DIRECTORY, mode=0o700, exist_ok=True)
    with open(journal(number), "w", encoding="utf-8") as f:
        f.write(json.dumps({"failed-before": failed_units()}) + "\n")
    os.environ[VARIABLE] = journal(number)


def stop() -> None:
    """Record nothing more (the roll-back's own changes are not the generation's)."""
    os.environ.pop(VARIABLE, None)


@contextlib.contextmanager
def stopped() -> Iterator[None]:
    """Record nothing while inside."""
    path = os.environ.pop(VARIABLE, None)
    try:
        yield
    finally:
        if path is not None:
            os.environ[VARIABLE] = path


def note(path: str, how: str) -> None:
    """Record that `path` (a directory) was created now, `how`: "parent" (of a file),
    "home", "snippet"."""
    target = os.environ.get(VARIABLE)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        f.write(json.dumps({"dir": os.path.abspath(path), "how": how}) + "\n")


def makedirs(directory: str, mode: int = 0o755, how: str = "parent") -> None:
    """os.makedirs, recording each directory it creates."""
    missing = []
    path = os.path.abspath(directory)
    while not os.path.lexists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    os.makedirs(directory, mode=mode, exist_ok=True)
    for made in reversed(missing):
        note(made, how if made == os.path.abspath(directory) else "parent")


def _read(number: int) -> Optional[Dict[str, Any]]:
    try:
        with open(journal(number), encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return None
    header = lines[0] if lines else {}
    return {"failed-before": header.get("failed-before", []),
            "dirs": [line for line in lines[1:] if "dir" in line]}


def tidy(number: Optional[int]) -> Dict[str, Any]:
    """Take away what failed generation `number` created (see the module docstring); what
    was done."""
    if number is None:
        return {}
    record = _read(number)
    if record is None:
        return {}
    removed = []
    for entry in sorted(record["dirs"], key=lambda e: e["dir"].count("/"), reverse=True):
        path = entry["dir"]
        if path in _KEPT or not os.path.isdir(path) or os.path.islink(path) or \
                os.path.ismount(path):
            continue
        if entry["how"] == "parent":
            with contextlib.suppress(OSError):
                os.rmdir(path)  # only when empty: what else is there was not ours
                removed.append(path)
        else:
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.exists(path):
                removed.append(path)
    before = set(record["failed-before"])
    reset = [u for u in failed_units() if u not in before]
    if reset:
        subprocess.run(["systemctl", "reset-failed", "--", *reset], capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    forget(number)
    return {"removed": removed, "reset-failed": reset}


def forget(number: Optional[int]) -> None:
    """Forget generation `number`'s journal: it stands."""
    if number is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(journal(number))
