"""Activating a system generation on a host, transactionally and crash-safely.

`converge(manifest)` gathers the facts (`hostside.facts`), plans (`hostside.plan`, the same
pure function the controller's dry run uses) and applies the changes (`hostside.apply`).
Packages come first (with apt's sources, keys and pins, and the package lists updated when
they change); when they changed anything, the facts are gathered again and the rest is
planned anew, so that what packages bring (their /etc files, units, accounts) is seen as it
is, and the units of the packages installed (or of the files written) still restart.

`activate(path)` makes a new generation current and converges to it; if anything fails, the
previous generation is made current again and converged to, which gives back files, accounts
and units as they were (planning compares with the host, so it converges from any partial
state; generation 0 is the host as it was). Activating the system the host already runs
repairs drift in place, without a new generation (and confirms it, if it awaited a
confirmation: this deploy reached the host anew). `switch_to(n)` makes an existing generation
current the same way.

Each of them holds the deploy lock and keeps an activation journal (`hostside.journal`) from
before the first change to the end, so that one cut short is recovered by whoever finds the
journal with the lock free (`recover`): a new generation is undone (the host goes back to the
previous one, and the new generation is deleted), a switch or a repair is finished.

Secret-files' content comes with `activate` (`secrets`, in memory only); what each replaced is
kept in memory too, and a roll-back gives it back from there. A recovery after a crash has
neither: it keeps such a file as the host has it (see docs/safety.md). Standard library only.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict, List, Optional

from lispdeploy.hostside import confirmation, created, generations, lease, pause
from lispdeploy.hostside.apply import Context, StoreItems, apply
from lispdeploy.hostside.contract import (DEPLOYED, FAILED, FINISHED, KIND_NO_GENERATION,
                                          UNCHANGED, UNDONE, Change, ContractError,
                                          HostSideError, Manifest, Outcome, Recovery,
                                          changes_shown, error_kind)
from lispdeploy.hostside.facts import gather
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.journal import (ACTIVATE, BACK, REPAIR, SWITCH, Interrupted, Journal,
                                         forget_recoveries, record_recovery, stopping)
from lispdeploy.hostside.output import say
from lispdeploy.hostside.packages import clean_up_after_interruption
from lispdeploy.hostside.plan import STEP_PACKAGES, Already, facts_request, plan

# How long a recovery or the watchdog waits for the deploy lock (an activation running).
LOCK_WAIT_SECONDS = 600.0
# The lease outlives the confirmation's deadline by this much: the watchdog's own switch back
# (under the deploy lock) is then done or under way.
LEASE_MARGIN = 30.0


def planned(manifest: Optional[Manifest], current: Optional[Manifest], state: HostState,
            already: Optional[Already] = None,
            secrets: Optional[Dict[str, bytes]] = None) -> List[Change]:
    """The plan from facts gathered now."""
    facts = gather(facts_request(manifest, state, current), state)
    return plan(manifest, facts, state, StoreItems(), current=current, already=already,
                secrets=secrets)


def converge(manifest: Optional[Manifest], current: Optional[Manifest],
             journal: Optional[Journal] = None,
             context: Optional[Context] = None) -> List[Change]:
    """Make the host match `manifest` (None: generation 0), coming from the generation whose
    manifest is `current`; return what was done (see the module docstring). With `journal`,
    each change is recorded in it, and what an interrupted run of the same phase made still
    has its restarts. `context` holds the secrets sent with the activation (and collects
    what their destinations held)."""
    state = HostState()
    if context is None:
        context = Context(state, journal=journal)
    else:
        context.state, context.journal = state, journal
    before = journal.already() if journal is not None else {}
    already = Already(before.get("paths", ()), before.get("packages", ()))
    changes = planned(manifest, current, state, already, secrets=context.secrets)
    first = [c for c in changes if c.args.get("step") == STEP_PACKAGES]
    if not first:
        return apply(changes, context, manifest)
    done = apply(first, context, manifest)
    installed = [c.name for c in first if c.kind == "package" and c.action in ("add", "change")]
    written = [c.name for c in first if c.kind == "file"]
    already.packages.update(installed)
    already.paths.update(written)
    rest = [c for c in planned(manifest, current, state, already, secrets=context.secrets)
            if c.args.get("step") != STEP_PACKAGES]
    return done + apply(rest, context, manifest)


def _readable(number: Optional[int]) -> Optional[Manifest]:
    """A generation's manifest, or None when this host program cannot read it (it then only
    loses drift marks and the knowledge that the activation program is unchanged)."""
    try:
        return generations.manifest_of(number)
    except (OSError, ContractError):
        return None


def activate(system_path: str, *, who: str = "lispdeploy",
             provenance: Optional[Dict[str, Any]] = None,
             confirm: Optional[Dict[str, Any]] = None, agent: Optional[str] = None,
             holder: Optional[Dict[str, Any]] = None,
             secrets: Optional[Dict[str, bytes]] = None) -> Outcome:
    """Make `system_path` a new current generation and converge to it; on failure go back.
    The system the host already runs is converged to in place (drift repaired, secrets
    rotated). With `confirm` ({"watchdog": program, "timeout": seconds}), a new generation
    awaits its confirmation (see hostside.confirmation), and the host stays `holder`'s until
    then (hostside.lease; the caller holds the lease lock). Interrupted activations found
    first are recovered first (`Outcome.recovered`). `secrets`: /etc path -> content of the
    manifest's secrets (in memory only; what they replace is given back from memory on a
    roll-back)."""
    started = time.time()
    manifest = generations.load_manifest(system_path)
    with generations.Lock(who):
        recovered = recover_locked("activation")
        forget_recoveries()
        previous = generations.current()
        # This deploy reached the host on its current generation: if an interrupted deploy
        # left it awaiting confirmation, that is the confirmation.
        confirmed = confirmation.confirm_pending(previous)
        if previous is not None and generations.system_of(previous) == system_path:
            outcome = _repair(previous, manifest, provenance, who, agent, secrets)
        else:
            number = generations.next_number()
            journal = Journal.begin(ACTIVATE, number, previous, new=True, who=who, agent=agent)
            generations.add(system_path, number)
            generations.record_provenance(number, provenance)
            created.begin(number)
            try:
                outcome = _switch_and_converge(journal, number, previous, secrets)
            finally:
                created.stop()
            guarded = False
            if outcome.result == DEPLOYED and confirm:
                # Armed before the journal closes: interrupted before this, the activation
                # is undone; after it, the watchdog guards the generation.
                outcome.confirmation = confirmation.arm(number, previous, confirm["watchdog"],
                                                        confirm["timeout"])
                guarded = not outcome.confirmation.error
                if guarded and holder is not None:
                    # Until confirmed, the host stays this deploy's (hostside.lease).
                    lease.hold(dict(holder, since=started, generation=number),
                               until=outcome.confirmation.deadline + LEASE_MARGIN)
                pause.point("armed")
            journal.close()
            if outcome.result == DEPLOYED and not guarded:
                created.forget(number)  # the generation stands, and what it created with it
        outcome.recovered = recovered
        outcome.confirmed = confirmed
        return outcome


def _repair(number: int, manifest: Manifest, provenance: Optional[Dict[str, Any]], who: str,
            agent: Optional[str], secrets: Optional[Dict[str, bytes]] = None) -> Outcome:
    moved = generations.record_provenance(number, provenance)
    journal = Journal.begin(REPAIR, number, number, new=False, who=who, agent=agent)
    try:
        done = converge(manifest, manifest, journal, Context(HostState(), secrets=secrets))
    except Interrupted:
        raise
    except Exception as failure:
        if stopping():
            raise Interrupted("the host is shutting down") from failure
        journal.close()
        return Outcome(FAILED, generation=number, previous=number, step=_step(failure),
                       error=_message(failure), error_kind=error_kind(failure),
                       provenance_moved=moved)
    journal.close()
    return Outcome(DEPLOYED if done else UNCHANGED, generation=number, previous=number,
                   changes=changes_shown(done), provenance_moved=moved)


def switch_to(number: Optional[int], *, who: str = "lispdeploy", agent: Optional[str] = None,
              wait: float = 0.0, failed: Optional[int] = None) -> Outcome:
    """Make an existing generation current (None: generation 0) and converge to it. `wait`:
    how long to wait for the deploy lock. `failed`: the generation left because it failed
    (a health check): once the switch is done, it is deleted with what it created."""
    with generations.Lock(who, wait=wait):
        return switch_locked(number, who=who, agent=agent, tidy=failed, remove=True)


def switch_locked(number: Optional[int], *, who: str, agent: Optional[str] = None,
                  begun: Optional[Callable[[], Any]] = None, tidy: Optional[int] = None,
                  remove: bool = False) -> Outcome:
    """`switch_to` with the deploy lock held; `begun` is called once the switch is
    journaled. `tidy`: a failed or unconfirmed generation the switch leaves, whose created
    directories and failed units are taken away once it is done (`remove`: and the
    generation deleted); a recovery finishing the switch does the same."""
    recovered = recover_locked("activation")
    previous = generations.current()
    if number is not None and number not in generations.numbers():
        raise HostSideError(f"there is no generation {number}", kind=KIND_NO_GENERATION)
    if number is not None:
        generations.load_manifest(generations.system_of(number))
    if number == previous:
        return Outcome(UNCHANGED, generation=number, recovered=recovered)
    journal = Journal.begin(SWITCH, number, previous, new=False, who=who, agent=agent,
                            tidy=tidy if tidy != number else None, remove=remove)
    if begun is not None:
        begun()
    outcome = _switch_and_converge(journal, number, previous)
    if outcome.result == DEPLOYED:
        _tidy_left(journal)
    journal.close()
    confirmation.drop_superseded()
    outcome.recovered = recovered
    return outcome


def _tidy_left(journal: Journal) -> None:
    """After a switch away from a failed or unconfirmed generation: take away what it
    created (and delete it, if asked)."""
    left = journal.data.get("tidy")
    if left is None:
        return
    created.tidy(left)
    if journal.data.get("remove") and left != generations.current() and os.path.lexists(
            generations.link_path(left)):
        generations.remove(left)


def previous_generation() -> Optional[int]:
    """The generation before the current one (None: generation 0)."""
    current = generations.current()
    if current is None:
        raise HostSideError("the host has no generation to roll back from",
                            kind=KIND_NO_GENERATION)
    older = [n for n in generations.numbers() if n < current]
    return older[-1] if older else None


def _step(failure: BaseException) -> str:
    return getattr(failure, "step", "activation")


def _message(failure: BaseException) -> str:
    if isinstance(failure, HostSideError):
        return str(failure)
    return f"{type(failure).__name__}: {failure}"


def _switch_and_converge(journal: Journal, number: Optional[int], previous: Optional[int],
                         secrets: Optional[Dict[str, bytes]] = None) -> Outcome:
    leaving = _readable(previous)
    target = generations.manifest_of(number)
    generations.switch(number)
    pause.point("switched")
    context = Context(HostState(), secrets=secrets)
    try:
        done = converge(target, leaving, journal, context)
        pause.point("converged")
        return Outcome(DEPLOYED, generation=number, previous=previous,
                       changes=changes_shown(done))
    except Interrupted:
        raise
    except Exception as failure:
        if stopping():
            # A failure because the host is going down (units refuse to start): not the
            # generation's fault; the recovery at boot decides.
            raise Interrupted("the host is shutting down") from failure
        outcome = Outcome(FAILED, generation=previous, previous=previous,
                          failed_generation=number, step=_step(failure),
                          error=_message(failure), error_kind=error_kind(failure),
                          rolled_back=False)
        say(f"activation of generation {number or 0} failed: {_message(failure)}; "
            f"going back to generation {previous or 0}")
        journal.going_back()
        # The secrets this activation replaced go back from memory, never from a copy.
        _go_back(journal, outcome, target, context.replaced_secrets)
        return outcome


def _go_back(journal: Journal, outcome: Outcome, leaving: Optional[Manifest],
             replaced_secrets: Optional[Dict[str, bytes]] = None) -> None:
    """Make the journal's previous generation current again and converge to it (the back
    phase, resumed by a recovery if cut short); delete the new generation it replaced.
    `replaced_secrets`: what the secrets' destinations held before (in memory: a recovery
    after a crash has none, and a secret is then kept as the host has it)."""
    previous, number = journal.previous, journal.target
    created.stop()  # what the way back makes is the previous generation's
    generations.switch(previous)
    pause.point("switched back")
    try:
        back = generations.manifest_of(previous)  # never None for a generation that exists
        outcome.rollback_changes = changes_shown(converge(
            back, leaving, journal, Context(HostState(), secrets=replaced_secrets)))
        outcome.rolled_back = True
        if journal.new:
            created.tidy(number)  # the directories it made, the units it made fail
    except Interrupted:
        raise
    except Exception as rollback_failure:
        if stopping():
            raise Interrupted("the host is shutting down") from rollback_failure
        outcome.rollback_error = _message(rollback_failure)
    if journal.new and number is not None and os.path.lexists(generations.link_path(number)):
        generations.remove(number)


# -------------------------------------------------------------------------------------------
# Recovery


def recover(found: str, *, who: str = "lispdeploy recovery",
            wait: float = LOCK_WAIT_SECONDS) -> List[Recovery]:
    """Finish or undo an activation that was cut short (its journal left with the lock free):
    what was done about it (none if there was nothing to recover). `found`: who found it
    (probe, boot, ...). Waits `wait` seconds for an activation running now to end."""
    with generations.Lock(who, wait=wait):
        return recover_locked(found)


def recover_locked(found: str) -> List[Recovery]:
    """`recover` with the deploy lock held."""
    journal = Journal.read()
    if journal is None:
        return []
    journal.resumed(found)
    recovery = Recovery(activation=journal.kind, generation=journal.target,
                        previous=journal.previous, who=journal.data.get("who", ""),
                        began=journal.data.get("began", ""), step=journal.data.get("step", ""),
                        found=found, date=time.strftime("%Y-%m-%d %H:%M:%S"))
    clean_up_after_interruption()
    # A switch's target always exists (gc takes the lock); if it does not, go back.
    missing = journal.target is not None and not os.path.lexists(
        generations.link_path(journal.target))
    undo = journal.kind == ACTIVATE or journal.phase == BACK or missing
    recovery.action = UNDONE if undo else FINISHED
    say(f"lispdeploy: an activation of generation {journal.target or 0} was interrupted "
        f"({recovery.step or 'before its first change'}); "
        + (f"going back to generation {journal.previous or 0}" if undo
           else f"finishing it"))
    if undo:
        outcome = Outcome(DEPLOYED, generation=journal.previous, previous=journal.target,
                          failed_generation=journal.target if journal.kind == ACTIVATE
                          else None, rolled_back=False)
        if journal.phase != BACK:
            journal.going_back()
        _go_back(journal, outcome, _readable(journal.target))
        outcome.changes, outcome.rollback_changes = outcome.rollback_changes, []
        if outcome.rollback_error:
            outcome.result, outcome.error = FAILED, outcome.rollback_error
            outcome.rollback_error = ""
    else:
        generations.switch(journal.target)
        try:
            done = converge(_readable(journal.target), _readable(journal.previous), journal)
            outcome = Outcome(DEPLOYED, generation=journal.target, previous=journal.previous,
                              changes=changes_shown(done))
            _tidy_left(journal)
        except Interrupted:
            raise
        except Exception as failure:
            if stopping():
                raise Interrupted("the host is shutting down") from failure
            outcome = Outcome(FAILED, generation=journal.target, previous=journal.previous,
                              step=_step(failure), error=_message(failure),
                              error_kind=error_kind(failure))
    journal.close()
    confirmation.drop_superseded()
    recovery.outcome = outcome
    record_recovery(recovery)
    say(f"lispdeploy: recovered: the host is on generation {outcome.generation or 0}"
        + (f" (recovery failed: {outcome.error})" if outcome.result == FAILED else ""))
    return [recovery]
