"""`lispdeploy deploy SPEC`: deploy every machine of a spec, in parallel; `--dry-run` shows
what would change, `--roll-back` goes back one generation, and `-x -- COMMAND [ARGS...]` runs a
command on every machine with each host's output streamed line by line, prefixed with its
host name."""

from __future__ import annotations

from typing import Optional, Sequence

import click

from lispdeploy.cli import RAW_ARGS, cli, expression_option, load, load_path_option
from lispdeploy.cli.hosts import host_options, report_failures, run_on_machines, select
from lispdeploy.errors import UsageError

# `deploy --dry-run --exit-code`, as `terraform plan -detailed-exitcode`: 0 nothing would
# change, 1 an error (a wrong command line too), 2 changes are pending.
EXIT_CHANGES_PENDING = 2


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False), required=False)
@click.argument("command", nargs=-1)
@click.option("-n", "--dry-run", is_flag=True,
              help="Probe the hosts and show what would change (diffs, accounts, packages, "
                   "units, restarts); change nothing.")
@click.option("-r", "--roll-back", "roll_back", is_flag=True,
              help="Switch every machine to its previous generation and re-activate it.")
@click.option("-x", "--execute", "execute", is_flag=True,
              help="Run COMMAND (after --) on every machine instead of deploying.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.option("--exit-code", "exit_code", is_flag=True,
              help="With --dry-run: exit with status 0 when nothing would change, 2 when "
                   "changes are pending (drift included), 1 on any error.")
@click.option("--confirm-timeout", type=click.FloatRange(10), default=60, show_default=True,
              metavar="SECONDS",
              help="After activating, reach each host again over a new connection within this "
                   "time, or the host goes back to its previous generation by itself.")
@click.option("--no-confirm", is_flag=True,
              help="Do not guard deploys: a generation that cuts a host off stays.")
@click.option("--batch", metavar="N|P%",
              help="Deploy in waves of N hosts (or P% of them), one wave after the other.")
@click.option("--max-fail", "max_fail", metavar="N|P%",
              help="With waves: go on to the next wave while at most N hosts (or P%) have "
                   "failed [default: 0].")
@click.option("--prune", is_flag=True,
              help="After a deploy where every host succeeded, delete the hosts the spec's "
                   "deployment created and no longer declares (listed, and asked first).")
@click.option("-y", "--yes", is_flag=True, help="With --prune: delete without asking.")
@click.option("--wait-lock", "wait_lock", type=click.FloatRange(0), metavar="SECONDS",
              help="Wait up to SECONDS for a host another deploy is changing (default: fail at "
                   "once, naming it).")
@host_options
@expression_option
@load_path_option
def deploy(spec, command, dry_run, roll_back, execute, as_json, exit_code, confirm_timeout,
           no_confirm, batch, max_fail, prune, yes, wait_lock, on, jobs, verbose, expression,
           load_path):
    """Deploy the machines SPEC declares: build each system, send each host what it lacks,
    activate a new generation (rolled back on any failure). Exits with status 1 if any host
    failed.

    \b
    Examples:
      lispdeploy deploy deploy.hy
      lispdeploy deploy deploy.hy --dry-run --on 'web-*'
      lispdeploy deploy deploy.hy --dry-run --exit-code   # in CI: 2 when changes are pending
      lispdeploy deploy deploy.hy --on @web --batch 25% --max-fail 1
      lispdeploy deploy deploy.hy --roll-back
      lispdeploy deploy deploy.hy -x -- systemctl restart nginx
    """
    if sum(map(bool, (dry_run, roll_back, execute))) > 1:
        raise UsageError("--dry-run, --roll-back and -x cannot be combined")
    if exit_code and not dry_run:
        raise UsageError("--exit-code goes with --dry-run",
                         hint="lispdeploy deploy SPEC --dry-run --exit-code")
    if command and "--" not in RAW_ARGS:
        raise UsageError(f"deploy takes one deployment file, but also got "
                         f"{' '.join(repr(c) for c in command)}",
                         hint="deploy the files one after the other, or give -x -- COMMAND to "
                              "run a command on the machines")
    if (batch or max_fail or prune) and (roll_back or execute):
        raise UsageError("--batch, --max-fail and --prune are for deploys, not --roll-back "
                         "or -x")
    if yes and not prune:
        raise UsageError("--yes answers --prune's question; it was given without --prune")
    from lispdeploy.deploy.waves import Amount
    batch_size = Amount.parse(batch, "--batch", minimum=1) if batch else None
    failures = Amount.parse(max_fail, "--max-fail", minimum=0) if max_fail else None
    if execute:
        execute_command(spec, command, on=on, jobs=jobs, verbose=verbose, load_path=load_path,
                        as_json=as_json, expression=expression)
        return
    if command:
        raise UsageError("'--' was used, but -x was not given",
                         hint="lispdeploy deploy SPEC -x -- COMMAND [ARGS...]")
    from lispdeploy.remote.warm import import_ssh_in_background
    import_ssh_in_background()
    loaded = deployable(load(spec, load_path, expression))
    machines = select(loaded.machines, on)
    deployment, progress = _deployment(loaded, machines, jobs=jobs, verbose=verbose,
                                       confirm_timeout=None if no_confirm else confirm_timeout,
                                       wait_lock=wait_lock)
    if roll_back:
        finish(deployment.roll_back(machines), "roll-back", as_json=as_json)
        return
    from lispdeploy.deploy.deployment import DeployInterrupted
    what = "dry run" if dry_run else "deploy"
    try:
        rollout = deployment.deploy(machines, dry_run=dry_run, batch=batch_size,
                                    max_fail=failures)
    except DeployInterrupted as stopped:
        _deploy_interrupted(stopped, what, as_json=as_json, dry_run=dry_run)
        return
    ok = all(r.ok for r in rollout.reports) and not rollout.stopped
    extra = {}
    if prune and not ok:
        click.echo("not pruning: not every host succeeded", err=True)
    elif prune and as_json:
        from lispdeploy.cli.destroy import prune_spec
        extra["pruned"] = prune_spec(loaded, yes=yes, dry_run=dry_run, as_json=True,
                                     embedded=True)
    finish(rollout.reports, what, as_json=as_json, dry_run=dry_run, rollout=rollout,
           extra=extra)
    if prune and ok and not as_json:
        from lispdeploy.cli.destroy import prune_spec
        prune_spec(loaded, yes=yes, dry_run=dry_run, as_json=False)
    if exit_code and any(r.plan is not None and (r.plan.get("changes") or r.plan.get(
            "awaiting-confirmation") is not None) for r in rollout.reports):
        click.get_current_context().exit(EXIT_CHANGES_PENDING)


def _deploy_interrupted(stopped, what: str, *, as_json: bool, dry_run: bool) -> None:
    """Ctrl-C stopped a deploy: when every host had finished, the deploy stands (its report,
    its exit status); else say what happens next on each host, and exit with status 130."""
    import json
    from lispdeploy.ui import deploy as show
    if stopped.complete:
        click.echo("interrupted after every host had finished: the deploy is complete",
                   err=True)
        finish(stopped.reports, what, as_json=as_json, dry_run=dry_run)
        return
    if as_json:
        click.echo(json.dumps({"hosts": [r.to_json() for r in stopped.reports],
                               "interrupted": [h.to_json() for h in stopped.hosts]}, indent=2))
    click.echo(show.interrupted(stopped), err=True)
    stopped.reported = True
    raise stopped


def _deployment(loaded, machines, *, jobs: int, verbose: bool, confirm_timeout=None,
                wait_lock=None):
    from lispdeploy.deploy.deployment import Deployment
    from lispdeploy.ui.deploy import DeployProgress
    progress = DeployProgress([m.display_name for m in machines], verbose=verbose)
    return Deployment(loaded, reporter=progress, jobs=jobs, confirm_timeout=confirm_timeout,
                      wait_lock=wait_lock), progress


def finish(reports, what: str, *, as_json: bool, dry_run: bool = False,
           listing: bool = False, quiet: bool = False, rollout=None, extra=None) -> None:
    """Print the reports (table, diff, listing, or JSON; `quiet`: only warnings and errors),
    and for a deploy its waves; exit status 1 if a host failed."""
    import json
    from lispdeploy.errors import LispdeployError
    from lispdeploy.ui import deploy as show
    failed = [r for r in reports if not r.ok]
    if as_json:
        document = {"hosts": [r.to_json() for r in reports], "failed": [r.host for r in failed]}
        if rollout is not None:
            document.update(rollout.to_json())
        document.update(extra or {})
        click.echo(json.dumps(document, indent=2))
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
        if rollout is not None and rollout.stopped:
            click.echo(show.stopped(rollout), err=True)
    if failed:
        raise LispdeployError(show.summary(reports, what))


def deployable(loaded):
    """The loaded spec, unless it gives only an operating-system (which has nowhere to go)."""
    if loaded.operating_system_only:
        from lispdeploy.errors import SpecError
        where = loaded.machines[0].location
        raise SpecError("this file gives an operating-system, not machines to deploy it to",
                        location=where,
                        hint="end the file with (list (machine (operating-system os) "
                             "(environment managed-host-environment-type) (configuration "
                             "(machine-ssh-configuration (host-name \"203.0.113.7\") (system "
                             "\"x86_64-linux\"))))), or deploy it with -e '(list (machine "
                             "(operating-system (load \"FILE\")) ...))'")
    return loaded


def execute_command(spec: str, command: Sequence[str], *, on: Sequence[str], jobs: int,
                    verbose: bool, load_path: Sequence[str], as_json: bool = False,
                    expression=None) -> None:
    """`deploy -x`: run `command` on the selected machines, output prefixed by host name (or,
    with `as_json`, collected per host into the JSON report). On Ctrl-C, the hosts stop the
    command (their connections close) and the report says which hosts were stopped."""
    if not command:
        raise UsageError("-x needs a command to run", hint="lispdeploy deploy SPEC -x -- CMD ARGS")
    loaded = deployable(load(spec, load_path, expression))
    machines = select(loaded.machines, on)
    from lispdeploy.deploy.command import describe_status, run_command
    from lispdeploy.deploy.pool import Interrupted
    from lispdeploy.errors import HostError
    outputs: dict = {}

    def work(host):
        if as_json:
            buffer = outputs.setdefault(host.name, bytearray())
            host.set_output(buffer.extend)
        status = run_command(host.machine, command)
        if status != 0:
            raise HostError(f"{command[0]} failed with {describe_status(status)}",
                            host=host.name)
        return status

    try:
        results = run_on_machines(loaded, machines, work, jobs=jobs, verbose=verbose,
                                  show_output=not as_json, output_to_stdout=True)
    except Interrupted as stopped:
        _execute_interrupted(stopped, machines, as_json, outputs)
        stopped.reported = True
        raise
    if as_json:
        _execute_json(results, outputs)
    report_failures(results, "deploy -x", verbose=verbose, quiet=as_json)


def _execute_json(results, outputs) -> None:
    import json
    from lispdeploy.ui.hosts import results_to_json
    document = results_to_json(results, value=False)
    for entry, result in zip(document["hosts"], results):
        entry["exit-status"] = result.value if result.ok else _status_of(result.error)
        entry["output"] = bytes(outputs.get(result.name, b"")).decode("utf-8", "replace")
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _status_of(error) -> Optional[int]:
    """The exit status a failed command's error names, or None (the host was not reached)."""
    import re
    found = re.search(r"exit status (\d+)|killed by signal (\d+)", str(error))
    if not found:
        return None
    return int(found.group(1)) if found.group(1) else -int(found.group(2))


def _execute_interrupted(stopped, machines, as_json: bool, outputs) -> None:
    """What Ctrl-C of -x did on each host."""
    import json
    from lispdeploy.ui.hosts import interrupted_command
    lines, document = interrupted_command(stopped, [m.display_name for m in machines])
    if as_json:
        for entry in document["hosts"]:
            entry["output"] = bytes(outputs.get(entry["host"], b"")).decode("utf-8", "replace")
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    for line in lines:
        click.echo(line, err=True)
