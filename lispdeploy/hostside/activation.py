"""Activating a system generation on a host, transactionally.

`converge(manifest)` gathers the facts (`hostside.facts`), plans (`hostside.plan`, the same
pure function the controller's dry run uses) and applies the changes (`hostside.apply`).
Packages come first; when they changed anything, the facts are gathered again and the rest is
planned anew, so that what packages bring (their /etc files, units, accounts) is seen as it
is, and the units of the packages installed still restart.

`activate(path)` makes a new generation current and converges to it; if anything fails, the
previous generation is made current again and converged to, which gives back files, accounts
and units as they were (planning compares with the host, so it converges from any partial
state; generation 0 is the host as it was). Activating the system the host already runs
repairs drift in place, without a new generation. Standard library only.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from lispdeploy.hostside import created, generations
from lispdeploy.hostside.apply import Context, StoreItems, apply
from lispdeploy.hostside.contract import (DEPLOYED, FAILED, KIND_NO_GENERATION, UNCHANGED,
                                          Change, ContractError, HostSideError, Manifest,
                                          Outcome, changes_shown, error_kind)
from lispdeploy.hostside.facts import gather
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import STEP_PACKAGES, Already, facts_request, plan

def planned(manifest: Optional[Manifest], current: Optional[Manifest], state: HostState,
            already: Optional[Already] = None,
            secrets: Optional[Dict[str, bytes]] = None) -> List[Change]:
    """The plan from facts gathered now."""
    facts = gather(facts_request(manifest, state, current), state)
    return plan(manifest, facts, state, StoreItems(), current=current, already=already,
                secrets=secrets)


def converge(manifest: Optional[Manifest], current: Optional[Manifest],
             context: Optional[Context] = None) -> List[Change]:
    """Make the host match `manifest` (None: generation 0), coming from the generation whose
    manifest is `current`; return what was done (see the module docstring). `context` holds
    the secrets sent with the activation (and collects what their destinations held)."""
    state = HostState()
    context = context or Context(state)
    context.state = state
    changes = planned(manifest, current, state, secrets=context.secrets)
    first = [c for c in changes if c.args.get("step") == STEP_PACKAGES]
    if not first:
        return apply(changes, context, manifest)
    done = apply(first, context, manifest)
    installed = [c.name for c in first if c.action in ("add", "change")]
    rest = [c for c in planned(manifest, current, state, Already(packages=installed),
                               secrets=context.secrets)
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
             secrets: Optional[Dict[str, bytes]] = None) -> Outcome:
    """Make `system_path` a new current generation and converge to it; on failure go back.
    The system the host already runs is converged to in place (drift repaired, secrets
    rotated). `secrets`: /etc path -> content of the manifest's secrets (in memory only)."""
    manifest = generations.load_manifest(system_path)
    with generations.Lock(who):
        previous = generations.current()
        if previous is not None and generations.system_of(previous) == system_path:
            return _repair(previous, manifest, provenance, secrets)
        number = generations.add(system_path)
        generations.record_provenance(number, provenance)
        created.begin(number)
        try:
            return _switch_and_converge(number, previous, remove_on_failure=True,
                                        secrets=secrets)
        finally:
            created.stop()


def _repair(number: int, manifest: Manifest, provenance: Optional[Dict[str, Any]],
            secrets: Optional[Dict[str, bytes]] = None) -> Outcome:
    moved = generations.record_provenance(number, provenance)
    context = Context(HostState(), secrets=secrets)
    try:
        done = converge(manifest, manifest, context)
    except Exception as failure:
        return Outcome(FAILED, generation=number, previous=number, step=_step(failure),
                       error=_message(failure), error_kind=error_kind(failure),
                       provenance_moved=moved)
    return Outcome(DEPLOYED if done else UNCHANGED, generation=number, previous=number,
                   changes=changes_shown(done), provenance_moved=moved)


def switch_to(number: Optional[int], *, who: str = "lispdeploy") -> Outcome:
    """Make an existing generation current (None: generation 0) and converge to it."""
    with generations.Lock(who):
        previous = generations.current()
        if number is not None and number not in generations.numbers():
            raise HostSideError(f"there is no generation {number}", kind=KIND_NO_GENERATION)
        if number is not None:
            generations.load_manifest(generations.system_of(number))
        if number == previous:
            return Outcome(UNCHANGED, generation=number)
        return _switch_and_converge(number, previous, remove_on_failure=False)


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


def _switch_and_converge(number: Optional[int], previous: Optional[int],
                         remove_on_failure: bool,
                         secrets: Optional[Dict[str, bytes]] = None) -> Outcome:
    leaving = _readable(previous)
    target = generations.manifest_of(number)
    generations.switch(number)
    context = Context(HostState(), secrets=secrets)
    try:
        done = converge(target, leaving, context)
        return Outcome(DEPLOYED, generation=number, previous=previous,
                       changes=changes_shown(done))
    except Exception as failure:
        outcome = Outcome(FAILED, generation=previous, previous=previous,
                          failed_generation=number, step=_step(failure),
                          error=_message(failure), error_kind=error_kind(failure),
                          rolled_back=False)
        generations.switch(previous)
        created.stop()  # what the roll-back makes is the previous generation's
        try:
            back = generations.manifest_of(previous)  # never None for a generation that exists
            # The secrets this activation replaced go back from memory, never from a copy.
            outcome.rollback_changes = changes_shown(converge(back, target, Context(
                HostState(), secrets=context.replaced_secrets)))
            outcome.rolled_back = True
            if remove_on_failure:
                created.tidy(number)
        except Exception as rollback_failure:
            outcome.rollback_error = _message(rollback_failure)
        if remove_on_failure and number is not None and os.path.lexists(
                generations.link_path(number)):
            generations.remove(number)
        return outcome
