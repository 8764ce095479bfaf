"""The activation journal: what an activation is doing, on the host's disk while it runs, so
that one cut short (its process killed, the host stopped) is finished or undone by whoever
finds it: the next probe, the next activation, or the host itself at boot.

`/var/lib/lispdeploy/journal.json` exists from before an activation changes anything (a new
generation's link, the current-generation link, any file, account, package or unit) until it
has finished, rolled back, or been recovered, and only while the deploy lock is held. So a
journal with the lock free is an interrupted activation. It records:

    kind       activate (a new generation), switch (to an existing one: roll-back,
               switch-generation, the confirmation watchdog going back), repair (the current
               generation converged to again: drift repaired)
    target     the generation being made current (None: generation 0), and `previous`
    new        whether `target` was made by this activation (undoing it deletes it)
    phase      forward (towards `target`) or back (a failure is being rolled back)
    done       per phase, the paths written and the packages installed so far: their units'
               restarts are still due when the phase is resumed (`plan.Already`)
    step       the change begun last (for the report)
    who, began, pid, agent (the host agent program that ran it)

Recovery (`hostside.activation.recover`) undoes an interrupted new generation (it was never
confirmed: the host goes back to the previous one and deletes it) and finishes an interrupted
switch or repair (both generations are ones the host ran before; the watchdog's way back must
not be reversed). A phase `back` is always finished. What recovery did is kept in
`recovered.json` for the next probes to report, until the next activation.

SIGTERM (the host shutting down) does not stop an activation half-way through a change: the
change in progress ends, and the next one raises `Interrupted` instead of starting; the journal
stays for the recovery at boot. Standard library only.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, Iterable, List, Optional

from lispdeploy.hostside import pause
from lispdeploy.hostside.contract import ContractError, Recovery
from lispdeploy.hostside.hoststate import ROOT, write_atomically

JOURNAL = os.path.join(ROOT, "journal.json")
RECOVERED = os.path.join(ROOT, "recovered.json")
FORMAT = 1
KEEP_RECOVERIES = 10

ACTIVATE = "activate"
SWITCH = "switch"
REPAIR = "repair"
FORWARD = "forward"
BACK = "back"


class Interrupted(BaseException):
    """The host is stopping: the activation ends here and leaves its journal (a
    BaseException, so that it is never taken for a failure to roll back)."""


_stop_requested = False


def request_stop(signum=None, frame=None) -> None:
    """The SIGTERM handler of an activation: stop at the next change."""
    global _stop_requested
    _stop_requested = True
    pause.let_go()


def stopping() -> bool:
    """Whether the host asked the activation to stop."""
    return _stop_requested


def checkpoint() -> None:
    """Called before each change: raise Interrupted if the host is stopping."""
    if _stop_requested:
        raise Interrupted("the host is shutting down; the activation resumes at boot")


def _fsync_directory(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write(path: str, data: Any) -> None:
    write_atomically(path, json.dumps(data, indent=1, sort_keys=True).encode(), 0o600)
    _fsync_directory(os.path.dirname(path))


class Journal:
    """The journal of the activation running now (see the module docstring)."""

    def __init__(self, data: Dict[str, Any]):
        self.data = data

    # Fields ------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def target(self) -> Optional[int]:
        return self.data.get("target")

    @property
    def previous(self) -> Optional[int]:
        return self.data.get("previous")

    @property
    def new(self) -> bool:
        return bool(self.data.get("new"))

    @property
    def phase(self) -> str:
        return self.data.get("phase", FORWARD)

    @property
    def agent(self) -> Optional[str]:
        return self.data.get("agent")

    # Life --------------------------------------------------------------------------------

    @classmethod
    def begin(cls, kind: str, target: Optional[int], previous: Optional[int], *, new: bool,
              who: str, agent: Optional[str] = None,
              tidy: Optional[int] = None, remove: bool = False) -> "Journal":
        """Record that an activation begins (before it changes anything). A switch away
        from a failed or unconfirmed generation names it (`tidy`: what it created is taken
        away once the switch is done; `remove`: the generation is deleted too), so that a
        recovery finishing the switch does the same."""
        journal = cls({"format": FORMAT, "kind": kind, "target": target,
                       "previous": previous, "new": new, "phase": FORWARD, "who": who,
                       "began": time.strftime("%Y-%m-%d %H:%M:%S"), "pid": os.getpid(),
                       "agent": agent, "step": "", "done": {FORWARD: {}, BACK: {}},
                       "tidy": tidy, "remove": remove})
        os.makedirs(ROOT, mode=0o755, exist_ok=True)
        journal.save()
        return journal

    @classmethod
    def read(cls) -> Optional["Journal"]:
        """The journal on the host, or None. A journal this program cannot read (a newer
        format) is a ContractError: it must not be guessed at."""
        try:
            with open(JOURNAL, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return None
        except ValueError:
            # Written atomically, so never half-written; garbage here was not ours to read.
            raise ContractError(f"{JOURNAL} is not an activation journal") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ContractError(f"{JOURNAL} has format {data.get('format')!r}; this host "
                                f"program reads format {FORMAT}: recover with the lispdeploy "
                                "that began the activation, or a newer one")
        return cls(data)

    def save(self) -> None:
        _write(JOURNAL, self.data)

    def going_back(self) -> None:
        """The forward phase failed (or is undone): from now on the host goes back."""
        self.data["phase"] = BACK
        self.data["pid"] = os.getpid()
        self.save()

    def resumed(self, found: str) -> None:
        """A recovery takes the journal over."""
        self.data["pid"] = os.getpid()
        self.data["resumed"] = found
        self.save()

    def step(self, description: str) -> None:
        """Record the change about to begin."""
        self.data["step"] = description
        self.save()

    def made(self, paths: Iterable[str] = (), packages: Iterable[str] = ()) -> None:
        """Record changes made in this phase (whose restarts are due)."""
        done = self.data.setdefault("done", {}).setdefault(self.phase, {})
        for key, names in (("paths", paths), ("packages", packages)):
            names = [n for n in names if n not in done.get(key, [])]
            if names:
                done.setdefault(key, []).extend(names)
        self.save()

    def already(self) -> Dict[str, List[str]]:
        """What this phase made before (an interrupted run of it): paths and packages."""
        done = (self.data.get("done") or {}).get(self.phase) or {}
        return {"paths": list(done.get("paths", [])), "packages": list(done.get("packages", []))}

    def close(self) -> None:
        """The activation is over (finished, rolled back or recovered)."""
        if os.path.lexists(JOURNAL):
            os.unlink(JOURNAL)
            _fsync_directory(ROOT)

    def describe(self) -> Dict[str, Any]:
        """The journal as probes report it."""
        return {k: self.data.get(k) for k in ("kind", "target", "previous", "phase", "who",
                                              "began", "step")}


def exists() -> bool:
    """Whether an activation journal is on the host (running or interrupted)."""
    return os.path.lexists(JOURNAL)


def record_recovery(recovery: Recovery) -> None:
    """Keep what a recovery did, for the next probes to report."""
    kept = [r.to_json() for r in recoveries()][-(KEEP_RECOVERIES - 1):]
    _write(RECOVERED, kept + [recovery.to_json()])


def recoveries() -> List[Recovery]:
    """The recoveries since the last activation, oldest first."""
    try:
        with open(RECOVERED, encoding="utf-8") as f:
            data = json.load(f)
        return [Recovery.from_json(r, "a recovery record") for r in data]
    except (OSError, ValueError):
        return []


def forget_recoveries() -> None:
    """An activation begins: the recoveries before it have been reported."""
    if os.path.lexists(RECOVERED):
        os.unlink(RECOVERED)
