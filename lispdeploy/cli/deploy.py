"""`lispdeploy deploy SPEC`: deploy every machine of a spec, in parallel; `--dry-run` shows
what would change, `--roll-back` goes back one generation, and `-x -- COMMAND [ARGS...]` runs a
command on every machine with each host's output streamed line by line, prefixed with its
host name."""

from __future__ import annotations

from typing import Sequence

import click

from lispdeploy.cli import cli, load, load_path_option
from lispdeploy.cli.hosts import host_options, report_failures, run_on_machines, select
from lispdeploy.errors import UsageError


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("command", nargs=-1)
@click.option("-n", "--dry-run", is_flag=True,
              help="Probe the hosts and show what would change (diffs, accounts, packages, "
                   "units, restarts); change nothing.")
@click.option("-r", "--roll-back", "roll_back", is_flag=True,
              help="Switch every machine to its previous generation and re-activate it.")
@click.option("-x", "--execute", "execute", is_flag=True,
              help="Run COMMAND (after --) on every machine instead of deploying.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.option("--confirm-timeout", type=click.FloatRange(10), default=60, show_default=True,
              metavar="SECONDS",
              help="After activating, reach each host again over a new connection within this "
                   "time, or the host goes back to its previous generation by itself.")
@click.option("--no-confirm", is_flag=True,
              help="Do not guard deploys: a generation that cuts a host off stays.")
@host_options
@load_path_option
def deploy(spec, command, dry_run, roll_back, execute, as_json, confirm_timeout, no_confirm,
           on, jobs, verbose, load_path):
    """Deploy the machines SPEC declares: build each system, send each host what it lacks,
    activate a new generation (rolled back on any failure). Exits with status 1 if any host
    failed.

    \b
    Examples:
      lispdeploy deploy deploy.hy
      lispdeploy deploy deploy.hy --dry-run --on 'web-*'
      lispdeploy deploy deploy.hy --roll-back
      lispdeploy deploy deploy.hy -x -- systemctl restart nginx
    """
    if sum(map(bool, (dry_run, roll_back, execute))) > 1:
        raise UsageError("--dry-run, --roll-back and -x cannot be combined")
    if execute:
        execute_command(spec, command, on=on, jobs=jobs, verbose=verbose, load_path=load_path)
        return
    if command:
        raise UsageError("'--' was used, but -x was not given",
                         hint="lispdeploy deploy SPEC -x -- COMMAND [ARGS...]")
    loaded = load(spec, load_path)
    machines = select(loaded.machines, on)
    deployment, progress = _deployment(loaded, machines, jobs=jobs, verbose=verbose,
                                       confirm_timeout=None if no_confirm else confirm_timeout)
    if roll_back:
        reports = deployment.roll_back(machines)
        what = "roll-back"
    else:
        reports = deployment.deploy(machines, dry_run=dry_run)
        what = "dry run" if dry_run else "deploy"
    finish(reports, what, as_json=as_json, dry_run=dry_run)


def _deployment(loaded, machines, *, jobs: int, verbose: bool, confirm_timeout=None):
    from lispdeploy.deploy.deployment import Deployment
    from lispdeploy.ui.deploy import DeployProgress
    progress = DeployProgress([m.display_name for m in machines], verbose=verbose)
    return Deployment(loaded, reporter=progress, jobs=jobs,
                      confirm_timeout=confirm_timeout), progress


def finish(reports, what: str, *, as_json: bool, dry_run: bool = False,
           listing: bool = False, quiet: bool = False) -> None:
    """Print the reports (table, diff, listing, or JSON; `quiet`: only warnings and errors);
    exit status 1 if a host failed."""
    import json
    from lispdeploy.errors import LispdeployError
    from lispdeploy.ui import deploy as show
    failed = [r for r in reports if not r.ok]
    if as_json:
        click.echo(json.dumps({"hosts": [r.to_json() for r in reports],
                               "failed": [r.host for r in failed]}, indent=2))
    else:
        text = show.warnings(reports)
        if text:
            click.echo(text, err=True)
        if dry_run:
            click.echo(show.dry_run(reports))
        elif listing:
            click.echo(show.generation_listing(reports))
        elif not quiet:
            click.echo(show.table(reports))
        text = show.failures(reports)
        if text:
            click.echo(text, err=True)
    if failed:
        raise LispdeployError(show.summary(reports, what))


def execute_command(spec: str, command: Sequence[str], *, on: Sequence[str], jobs: int,
                    verbose: bool, load_path: Sequence[str]) -> None:
    """`deploy -x`: run `command` on the selected machines, output prefixed by host name."""
    if not command:
        raise UsageError("-x needs a command to run", hint="lispdeploy deploy SPEC -x -- CMD ARGS")
    loaded = load(spec, load_path)
    machines = select(loaded.machines, on)
    from lispdeploy.deploy.command import describe_status, run_command
    from lispdeploy.errors import HostError

    def work(host):
        status = run_command(host.machine, command)
        if status != 0:
            raise HostError(f"{command[0]} failed with {describe_status(status)}",
                            host=host.name)
        return status

    results = run_on_machines(machines, work, jobs=jobs, verbose=verbose, show_output=True,
                              output_to_stdout=True)
    report_failures(results, "deploy -x", verbose=verbose)
