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

from typing import Any, Callable, List, Optional, Sequence

from lispdeploy.deploy.pool import DEFAULT_JOBS, HostResult, PoolReporter, run_on_hosts
from lispdeploy.environments.managed_host.checks import check_declared_groups
from lispdeploy.environments.managed_host.deploy import deployer, switch_report
from lispdeploy.errors import DeployError, LispdeployError
from lispdeploy.gexp.program import function_call
from lispdeploy.machine import (DeployOptions, HostContext, Machine, deploy_machine,
                                machine_remote_eval, roll_back_machine)
from lispdeploy.report import FAILED, HostReport

DEFAULT_CONFIRM_TIMEOUT = 60.0
BUILT_IN = ("managed-host-environment-type", "container-environment-type",
            "digital-ocean-environment-type")


def host_call(machine: Machine, function: str, *args: Any) -> Any:
    """Run a host entry point (lispdeploy.hostside.entry) on the machine's host, through its
    environment's `machine-remote-eval`."""
    return machine_remote_eval(machine, function_call(f"lispdeploy.hostside.entry.{function}",
                                                      *args))


class Deployment:
    """The generation commands over the machines of one loaded spec."""

    def __init__(self, spec, *, reporter: PoolReporter, jobs: int = DEFAULT_JOBS,
                 confirm_timeout: Optional[float] = DEFAULT_CONFIRM_TIMEOUT):
        self.spec = spec
        # None: no confirmation (the deploy stands even if it cut the host off).
        self.confirm_timeout = confirm_timeout
        self.spec_path = spec.path if spec is not None else None
        self.reporter = reporter
        self.jobs = jobs
        self.who = deployer()

    def options(self, *, dry_run: bool = False) -> DeployOptions:
        """The options every machine of a deploy shares (made once per deploy)."""
        return DeployOptions(dry_run=dry_run, confirm_timeout=self.confirm_timeout,
                             who=self.who, spec_path=self.spec_path,
                             spec_text=self.spec.text if self.spec is not None else None)

    # Commands ----------------------------------------------------------------------------

    def deploy(self, machines: Sequence[Machine], *, dry_run: bool = False) -> List[HostReport]:
        """Deploy (or with `dry_run`, show what a deploy would change on) every machine.
        Mistakes in the spec are reported before any host is reached."""
        for machine in machines:
            check_declared_groups(machine.operating_system)
        return self._each(machines, lambda host: deploy_machine(host.machine),
                          options=self.options(dry_run=dry_run), what="deploy")

    def roll_back(self, machines: Sequence[Machine]) -> List[HostReport]:
        """Switch every machine to its previous generation and re-activate it fully."""
        return self._each(machines, lambda host: roll_back_machine(host.machine),
                          what="roll-back")

    def switch_generation(self, machines: Sequence[Machine], number: int) -> List[HostReport]:
        """Switch every machine to generation `number` (0: the host as it was)."""
        def one(host: HostContext) -> HostReport:
            host.phase("switching generation")
            return switch_report(host.name, host_call(host.machine, "switch_generation",
                                                      number, self.who))
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


def _report(result: HostResult) -> HostReport:
    """A host's report with what the pool measured added."""
    report = result.value if result.ok else HostReport(result.name, FAILED).fail(result.error)
    report.seconds = result.seconds
    report.round_trips += result.round_trips
    report.connections += result.connections
    return report
