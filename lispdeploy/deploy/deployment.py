"""The generation commands over a spec's machines, in parallel, each host on its own: deploy
(or dry run), roll back, switch generation, list generations, collect garbage.

Each machine is deployed through the environment protocol (`machine.deploy_machine`): its
environment's own procedure, or the managed-host deploy of the machine its environment
provisions. The other commands run the host's entry points through `machine_remote_eval`, so
they work on any environment that can evaluate on its hosts.

One host's failure never stops or corrupts another's: each host's outcome is its own
`HostReport`. Progress goes to a reporter the ui implements; nothing here prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from lispdeploy.deploy.pool import (DEFAULT_JOBS, HostResult, Interrupted, PoolReporter,
                                   run_on_hosts)
from lispdeploy.deploy.waves import Amount, allowed_failures, plan_waves
from lispdeploy.environments.managed_host.checks import check_declared_groups
from lispdeploy.environments.managed_host.deploy import agent_program, deployer, switch_report
from lispdeploy.errors import DeployError, LispdeployError
from lispdeploy.gexp.program import function_call
from lispdeploy.machine import (DeployOptions, HostContext, Machine, deploy_machine,
                                machine_remote_eval, roll_back_machine)
from lispdeploy.report import FAILED, NOT_TOUCHED, HostReport

DEFAULT_CONFIRM_TIMEOUT = 60.0
BUILT_IN = ("managed-host-environment-type", "container-environment-type",
            "digital-ocean-environment-type")


def host_call(machine: Machine, function: str, *args: Any) -> Any:
    """Run a host entry point (lispdeploy.hostside.entry) on the machine's host, through its
    environment's `machine-remote-eval`."""
    return machine_remote_eval(machine, function_call(f"lispdeploy.hostside.entry.{function}",
                                                      *args))


@dataclass
class Rollout:
    """A deploy's outcome: every selected machine's report (in spec order; those a stopped
    rollout never reached are `not-touched`), the waves by host name, and why the rollout
    stopped early (None if it did not)."""

    reports: List[HostReport]
    waves: List[List[str]] = field(default_factory=list)
    stopped: Optional[str] = None

    @property
    def not_touched(self) -> List[str]:
        """The hosts a stopped rollout did not reach."""
        return [r.host for r in self.reports if r.result == NOT_TOUCHED]

    def to_json(self) -> Dict[str, Any]:
        """The rollout's part of the JSON report."""
        by_host = {r.host: r for r in self.reports}
        return {"waves": [{"wave": n, "hosts": hosts,
                           "failed": [h for h in hosts if by_host[h].result == FAILED],
                           "started": any(by_host[h].result != NOT_TOUCHED for h in hosts)}
                          for n, hosts in enumerate(self.waves, 1)],
                "stopped": self.stopped, "not-touched": self.not_touched}


FINAL_STAGES = ("done", "confirmed")


@dataclass
class HostNext:
    """What happens next on a host after Ctrl-C stopped a deploy: `state` (finished,
    finishing, reverting, untouched) and the sentence saying it."""

    host: str
    state: str
    text: str

    def to_json(self) -> Dict[str, Any]:
        """The host's part of the JSON report."""
        return {"host": self.host, "state": self.state, "next": self.text}


class DeployInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a deploy: for each machine, what happens next (`hosts`), the reports of
    those that had finished, and whether every host had finished (`complete`: then the
    deploy is whole, and its outcome stands)."""

    def __init__(self, hosts: List[HostNext], reports: List[HostReport], complete: bool):
        super().__init__("interrupted")
        self.hosts = hosts
        self.reports = reports
        self.complete = complete

    @classmethod
    def of(cls, machines: Sequence[Machine], earlier: Dict[str, HostReport],
           interruption: Interrupted) -> "DeployInterrupted":
        """From the reports of earlier waves and what the pool saw of the current one."""
        hosts, reports = [], []
        for machine in machines:
            name = machine.display_name
            report = earlier.get(name)
            result = interruption.results.get(name)
            context = interruption.contexts.get(name)
            if report is None and result is not None and result.ok and (
                    context is None or context.stage in FINAL_STAGES
                    or (context.stage == "untouched" and not context.interrupted.is_set())):
                report = _report(result)
            if report is not None:
                reports.append(report)
                hosts.append(HostNext(name, "finished", _finished(report)))
            else:
                reports.append(HostReport(name, NOT_TOUCHED))
                hosts.append(_next(name, context))
        complete = all(h.state == "finished" for h in hosts)
        return cls(hosts, reports, complete)


def _finished(report: HostReport) -> str:
    if report.result == FAILED:
        return "had failed: " + ((report.error or {}).get("message") or "").splitlines()[0]
    if report.result == NOT_TOUCHED:
        return "untouched: its wave had not started"
    if report.extra.get("confirmed"):
        return f"done: on generation {report.generation}, confirmed"
    return f"done: {report.result}" + (f", generation {report.generation}"
                                       if report.generation is not None else "")


def _next(name: str, host: Optional[HostContext]) -> HostNext:
    """What happens on a host whose deploy was cut short, from how far it got."""
    if host is None:
        return HostNext(name, "untouched", "untouched: its deploy had not started")
    detail = host.stage_detail
    previous = detail.get("previous") or 0
    if host.stage == "activating":
        timeout = detail.get("confirm_timeout")
        after = (f"; never confirmed, it goes back to generation {previous} by itself within "
                 f"{timeout:.0f} s of the activation's end" if timeout else
                 "; it keeps the new generation (no confirmation was asked)")
        return HostNext(name, "finishing",
                        "finishing: the host completes the activation by itself (or rolls it "
                        "back if it fails)" + after)
    if host.stage in ("health-checks", "awaiting-confirmation"):
        deadline = detail.get("deadline")
        when = (f" at {time.strftime('%H:%M:%S', time.localtime(deadline))} (its clock)"
                if deadline else " when its confirmation times out")
        return HostNext(name, "reverting",
                        f"reverting: generation {detail.get('generation')} was not confirmed; "
                        f"the host goes back to generation {previous} by itself{when}")
    return HostNext(name, "untouched", "untouched: nothing was activated on it")


class Deployment:
    """The generation commands over the machines of one loaded spec."""

    def __init__(self, spec, *, reporter: PoolReporter, jobs: int = DEFAULT_JOBS,
                 confirm_timeout: Optional[float] = DEFAULT_CONFIRM_TIMEOUT,
                 wait_lock: Optional[float] = None):
        self.spec = spec
        # None: no confirmation (the deploy stands even if it cut the host off).
        self.confirm_timeout = confirm_timeout
        self.spec_path = spec.path if spec is not None else None
        self.reporter = reporter
        self.jobs = jobs
        self.who = deployer()
        self.wait_lock = wait_lock

    def options(self, *, dry_run: bool = False) -> DeployOptions:
        """The options every machine of a deploy shares (made once per deploy)."""
        return DeployOptions(dry_run=dry_run, confirm_timeout=self.confirm_timeout,
                             wait_lock=self.wait_lock,
                             who=self.who, spec_path=self.spec_path,
                             deployment=self.spec.deployment if self.spec is not None else None,
                             spec_text=self.spec.text if self.spec is not None else None)

    # Commands ----------------------------------------------------------------------------

    def deploy(self, machines: Sequence[Machine], *, dry_run: bool = False,
               batch: Optional[Amount] = None, max_fail: Optional[Amount] = None) -> Rollout:
        """Deploy (or with `dry_run`, show what a deploy would change on) every machine, in
        waves (see deploy.waves); a rollout whose failures exceed `max_fail` stops before its
        next wave (a dry run never stops). Mistakes in the spec are reported before any host
        is reached."""
        for machine in machines:
            check_declared_groups(machine.operating_system)
        waves = plan_waves(machines, batch)
        tolerated = allowed_failures(max_fail, len(machines))
        options = self.options(dry_run=dry_run)
        reports: Dict[str, HostReport] = {}
        stopped = None
        for number, wave in enumerate(waves, 1):
            if len(waves) > 1:
                self._announce(number, len(waves), wave)
            try:
                done = self._each(wave, lambda host: deploy_machine(host.machine),
                                  options=options, what="deploy")
            except Interrupted as interruption:
                raise DeployInterrupted.of(machines, reports, interruption) from None
            for report in done:
                reports[report.host] = report
            failed = sum(1 for r in reports.values() if r.result == FAILED)
            if not dry_run and failed > tolerated and number < len(waves):
                stopped = _stop_reason(number, len(waves), failed, max_fail, tolerated,
                                       len(machines))
                break
        for machine in machines:
            reports.setdefault(machine.display_name,
                               HostReport(machine.display_name, NOT_TOUCHED))
        return Rollout([reports[m.display_name] for m in machines],
                       [[m.display_name for m in wave] for wave in waves], stopped)

    def _announce(self, number: int, total: int, wave: Sequence[Machine]) -> None:
        announce = getattr(self.reporter, "wave_started", None)
        if announce is not None:
            announce(number, total, [m.display_name for m in wave])

    def roll_back(self, machines: Sequence[Machine]) -> List[HostReport]:
        """Switch every machine to its previous generation and re-activate it fully."""
        return self._each(machines, lambda host: roll_back_machine(host.machine),
                          what="roll-back")

    def switch_generation(self, machines: Sequence[Machine], number: int) -> List[HostReport]:
        """Switch every machine to generation `number` (0: the host as it was)."""
        def one(host: HostContext) -> HostReport:
            host.phase("switching generation")
            return switch_report(host.name, host_call(host.machine, "switch_generation",
                                                      number, self.who, None, None,
                                                      agent_program()))
        return self._each(machines, one)

    def generations(self, machines: Sequence[Machine]) -> List[HostReport]:
        """Each machine's generations (in the report's `extra["generations"]`)."""
        def one(host: HostContext) -> HostReport:
            host.phase("listing generations")
            listing = host_call(host.machine, "list_generations")
            report = HostReport(host.name, "listed", generation=listing["current"])
            report.extra["generations"] = listing["generations"]
            return report
        return self._each(machines, one)

    def collect_garbage(self, machines: Sequence[Machine], keep: int,
                        dry_run: bool = False) -> List[HostReport]:
        """Delete old generations (keeping the newest `keep` and the current one) and store
        items nothing refers to."""
        def one(host: HostContext) -> HostReport:
            host.phase("collecting garbage")
            report = HostReport(host.name, "collected")
            report.extra["gc"] = host_call(host.machine, "collect_garbage", keep, dry_run)
            return report
        return self._each(machines, one)

    # Per host ----------------------------------------------------------------------------

    def _each(self, machines: Sequence[Machine], work: Callable[[HostContext], HostReport], *,
              options: Optional[DeployOptions] = None, what: str = "") -> List[HostReport]:
        """Run `work` on every machine's host; each host's error is its report."""
        def guarded(host: HostContext) -> HostReport:
            report = _guarded(host)
            report.warnings = host.warnings + report.warnings
            return report

        def _guarded(host: HostContext) -> HostReport:
            try:
                return work(host)
            except LispdeployError as e:
                return HostReport(host.name, FAILED).fail(e)
            except KeyboardInterrupt:
                raise
            except BaseException as e:  # sys.exit in a spec's procedure too
                if host.machine.environment.name in BUILT_IN:
                    raise
                # A procedure of a spec's environment type: its error is the host's result.
                return HostReport(host.name, FAILED).fail(DeployError(
                    f"{host.machine.environment.name}: its procedures failed during the "
                    f"{what or 'command'}: {type(e).__name__}: {e}", host=host.name,
                    location=host.machine.environment.location))

        results = run_on_hosts(machines, guarded, jobs=self.jobs, reporter=self.reporter,
                               options=options if options is not None else self.options())
        return [_report(result) for result in results]


def _stop_reason(number: int, waves: int, failed: int, max_fail: Optional[Amount],
                 tolerated: int, total: int) -> str:
    shown = "0 (the default)" if max_fail is None else str(max_fail)
    if max_fail is not None and max_fail.percent:
        shown += f": {tolerated} of {total}"
    return (f"stopped after wave {number} of {waves}: {failed} host"
            f"{'' if failed == 1 else 's'} failed, more than --max-fail {shown} allows")


def _report(result: HostResult) -> HostReport:
    """A host's report with what the pool measured added."""
    report = result.value if result.ok else HostReport(result.name, FAILED).fail(result.error)
    report.seconds = result.seconds
    report.round_trips += result.round_trips
    report.connections += result.connections
    report.bytes_sent += result.traffic["sent"]
    report.bytes_received += result.traffic["received"]
    report.request_bytes_sent += result.traffic["requests"]
    report.item_bytes_sent += result.traffic["items"]
    return report
