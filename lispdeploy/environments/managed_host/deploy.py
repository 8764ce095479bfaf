"""Deploying a managed host (Guix's `deploy-managed-host`): build its system on the
controller, probe the host (one round trip: the facts planning needs and what the safety
checks ask), refuse what the checks refuse, plan from the facts (`hostside.plan`, the planner
the activation uses too), send the store items the host lacks with the activation (one round
trip, none when nothing changed), then confirm the new generation over a new connection (or
the host goes back by itself). A dry run stops after planning: it needs no other round trip.

The activation runs on the host as a job of the host agent (`hostside.agent`, a program item
sent with it): a transient systemd unit that nothing done to this process or its connection
can stop half-way. A probe finishes or undoes an activation it finds cut short before
anything else, and the report says so; a host whose generation awaits the confirmation of an
interrupted deploy is never `unchanged`: this deploy confirms it (it reached the host anew).

Everything here works on one host, in the thread's `HostContext`: its connection, its phases,
the deploy's options. Nothing prints; the report says what happened.
"""

from __future__ import annotations

import base64
import functools
import getpass
import socket
import time
from typing import Any, Dict, List, Optional

from lispdeploy.environments.managed_host import checks, health
from lispdeploy.environments.managed_host.configuration import MachineSshConfiguration
from lispdeploy.environments.managed_host.environment import connection, open_transport
from lispdeploy.errors import DeployError, LispdeployError, RemoteEvalError
from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.program import LoweredProgram, function_call
from lispdeploy.hostside.contract import (FAILED, KIND_LOCKED, Change, Confirmation, Facts,
                                          Outcome, ProbeAnswer, ProbeRequest, Provenance,
                                          Recovery, changes_shown)
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.facts import gather_image
from lispdeploy.hostside.plan import facts_request, plan, reloads, restarts, starts
from lispdeploy.machine import DeployOptions, HostContext, Machine, PlannedHost, within_host
from lispdeploy.remote.eval import remember_present, remote_eval, run_lowered
from lispdeploy.store import StoreItem
from lispdeploy.report import DEPLOYED, DRY_RUN, SWITCHED, UNCHANGED, HostReport
from lispdeploy.system import guix_system
from lispdeploy.system.closure import SystemClosure, build_system, source_map_of
from lispdeploy.system.provenance import provenance

# Time the controller leaves the host between giving up reaching it and its own deadline.
CONFIRM_MARGIN = 5.0
AGENT = "lispdeploy-agent"


@functools.lru_cache(maxsize=1)
def agent_program() -> StoreItem:
    """The host agent program (hostside.agent): runs activations as systemd units, recovers
    interrupted ones at boot, and is the confirmation watchdog."""
    return Lowerer().program(AGENT, function_call("lispdeploy.hostside.agent.main"))


LOCK_POLL = 2.0  # seconds between two looks at a host another deploy is changing
PROVENANCE = "provenance"


def deployer() -> str:
    """Who deploys, as generations record it: `lispdeploy deploy by user@machine`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"lispdeploy deploy by {user}@{socket.gethostname()}"


def call(transport, host: HostContext, function: str, *args: Any) -> Any:
    """Run a host entry point (lispdeploy.hostside.entry) in one round trip; what the host
    prints goes to the host context's output (shown with -v)."""
    return remote_eval(transport, function_call(f"lispdeploy.hostside.entry.{function}", *args),
                       on_stderr=host.output)


def _options(host: HostContext) -> DeployOptions:
    if host.options is None:
        # (deploy-machine m) called outside any deploy command.
        host.options = DeployOptions(who=deployer())
    return host.options


def deploy_managed_host(machine: Machine) -> HostReport:
    """The managed host's `deploy-machine`: deploy (or, in a dry run, plan) its system."""
    return within_host(machine, lambda host: ManagedDeploy(machine, host).run())


def roll_back_managed_host(machine: Machine) -> HostReport:
    """The managed host's `roll-back-machine`: switch to the previous generation."""
    def work(host: HostContext) -> HostReport:
        host.phase("switching generation")
        transport = connection(machine, host)
        return switch_report(machine.display_name,
                             call(transport, host, "roll_back", _options(host).who,
                                  agent_program()))
    return within_host(machine, work)


class HostBusy(Exception):
    """Another deploy is changing the host (`holder` names it): this one changed nothing."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


class ManagedDeploy:
    """One managed host's deploy, step by step (see the module docstring)."""

    def __init__(self, machine: Machine, host: HostContext):
        self.machine = machine
        self.config: MachineSshConfiguration = machine.configuration
        self.host = host
        self.options = _options(host)
        self.name = machine.display_name

    def run(self) -> HostReport:
        """Build, probe, check, plan; then (unless a dry run) send and activate, confirm. A
        host another deploy is changing is waited for as long as --wait-lock says."""
        self.host.phase("building")
        system = self._build()
        if self.host.planned_host is not None:
            return self._plan_new_host(system, self.host.planned_host)
        wait = self.options.wait_lock
        deadline = time.monotonic() + wait if wait else None
        while True:
            try:
                return self._deploy(system)
            except HostBusy as busy:
                remaining = deadline - time.monotonic() if deadline is not None else 0.0
                if remaining <= 0:
                    problem = checks.locked_problem(busy.holder)
                    if deadline is not None:
                        problem.message += f" (waited {wait:g} s)"
                    raise DeployError(problem.message, host=self.name, step="lock",
                                      hint=problem.hint) from None
                self.host.phase(f"waiting for the host ({remaining:.0f} s left): "
                                f"{busy.holder}")
                if self.host.interrupted.wait(min(LOCK_POLL, remaining)):
                    raise KeyboardInterrupt("interrupted") from None

    def _deploy(self, system: SystemClosure) -> HostReport:
        manifest = system.manifest_record
        contents = system.contents()
        transport = connection(self.machine, self.host)
        agent = None if self.options.dry_run else agent_program()
        self.host.phase("probing")
        context = checks.CheckContext(
            manifest=manifest, contents=contents, operating_system=self.machine.operating_system,
            system=self.config.system, container=self.container,
            safety_checks=self.config.safety_checks,
            allow_downgrades=self.config.allow_downgrades,
            user=getattr(transport, "user", "root"), provenance=system.provenance,
            spec_path=self.options.spec_path, package_origins=system.package_origins,
            etc_locations=system.etc_locations)
        request = probe_request(system, context)
        if agent is not None:
            request.items.append(agent.path)
        answer = ProbeAnswer.from_json(call(transport, self.host, "probe", request.to_json()))
        if answer.lock:
            # Never "unchanged" (nor a plan) for a host another deploy is changing.
            raise HostBusy(answer.lock)
        report = HostReport(self.name, DEPLOYED, previous=answer.generation,
                            system=system.item.path)
        report.warnings = [recovery_message(r) for r in answer.recovered]
        report.warnings += [p.message for p in checks.raise_first(
            checks.judge(answer, context), self.name, "checks")] + self._guix_notes()
        remember_present(transport, set(request.items) - set(answer.missing),
                         missing=answer.missing)
        secrets = self._secrets(system)
        changes = plan(manifest, answer.facts or Facts(), HostState.of(answer.state), contents,
                       current=answer.current, secrets=secrets)
        same = answer.system == system.item.path
        moved = same and provenance_moved(answer.provenance, system.provenance)
        awaiting = answer.pending is not None and answer.pending.generation == answer.generation
        if same and not changes and not moved and not awaiting:
            report.result = UNCHANGED
            report.generation = answer.generation
            self.host.set_stage("done", result=UNCHANGED, generation=report.generation)
            return report
        if self.options.dry_run:
            report.result = DRY_RUN
            report.generation = answer.generation
            report.plan = plan_report(changes, answer, same, moved)
            self.host.set_stage("done", result=DRY_RUN, generation=report.generation)
            return report
        return self._activate(system, answer, transport, agent, not same, report, secrets)

    def _secrets(self, system: SystemClosure) -> Dict[str, bytes]:
        """/etc path -> content of the system's secrets, read now on this machine (each
        secret-file once per deploy, whatever the hosts using it) and kept in memory only."""
        out = {}
        for path, secret in sorted(system.secrets.items()):
            out["/etc/" + path] = self.options.shared(f"secret {id(secret)}", secret.read)
        return out

    def _plan_new_host(self, system: SystemClosure, planned: PlannedHost) -> HostReport:
        """A dry run for a machine whose host does not exist yet: what would be created, and
        the plan for a fresh host (from the files of its image when they are known, else for
        an empty host). Nothing is reached or created."""
        self.host.phase("planning a new host")
        manifest = system.manifest_record
        state = HostState.of({})
        request = facts_request(manifest, state, None)
        if planned.root is not None:
            facts = gather_image(request, planned.root, planned.host_name, planned.written)
            basis = f"the files of {planned.description.get('image') or planned.root}"
        else:
            facts = Facts()
            basis = "an empty host (the image's own files are not known here)"
        changes = plan(manifest, facts, state, system.contents(), secrets=self._secrets(system))
        report = HostReport(self.name, DRY_RUN, system=system.item.path)
        context = checks.CheckContext(
            manifest=manifest, contents=system.contents(),
            operating_system=self.machine.operating_system, system=self.config.system,
            container=self.container, safety_checks=self.config.safety_checks,
            user=self.config.user or "root", package_origins=system.package_origins,
            etc_locations=system.etc_locations)
        report.warnings = [p.message for p in checks.raise_first(
            checks.judge_without_host(context), self.name, "checks")] + self._guix_notes()
        report.warnings.append("the host does not exist yet: its safety checks run when a "
                               "deploy has created it")
        report.plan = {"changes": changes_shown(changes), "restart": restarts(changes),
                       "reload": reloads(changes), "start": starts(changes), "generation": 1,
                       "drift": 0, "system-unchanged": False, "provenance-moved": False,
                       "create": dict(planned.description), "planned-on": basis}
        return report

    def _guix_notes(self) -> List[str]:
        """Guix-System-only parts of the spec and its configuration, once each
        (system.guix_system): what they become here, or that they are ignored."""
        return ([text for _, text in guix_system.notes(self.machine.operating_system)]
                + self.config.guix_notes())

    @property
    def container(self) -> bool:
        """Whether the host is a container host (it has no block devices to check)."""
        return bool(self.host.build_options.get("container"))

    def _build(self) -> SystemClosure:
        # The spec's provenance (git's state) is the same for every machine: asked once.
        origin = self.options.shared(PROVENANCE, lambda: provenance(self.options.spec_path,
                                                                    self.options.spec_text))
        return build_system(self.machine, origin=origin,
                            listen_address=self.host.build_options.get("listen_address"))

    def _activate(self, system: SystemClosure, answer: ProbeAnswer, transport,
                  agent: StoreItem, new: bool, report: HostReport,
                  secrets: Optional[Dict[str, bytes]] = None) -> HostReport:
        """Send what the host lacks with the activation program (one round trip). When not
        `new` (the host already runs this system: its drift is repaired in place) there is no
        new generation to confirm. With `secrets`, the host agent runs the activation inline
        (in this session's process) so that their content is never written to its request."""
        lacking = set(answer.missing)
        missing = [i for i in system.items + system.provenance_items + [agent]
                   if i.path in lacking]
        self.host.phase(f"sending {len(missing)} items, activating" if missing
                        else "activating")
        extra = [system.item] + system.provenance_items
        confirm = None
        if new and self.options.confirm_timeout is not None:
            confirm = {"watchdog": agent, "timeout": self._confirm_timeout()}
        # The secrets travel inside the program, which the host reads from stdin and runs in
        # memory: they are written nowhere but at their destinations.
        sent = {path: base64.b64encode(content).decode() for path, content in
                (secrets or {}).items()}
        lowered = Lowerer().lower_program("activate", function_call(
            "lispdeploy.hostside.entry.activate", system.item.path, self.options.who, confirm,
            system.provenance, self.options.holder(), agent, sent or None))
        self.host.set_stage("activating", previous=answer.generation,
                            confirm_timeout=confirm["timeout"] if confirm else None)
        try:
            outcome = Outcome.from_json(run_lowered(
                transport, LoweredProgram(lowered.name, lowered.text,
                                          list(lowered.items) + extra,
                                          source_map=lowered.source_map),
                on_stderr=self.host.output))
        except RemoteEvalError as e:
            if e.kind != KIND_LOCKED:
                raise
            # Another deploy began its activation after our probe: nothing was changed.
            self.host.set_stage("untouched")
            raise HostBusy(e.message.split(": ", 1)[-1]) from None
        activated = time.monotonic()
        report.items_sent = len(missing)
        if outcome.result == FAILED:
            # The activation program's frames and snippets, at their spec lines.
            activation = system.manifest_record.activation
            source_map = source_map_of(system, activation.program if activation else None)
            outcome.error = source_map.rewrite(outcome.error)
        report.warnings = [recovery_message(r) for r in outcome.recovered] + report.warnings
        if outcome.confirmed is not None:
            report.extra["confirmed-pending"] = outcome.confirmed
            report.warnings.append(f"generation {outcome.confirmed} awaited the confirmation "
                                   "of an interrupted deploy: this deploy reached the host on "
                                   "it, which confirms it")
        report = outcome_report(report, outcome)
        if outcome.confirmed is not None and report.result == UNCHANGED:
            report.result = DEPLOYED  # it confirmed the generation: the host keeps it now
        if report.result != DEPLOYED:
            self.host.set_stage("done", result=report.result, generation=report.generation)
            return report
        armed = outcome.confirmation
        new_generation = outcome.generation != outcome.previous
        if self.machine.health_checks and new_generation and \
                not self._healthy(report, transport, armed):
            self.host.set_stage("done", result=report.result, generation=report.generation)
            return report
        if confirm is None or armed is None or armed.error:
            if armed is not None and armed.error:
                report.warnings.append("the new generation is not guarded against cutting the "
                                       f"host off: {armed.error}")
            self.host.set_stage("done", result=report.result, generation=report.generation)
            return report
        self.host.set_stage("awaiting-confirmation", generation=report.generation,
                            previous=report.previous, deadline=armed.deadline)
        self._confirm(report, activated)
        return report

    def _confirm_timeout(self) -> float:
        """How long the host waits for its confirmation: the deploy's timeout, plus the
        longest the machine's health checks may take (they run before it is confirmed)."""
        return (self.options.confirm_timeout or 0.0) + health.budget(self.machine.health_checks)

    def _healthy(self, report: HostReport, transport, armed: Optional[Confirmation]) -> bool:
        """Run the machine's health checks; when one fails, switch the host back to the
        previous generation and fail the report with what the check saw."""
        checks_ = self.machine.health_checks
        deadline = armed.deadline if armed is not None and not armed.error else None
        self.host.set_stage("health-checks", generation=report.generation,
                            previous=report.previous, deadline=deadline)
        self.host.phase(f"health checks ({len(checks_)})")
        results = health.run_health_checks(checks_, transport, address=self.config.host_name,
                                           on_stderr=self.host.output,
                                           interrupted=self.host.interrupted)
        report.extra["health-checks"] = [r.to_json() for r in results]
        failed = [r for r in results if not r.ok]
        if not failed:
            return True
        previous = report.previous or 0
        self.host.phase(f"health check failed, going back to generation {previous}")
        message = "\n".join(r.describe() for r in failed)
        try:
            back = switch_report(self.name, call(transport, self.host, "switch_generation",
                                                 previous, self.options.who,
                                                 self.options.lease_id, report.generation,
                                                 agent_program()))
            rolled_back = back.ok
            why = "" if back.ok else (back.error or {}).get("message", "")
        except LispdeployError as e:
            rolled_back, why = False, e.message
        if rolled_back:
            message += (f"\nrolled back to generation {previous}" if previous
                        else "\nrolled back to the host as it was before lispdeploy")
            report.changes = back.changes
        else:
            message += (f"\ngoing back to generation {previous} failed: {why}"
                        + ("; the host goes back by itself when its confirmation times out"
                           if deadline else ""))
        report.extra["failed-generation"] = report.generation
        report.fail(DeployError(message, host=self.name, step="health-checks",
                                rolled_back=rolled_back,
                                hint="see what the check saw above; fix the spec (or the "
                                     "check) and deploy again"))
        report.generation = previous if rolled_back else report.generation
        return False

    def _confirm(self, report: HostReport, activated: float) -> None:
        """Reach the host again over a new connection and confirm the new generation; when
        that is impossible, the host goes back to the previous generation by itself."""
        timeout = self._confirm_timeout()
        self.host.phase("confirming over a new connection")
        deadline = activated + max(1.0, timeout - CONFIRM_MARGIN)
        last: Optional[BaseException] = None
        # Whether a confirmation may have reached the host without its answer reaching us.
        sent = False
        while time.monotonic() < deadline:
            try:
                # Once sent, a confirmation is seen through even by Ctrl-C: the report must
                # say whether the host kept its generation.
                transport = self.host.new_connection(lambda: open_transport(self.machine),
                                                     finish=True)
            except LispdeployError as e:
                last = e
                time.sleep(1.0)
                continue
            try:
                answer = call(transport, self.host, "confirm", report.generation,
                              self.options.lease_id)
            except LispdeployError as e:
                # The connection went away mid-call: ask again (confirming is idempotent).
                last, sent = e, True
                time.sleep(1.0)
                continue
            finally:
                self.host.release(transport)
            if answer.get("confirmed"):
                report.extra["confirmed"] = True
                self.host.set_stage("confirmed", generation=report.generation)
                return
            last = DeployError(f"the host had already gone back to generation "
                               f"{answer.get('current') or 0}")
            break
        previous = report.previous or 0
        reason = last.message if isinstance(last, LispdeployError) else str(last)
        self.host.set_stage("done", result="failed", generation=report.generation)
        if sent:
            report.fail(DeployError(
                f"the connection was lost while confirming generation {report.generation} "
                f"({reason}): if the confirmation reached the host, it keeps generation "
                f"{report.generation}; otherwise it goes back to generation {previous} by "
                f"itself within {timeout:.0f} s of the activation",
                host=self.name, step="confirm", rolled_back=None,
                hint="deploy again: it says where the host is (while the host still awaits "
                     "this confirmation it stays this deploy's, until its deadline: "
                     "--wait-lock SECONDS waits for it)"))
            report.extra["confirmed"] = None
            return
        report.fail(DeployError(
            f"cannot reach the host again after activating generation {report.generation} "
            f"({reason}); it goes back to generation {previous} by itself within "
            f"{timeout:.0f} s of the activation",
            host=self.name, step="confirm", rolled_back=True,
            hint="the new generation cut the host off (sshd settings, firewall, accounts?); "
                 "fix the spec and deploy again"))
        report.extra["confirmed"] = False


def probe_request(system: SystemClosure, context: checks.CheckContext) -> ProbeRequest:
    """What the probe asks the host: which items it lacks, what the safety checks need, and
    the facts for planning the system."""
    return ProbeRequest(items=[system.item.path] + list(system.manifest_record.items)
                        + [i.path for i in system.provenance_items],
                        checks=checks.probe_requests(context), manifest=system.manifest_record)


def recovery_message(recovery: Recovery) -> str:
    """What a report says of an interrupted activation the host finished or undid."""
    which = {"activate": f"the activation of generation {recovery.generation or 0}",
             "switch": f"the switch to generation {recovery.generation or 0}",
             "repair": f"the repair of generation {recovery.generation or 0}"}.get(
        recovery.activation, f"an activation of generation {recovery.generation or 0}")
    began = " by " + recovery.who if recovery.who else ""
    began += f" at {recovery.began}" if recovery.began else ""
    where = f" (at: {recovery.step})" if recovery.step else " (before its first change)"
    found = {"boot": "at boot", "probe": "when this deploy reached it",
             "activation": "before this activation", "watchdog": "when its watchdog woke",
             "restart": "when its process, killed, was started again"}.get(
        recovery.found, recovery.found)
    outcome = recovery.outcome
    now = outcome.generation if outcome is not None else None
    if outcome is not None and outcome.result == "failed":
        did = f"the host could not be brought back fully: {outcome.error}"
    elif recovery.action == "undone":
        did = f"undone: the host is back on generation {now or 0}"
    else:
        did = f"finished: the host is on generation {now or 0}"
    return f"{which}{began} was interrupted{where}; {found}, {did}"


def provenance_moved(host: Optional[Provenance], ours: Optional[Dict[str, Any]]) -> bool:
    """Whether this deploy's provenance differs from the one the host recorded last."""
    if ours is None:
        return False
    return (host.to_json() if host is not None else None) != ours


def plan_report(changes: List[Change], answer: ProbeAnswer, same: bool,
                moved: bool) -> Dict[str, Any]:
    """What a dry run reports for one host: the changes, the units that would restart, reload
    and start, the generation the deploy would make (the current one when the host already runs
    the system: its drift is repaired in place), whether only provenance moved, and the
    generation the deploy would confirm (an interrupted deploy left it unconfirmed)."""
    generation = answer.generation if same else max(answer.generations or [0]) + 1
    awaiting = answer.pending.generation if answer.pending is not None and same and \
        answer.pending.generation == answer.generation else None
    return {"changes": changes_shown(changes), "restart": restarts(changes),
            "reload": reloads(changes), "start": starts(changes), "generation": generation,
            "drift": sum(1 for c in changes if c.drift), "system-unchanged": same,
            "provenance-moved": moved, "awaiting-confirmation": awaiting}


def switch_report(name: str, outcome: Dict[str, Any]) -> HostReport:
    """The report of a generation switch (roll-back, switch-generation) from the host's
    answer (a `contract.Outcome`)."""
    report = outcome_report(HostReport(name, SWITCHED, previous=None),
                            Outcome.from_json(outcome))
    if report.result == DEPLOYED:
        report.result = SWITCHED
    return report


def outcome_report(report: HostReport, outcome: Outcome) -> HostReport:
    """Fill a report from what the host's activation answered."""
    if outcome.provenance_moved:
        report.extra["provenance-moved"] = True
    if outcome.result == UNCHANGED:
        report.result = UNCHANGED
        report.generation = outcome.generation
        return report
    if outcome.result == DEPLOYED:
        report.generation = outcome.generation
        report.previous = outcome.previous
        report.changes = list(outcome.changes)
        report.warnings += [f"unit {c['name']} did not start: {c['detail']}"
                            for c in report.changes if c.get("action") == "skipped"]
        return report
    message = f"{outcome.step or 'activation'} failed: {outcome.error}"
    if outcome.rolled_back is None:
        message += (f"\nthe host stays on generation {outcome.generation}, partly repaired; "
                    "there was nothing to roll back to")
    elif outcome.rolled_back:
        generation = outcome.generation
        message += (f"\nrolled back to generation {generation}" if generation
                    else "\nrolled back to the host as it was before lispdeploy")
    else:
        message += f"\nroll-back failed too: {outcome.rollback_error}"
    report.fail(DeployError(message, step=outcome.step or "activation",
                            rolled_back=outcome.rolled_back,
                            hint=None if outcome.rolled_back is not False else
                            "the host may be half-configured: check it, then run "
                            "lispdeploy deploy SPEC --roll-back"))
    report.generation = outcome.generation
    report.changes = list(outcome.rollback_changes)
    report.extra["failed-generation"] = outcome.failed_generation
    return report


__all__ = ["deploy_managed_host", "roll_back_managed_host", "deployer", "call", "agent_program",
           "recovery_message",
           "switch_report", "outcome_report", "probe_request", "plan_report"]
