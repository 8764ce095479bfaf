"""Deploying a spec's machines, in parallel, each on its own: build its system on the
controller, probe the host (one round trip: facts and safety checks), refuse what the checks
refuse, send the store items the host lacks (one round trip, none when nothing changed), and
activate a new generation (one round trip; the host rolls itself back if activation fails).
Also the other generation commands: dry run, roll-back, switch, list, garbage collection.

One host's failure never stops or corrupts another's deploy: each host's outcome is its own
`HostReport`. Progress goes to a reporter the ui implements; nothing here prints.
Imports the deploy, remote, gexp, system and environment layers.
"""

from __future__ import annotations

import base64
import getpass
import socket
import time
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence

from lispdeploy.deploy import checks, hosts
from lispdeploy.deploy.pool import DEFAULT_JOBS, HostRun, PoolReporter, run_on_hosts
from lispdeploy.deploy.report import (DEPLOYED, DRY_RUN, FAILED, SWITCHED, UNCHANGED,
                                      HostReport)
from lispdeploy.errors import DeployError, LispdeployError
from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.program import LoweredProgram, function_call
from lispdeploy.environments.ssh_configuration import MachineSshConfiguration
from lispdeploy.machine import Machine
from lispdeploy.remote.eval import remember_present, remote_eval, run_lowered
from lispdeploy.system.closure import SystemClosure, build_system


DEFAULT_CONFIRM_TIMEOUT = 60.0
# Time the controller leaves the host between giving up reaching it and its own deadline.
CONFIRM_MARGIN = 5.0


class DeployReporter(PoolReporter, Protocol):
    """A pool reporter that also hears which phase each host is in."""

    def host_phase(self, name: str, phase: str) -> None:
        """Host `name` entered `phase` (building, probing, sending N items, activating...)."""


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"lispdeploy deploy by {user}@{socket.gethostname()}"


def _call(run: HostRun, function: str, *args: Any) -> Any:
    """Run a host entry point (lispdeploy.hostside.entry) in one round trip; what the host
    prints goes to the reporter (shown with -v)."""
    return remote_eval(run.transport, function_call(f"lispdeploy.hostside.entry.{function}", *args),
                       on_stderr=run.output)


class Deployment:
    """The generation commands over the machines of one loaded spec."""

    def __init__(self, spec, *, reporter: DeployReporter, jobs: int = DEFAULT_JOBS,
                 connect: Callable[[Machine], Any] = hosts.connect,
                 confirm_timeout: Optional[float] = DEFAULT_CONFIRM_TIMEOUT):
        self.spec = spec
        # None: no confirmation (the deploy stands even if it cut the host off).
        self.confirm_timeout = confirm_timeout
        self.spec_path = spec.path if spec is not None else None
        self.reporter = reporter
        self.jobs = jobs
        self.connect = connect
        self.who = _who()

    # Commands ----------------------------------------------------------------------------

    def deploy(self, machines: Sequence[Machine], *, dry_run: bool = False) -> List[HostReport]:
        """Deploy (or with `dry_run`, show what a deploy would change on) every machine.
        Mistakes in the spec are reported before any host is reached. A machine whose
        environment type has its own `deploy-machine` (and no `delegate`) is deployed by it."""
        for machine in machines:
            checks.check_declared_groups(machine.operating_system)
        own = [m for m in machines if _own_procedure(m, "deploy_machine")]
        if own and dry_run:
            raise DeployError(f"{own[0].environment.name} deploys with its own procedure, which "
                              "has no dry run", host=own[0].display_name)
        reports = self._each([m for m in machines if m not in own],
                             lambda run: self._deploy_one(run, dry_run), provision=not dry_run)
        return _in_order(machines, reports + [self._own(m, "deploy_machine") for m in own])

    def roll_back(self, machines: Sequence[Machine]) -> List[HostReport]:
        """Switch every machine to its previous generation and re-activate it fully."""
        own = [m for m in machines if _own_procedure(m, "roll_back_machine")]
        reports = self._each([m for m in machines if m not in own],
                             lambda run: self._switch_one(run, "roll_back", self.who))
        return _in_order(machines, reports + [self._own(m, "roll_back_machine") for m in own])

    def _own(self, machine: Machine, hook: str) -> HostReport:
        """Run an environment type's own deploy or roll-back procedure (user-defined types);
        it returns a report (e.g. what `deploy-machine` of a delegate gave) or raises."""
        self.reporter.host_phase(machine.display_name, hook.replace("_", "-"))
        try:
            value = getattr(machine.environment, hook)(machine)
        except LispdeployError as e:
            return HostReport(machine.display_name, FAILED).fail(e)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # a user's procedure (sys.exit too): the host's result
            return HostReport(machine.display_name, FAILED).fail(DeployError(
                f"{machine.environment.name}: its {hook.replace('_', '-')} procedure failed: "
                f"{type(e).__name__}: {e}", host=machine.display_name,
                location=machine.environment.location))
        if isinstance(value, HostReport):
            value.host = machine.display_name
            return value
        return HostReport(machine.display_name, DEPLOYED)

    def switch_generation(self, machines: Sequence[Machine], number: int) -> List[HostReport]:
        """Switch every machine to generation `number` (0: the host as it was)."""
        return self._each(machines, lambda run: self._switch_one(
            run, "switch_generation", number, self.who))

    def generations(self, machines: Sequence[Machine]) -> List[HostReport]:
        """Each machine's generations (in the report's `extra["generations"]`)."""
        def one(run: HostRun) -> HostReport:
            self.reporter.host_phase(run.name, "listing generations")
            listing = _call(run, "list_generations")
            report = HostReport(run.name, "listed", generation=listing["current"])
            report.extra["generations"] = listing["generations"]
            return report
        return self._each(machines, one)

    def collect_garbage(self, machines: Sequence[Machine], keep: int,
                        dry_run: bool = False) -> List[HostReport]:
        """Delete old generations (keeping the newest `keep` and the current one) and store
        items nothing refers to."""
        def one(run: HostRun) -> HostReport:
            self.reporter.host_phase(run.name, "collecting garbage")
            outcome = _call(run, "collect_garbage", keep, dry_run)
            report = HostReport(run.name, "collected")
            report.extra["gc"] = outcome
            return report
        return self._each(machines, one)

    # Per host ----------------------------------------------------------------------------

    def _each(self, machines: Sequence[Machine], work: Callable[[HostRun], HostReport],
              provision: bool = False) -> List[HostReport]:
        """Run `work` on every machine's host; only deploys `provision` missing hosts."""
        def guarded(run: HostRun) -> HostReport:
            try:
                return work(run)
            except LispdeployError as e:
                return HostReport(run.name, FAILED).fail(e)

        results = run_on_hosts(machines, guarded,
                               connect=lambda m: self._connect(m, provision), jobs=self.jobs,
                               reporter=self.reporter)
        reports = []
        for result in results:
            report = result.value if result.ok else HostReport(result.name, FAILED).fail(
                result.error)
            report.seconds = result.seconds
            # Added to what the work counted itself (the confirmation's own connection).
            report.round_trips += result.round_trips
            report.connections += result.connections
            reports.append(report)
        return reports

    def _connect(self, machine: Machine, provision: bool = False):
        # What provisioning waits for (a droplet being created) shows as the host's phase.
        return self.connect(machine, provision=provision,
                            progress=lambda text: self.reporter.host_phase(
                                machine.display_name, text))

    def _build(self, machine: Machine):
        """The machine's system, and the options its environment built it with."""
        hook = machine.environment.build_options
        options = hook(machine) if hook is not None else {}
        system = build_system(machine, spec_path=self.spec_path,
                              spec_text=self.spec.text if self.spec is not None else None,
                              listen_address=options.get("listen_address"))
        return system, options

    def _deploy_one(self, run: HostRun, dry_run: bool) -> HostReport:
        machine = run.machine
        config = machine.configuration
        phase = lambda text: self.reporter.host_phase(run.name, text)  # noqa: E731
        phase("building")
        system, options = self._build(machine)
        manifest = system.manifest
        container = bool(options.get("container"))
        lowerer = Lowerer()
        watchdog = None if self.confirm_timeout is None or dry_run else lowerer.program(
            "confirmation-watchdog", function_call("lispdeploy.hostside.confirmation.watch"))
        phase("probing")
        request = _probe_request(system, safety_checks=getattr(config, "safety_checks", True),
                                 container=container)
        if watchdog is not None:
            request["items"].append(watchdog.path)
        facts = _call(run, "probe", request)
        report = HostReport(run.name, DEPLOYED, previous=facts["generation"],
                            system=system.item.path)
        problems = checks.locate(checks.probe_problems(
            facts, system=getattr(config, "system", "x86_64-linux"),
            has_packages=bool(manifest["packages"])), machine.operating_system)
        downgrade = checks.downgrade_problem(facts.get("provenance") or {},
                                             manifest["provenance"], self.spec_path or ".",
                                             getattr(config, "allow_downgrades", False))
        if downgrade is not None:
            problems.append(downgrade)
        lockout = checks.ssh_lockout_problem(machine.operating_system,
                                             getattr(run.transport, "user", "root"))
        if lockout is not None:
            problems.insert(0, lockout)
        report.warnings = [p.message for p in checks.raise_first(problems, run.name, "checks")]
        if container and (any(fs["mount"] and not fs["pseudo"]
                              for fs in manifest["file-systems"])
                          or (manifest.get("bootloader") or {}).get("targets")):
            report.warnings.append("declared file systems and bootloader targets not checked: "
                                   "container hosts have no block devices")
        remember_present(run.transport, set(request["items"]) - set(facts["missing"]),
                         missing=facts["missing"])
        if facts["system"] == system.item.path:
            report.result = UNCHANGED
            report.generation = facts["generation"]
            return report
        if dry_run:
            phase("planning")
            report.result = DRY_RUN
            report.generation = facts["generation"]
            report.plan = _call(run, "dry_run", manifest, _contents(system))
            return report
        missing = [i for i in system.items if i.path in set(facts["missing"])]
        phase(f"sending {len(missing)} items, activating" if missing else "activating")
        extra = [system.item]
        confirm = None
        if watchdog is not None:
            extra.append(watchdog)
            confirm = {"watchdog": watchdog.path, "timeout": self.confirm_timeout}
        # The missing items travel with the activation program: one round trip for both.
        lowered = lowerer.lower_program("activate", function_call(
            "lispdeploy.hostside.entry.activate", system.item.path, self.who, confirm))
        outcome = run_lowered(run.transport, LoweredProgram(
            lowered.name, lowered.text, list(lowered.items) + extra), on_stderr=run.output)
        report.items_sent = len(missing)
        report.bytes_sent = sum(i.size for i in missing)
        report = _outcome(report, outcome)
        if report.result == DEPLOYED and confirm is not None:
            self._confirm(run, report, outcome.get("confirmation") or {})
        return report

    def _confirm(self, run: HostRun, report: HostReport, armed: Dict[str, Any]) -> None:
        """Reach the host again over a new connection and confirm the new generation; when
        that is impossible, the host goes back to the previous generation by itself."""
        if "error" in armed:
            report.warnings.append("the new generation is not guarded against cutting the host "
                                   f"off: {armed['error']}")
            return
        self.reporter.host_phase(run.name, "confirming over a new connection")
        deadline = time.monotonic() + max(1.0, self.confirm_timeout - CONFIRM_MARGIN)
        last: Optional[BaseException] = None
        while time.monotonic() < deadline:
            try:
                transport = self.connect(run.machine)
            except LispdeployError as e:
                last = e
                time.sleep(1.0)
                continue
            try:
                answer = _call(HostRun(run.machine, transport, run.output), "confirm",
                               report.generation)
            finally:
                report.connections += 1
                report.round_trips += getattr(transport, "round_trips", 0)
                transport.close()
            if answer.get("confirmed"):
                report.extra["confirmed"] = True
                return
            last = DeployError(f"the host had already gone back to generation "
                               f"{answer.get('current') or 0}")
            break
        previous = report.previous or 0
        reason = last.message if isinstance(last, LispdeployError) else str(last)
        report.fail(DeployError(
            f"cannot reach the host again after activating generation {report.generation} "
            f"({reason}); it goes back to generation {previous} by itself within "
            f"{self.confirm_timeout:.0f} s of the activation",
            host=run.name, step="confirm", rolled_back=True,
            hint="the new generation cut the host off (sshd settings, firewall, accounts?); "
                 "fix the spec and deploy again"))
        report.extra["confirmed"] = False

    def _switch_one(self, run: HostRun, function: str, *args: Any) -> HostReport:
        self.reporter.host_phase(run.name, "switching generation")
        outcome = _call(run, function, *args)
        report = HostReport(run.name, SWITCHED, previous=None)
        report = _outcome(report, outcome)
        if report.result == DEPLOYED:
            report.result = SWITCHED
        return report


def _own_procedure(machine: Machine, hook: str) -> bool:
    env = machine.environment
    return getattr(env, hook) is not None and env.delegate is None and \
        env.configuration_type is not MachineSshConfiguration


def _in_order(machines: Sequence[Machine], reports: List[HostReport]) -> List[HostReport]:
    by_host = {r.host: r for r in reports}
    return [by_host[m.display_name] for m in machines]


def deploy_machine(machine: Machine, *, roll_back: bool = False) -> HostReport:
    """`(deploy-machine machine)` / `(roll-back-machine machine)` from a spec or Python: deploy
    one machine (its spec's provenance unknown) and return its report; raise on failure."""
    deployment = Deployment(None, reporter=_QuietReporter(), jobs=1)
    reports = deployment.roll_back([machine]) if roll_back else deployment.deploy([machine])
    report = reports[0]
    if not report.ok:
        error = report.error or {}
        raise DeployError(error.get("message", "failed"), host=report.host,
                          step=error.get("step", ""), hint=error.get("hint"),
                          rolled_back=report.rolled_back)
    return report


class _QuietReporter:
    def host_started(self, name: str) -> None:
        pass

    def host_output(self, name: str, data: bytes) -> None:
        pass

    def host_finished(self, result) -> None:
        pass

    def host_phase(self, name: str, phase: str) -> None:
        pass


def _probe_request(system: SystemClosure, *, safety_checks: bool,
                   container: bool) -> Dict[str, Any]:
    manifest = system.manifest
    devices = safety_checks and not container
    contents = {i.path: i for i in system.items}
    return {
        "items": [system.item.path] + list(manifest["items"]),
        "file-systems": [fs for fs in manifest["file-systems"]
                         if devices and fs["mount"] and not fs["pseudo"]],
        "bootloader-targets": list((manifest.get("bootloader") or {}).get("targets", ()))
        if devices else [],
        "timezone": manifest["timezone"],
        "locale": manifest["locale"],
        "validations": [{"path": e["path"], "argv": e["validate"],
                         "content": contents[e["item"]].content}
                        for e in manifest["etc"] if e.get("validate")],
    }


def _contents(system: SystemClosure) -> Dict[str, str]:
    """Base64 contents of the files a dry run compares (the items are not on the host)."""
    wanted = {e["item"] for e in system.manifest["etc"]}
    wanted |= {u["item"] for u in system.manifest["units"] if u.get("item")}
    return {i.path: base64.b64encode(i.content).decode()
            for i in system.items if i.path in wanted and i.content is not None}


def _outcome(report: HostReport, outcome: Dict[str, Any]) -> HostReport:
    """Fill a report from what the host's activation answered."""
    if outcome["result"] == "unchanged":
        report.result = UNCHANGED
        report.generation = outcome.get("generation")
        return report
    if outcome["result"] == "deployed":
        report.generation = outcome.get("generation")
        report.previous = outcome.get("previous", report.previous)
        report.changes = outcome.get("changes", [])
        report.warnings += [f"unit {c['name']} did not start: {c['detail']}"
                            for c in report.changes if c.get("action") == "skipped"]
        return report
    rolled_back = bool(outcome.get("rolled-back"))
    message = f"{outcome.get('step', 'activation')} failed: {outcome.get('error')}"
    if rolled_back:
        generation = outcome.get("generation")
        message += (f"\nrolled back to generation {generation}" if generation
                    else "\nrolled back to the host as it was before lispdeploy")
    else:
        message += f"\nroll-back failed too: {outcome.get('rollback-error')}"
    report.fail(DeployError(message, step=outcome.get("step", "activation"),
                            rolled_back=rolled_back,
                            hint=None if rolled_back else
                            "the host may be half-configured: check it, then run "
                            "lispdeploy deploy SPEC --roll-back"))
    report.generation = outcome.get("generation")
    report.changes = outcome.get("rollback-changes", [])
    report.extra["failed-generation"] = outcome.get("failed-generation")
    return report
