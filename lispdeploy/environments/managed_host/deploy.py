"""Deploying a managed host (Guix's `deploy-managed-host`): build its system on the
controller, probe the host (one round trip: facts and safety checks), refuse what the checks
refuse, send the store items the host lacks with the activation (one round trip, none when
nothing changed), then confirm the new generation over a new connection (or the host goes back
by itself). A dry run stops after the probe and asks the host for the plan.

Everything here works on one host, in the thread's `HostContext`: its connection, its phases,
the deploy's options. Nothing prints; the report says what happened.
"""

from __future__ import annotations

import base64
import getpass
import socket
import time
from typing import Any, Dict, Optional

from lispdeploy.environments.managed_host import checks, health
from lispdeploy.environments.managed_host.configuration import MachineSshConfiguration
from lispdeploy.environments.managed_host.environment import connection, open_transport
from lispdeploy.errors import DeployError, LispdeployError
from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.program import LoweredProgram, function_call
from lispdeploy.machine import DeployOptions, HostContext, Machine, within_host
from lispdeploy.remote.eval import remember_present, remote_eval, run_lowered
from lispdeploy.report import DEPLOYED, DRY_RUN, SWITCHED, UNCHANGED, HostReport
from lispdeploy.system.closure import SystemClosure, build_system

# Time the controller leaves the host between giving up reaching it and its own deadline.
CONFIRM_MARGIN = 5.0
WATCHDOG = "confirmation-watchdog"


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
                             call(transport, host, "roll_back", _options(host).who))
    return within_host(machine, work)


class ManagedDeploy:
    """One managed host's deploy, step by step (see the module docstring)."""

    def __init__(self, machine: Machine, host: HostContext):
        self.machine = machine
        self.config: MachineSshConfiguration = machine.configuration
        self.host = host
        self.options = _options(host)
        self.name = machine.display_name

    def run(self) -> HostReport:
        """Build, probe, check, then plan (dry run) or send and activate, then confirm."""
        self.host.phase("building")
        system = self._build()
        transport = connection(self.machine, self.host)
        watchdog = self._watchdog()
        self.host.phase("probing")
        request = probe_request(system, safety_checks=self.config.safety_checks,
                                container=self.container)
        if watchdog is not None:
            request["items"].append(watchdog.path)
        facts = call(transport, self.host, "probe", request)
        report = HostReport(self.name, DEPLOYED, previous=facts["generation"],
                            system=system.item.path)
        report.warnings = self._checked(system, facts, transport)
        remember_present(transport, set(request["items"]) - set(facts["missing"]),
                         missing=facts["missing"])
        if facts["system"] == system.item.path:
            report.result = UNCHANGED
            report.generation = facts["generation"]
            self.host.set_stage("done", result=UNCHANGED, generation=report.generation)
            return report
        if self.options.dry_run:
            self.host.phase("planning")
            report.result = DRY_RUN
            report.generation = facts["generation"]
            report.plan = call(transport, self.host, "dry_run", system.manifest,
                               _contents(system))
            self.host.set_stage("done", result=DRY_RUN, generation=report.generation)
            return report
        return self._activate(system, facts, transport, watchdog, report)

    @property
    def container(self) -> bool:
        """Whether the host is a container host (it has no block devices to check)."""
        return bool(self.host.build_options.get("container"))

    def _build(self) -> SystemClosure:
        return build_system(self.machine, spec_path=self.options.spec_path,
                            spec_text=self.options.spec_text,
                            listen_address=self.host.build_options.get("listen_address"))

    def _watchdog(self):
        """The confirmation watchdog program (made once per deploy), or None."""
        if self.options.confirm_timeout is None or self.options.dry_run:
            return None
        return self.options.shared(WATCHDOG, lambda: Lowerer().program(
            WATCHDOG, function_call("lispdeploy.hostside.confirmation.watch")))

    def _checked(self, system: SystemClosure, facts: Dict[str, Any], transport) -> list:
        """Raise the first problem the checks find; the warnings."""
        manifest = system.manifest
        problems = checks.locate(checks.probe_problems(
            facts, system=self.config.system, has_packages=bool(manifest["packages"])),
            self.machine.operating_system)
        downgrade = checks.downgrade_problem(facts.get("provenance") or {},
                                             manifest["provenance"],
                                             self.options.spec_path or ".",
                                             self.config.allow_downgrades)
        if downgrade is not None:
            problems.append(downgrade)
        lockout = checks.ssh_lockout_problem(self.machine.operating_system,
                                             getattr(transport, "user", "root"))
        if lockout is not None:
            problems.insert(0, lockout)
        warnings = [p.message for p in checks.raise_first(problems, self.name, "checks")]
        if self.container and (any(fs["mount"] and not fs["pseudo"]
                                   for fs in manifest["file-systems"])
                               or (manifest.get("bootloader") or {}).get("targets")):
            warnings.append("declared file systems and bootloader targets not checked: "
                            "container hosts have no block devices")
        return warnings

    def _activate(self, system: SystemClosure, facts: Dict[str, Any], transport, watchdog,
                  report: HostReport) -> HostReport:
        """Send what the host lacks with the activation program (one round trip)."""
        missing = [i for i in system.items if i.path in set(facts["missing"])]
        self.host.phase(f"sending {len(missing)} items, activating" if missing
                        else "activating")
        extra = [system.item]
        confirm = None
        if watchdog is not None:
            extra.append(watchdog)
            confirm = {"watchdog": watchdog.path, "timeout": self._confirm_timeout()}
        lowered = Lowerer().lower_program("activate", function_call(
            "lispdeploy.hostside.entry.activate", system.item.path, self.options.who, confirm))
        self.host.set_stage("activating", previous=facts["generation"],
                            confirm_timeout=confirm["timeout"] if confirm else None)
        outcome = run_lowered(transport, LoweredProgram(
            lowered.name, lowered.text, list(lowered.items) + extra), on_stderr=self.host.output)
        activated = time.monotonic()
        report.items_sent = len(missing)
        report.bytes_sent = sum(i.size for i in missing)
        report = outcome_report(report, outcome)
        if report.result != DEPLOYED:
            self.host.set_stage("done", result=report.result, generation=report.generation)
            return report
        armed = outcome.get("confirmation") or {}
        if self.machine.health_checks and not self._healthy(report, transport, armed):
            self.host.set_stage("done", result=report.result, generation=report.generation)
            return report
        if confirm is None or "error" in armed:
            if "error" in armed:
                report.warnings.append("the new generation is not guarded against cutting the "
                                       f"host off: {armed['error']}")
            self.host.set_stage("done", result=report.result, generation=report.generation)
            return report
        self.host.set_stage("awaiting-confirmation", generation=report.generation,
                            previous=report.previous, deadline=armed.get("deadline"))
        self._confirm(report, activated)
        return report

    def _confirm_timeout(self) -> float:
        """How long the host waits for its confirmation: the deploy's timeout, plus the
        longest the machine's health checks may take (they run before it is confirmed)."""
        return (self.options.confirm_timeout or 0.0) + health.budget(self.machine.health_checks)

    def _healthy(self, report: HostReport, transport, armed: Dict[str, Any]) -> bool:
        """Run the machine's health checks; when one fails, switch the host back to the
        previous generation and fail the report with what the check saw."""
        checks_ = self.machine.health_checks
        self.host.set_stage("health-checks", generation=report.generation,
                            previous=report.previous, deadline=armed.get("deadline"))
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
                                                 previous, self.options.who))
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
                           if armed.get("deadline") else ""))
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
                answer = call(transport, self.host, "confirm", report.generation)
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
        report.fail(DeployError(
            f"cannot reach the host again after activating generation {report.generation} "
            f"({reason}); it goes back to generation {previous} by itself within "
            f"{timeout:.0f} s of the activation",
            host=self.name, step="confirm", rolled_back=True,
            hint="the new generation cut the host off (sshd settings, firewall, accounts?); "
                 "fix the spec and deploy again"))
        report.extra["confirmed"] = False


def probe_request(system: SystemClosure, *, safety_checks: bool,
                  container: bool) -> Dict[str, Any]:
    """What the probe asks the host: which items it lacks, and the safety checks."""
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


def switch_report(name: str, outcome: Dict[str, Any]) -> HostReport:
    """The report of a generation switch (roll-back, switch-generation) from the host's
    answer."""
    report = outcome_report(HostReport(name, SWITCHED, previous=None), outcome)
    if report.result == DEPLOYED:
        report.result = SWITCHED
    return report


def outcome_report(report: HostReport, outcome: Dict[str, Any]) -> HostReport:
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


__all__ = ["deploy_managed_host", "roll_back_managed_host", "deployer", "call",
           "switch_report", "outcome_report", "probe_request"]
