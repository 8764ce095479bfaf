"""`lispdeploy destroy SPEC` and `lispdeploy prune SPEC`: deleting provisioned hosts (container
hosts, droplets), after listing them and asking. `--yes` answers for scripts; without a
terminal and without `--yes` nothing is deleted; `--dry-run` only lists."""

from __future__ import annotations

import json
import sys
from typing import List, Optional, Sequence

import click

from lispdeploy.cli import cli, load, load_path_option
from lispdeploy.cli.hosts import on_option
from lispdeploy.errors import LispdeployError, UsageError

yes_option = click.option("-y", "--yes", is_flag=True,
                          help="Delete without asking (for scripts).")
dry_run_option = click.option("-n", "--dry-run", is_flag=True,
                              help="List what would be deleted; delete nothing.")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print what was (or would be) deleted as JSON.")


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@yes_option
@dry_run_option
@json_option
@load_path_option
def destroy(spec, on, yes, dry_run, as_json, load_path):
    """Delete the hosts SPEC provisioned (container hosts with their disks, droplets), after
    listing them and asking; managed hosts are left alone.

    \b
    Examples:
      lispdeploy destroy deploy.hy --on forum-server-0
      lispdeploy destroy deploy.hy --dry-run
      lispdeploy destroy deploy.hy --yes        # in scripts
    """
    from lispdeploy.deploy.hosts import select_machines
    loaded = load(spec, load_path)
    destroy_machines(loaded, select_machines(loaded.machines, on), yes=yes, dry_run=dry_run,
                     as_json=as_json)


def destroy_machines(loaded, machines: Sequence, *, yes: bool, dry_run: bool,
                     as_json: bool) -> None:
    """List what destroying `machines` deletes, ask, delete."""
    from lispdeploy.deploy.teardown import destroy_targets
    targets, notes = destroy_targets(machines, loaded.deployment)
    for note in notes:
        click.echo(note, err=as_json)
    settle(targets, "destroy", yes=yes, dry_run=dry_run, as_json=as_json)


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@yes_option
@dry_run_option
@json_option
@load_path_option
def prune(spec, yes, dry_run, as_json, load_path):
    """Delete the hosts SPEC's deployment created that it no longer declares (container hosts
    and droplets), after listing them and asking.

    \b
    Examples:
      lispdeploy prune deploy.hy --dry-run
      lispdeploy prune deploy.hy
    """
    prune_spec(load(spec, load_path), yes=yes, dry_run=dry_run, as_json=as_json)


def prune_spec(loaded, *, yes: bool, dry_run: bool, as_json: bool,
               embedded: bool = False) -> Optional[dict]:
    """List the hosts `loaded`'s deployment no longer declares, ask, delete. `embedded`
    (deploy --prune --json): return the JSON document instead of printing it."""
    from lispdeploy.deploy.teardown import environments_of, prune_targets
    targets, notes = prune_targets(loaded.machines, loaded.deployment,
                                   environments_of(loaded.machines))
    for note in notes:
        click.echo(f"prune: {note}", err=True)
    if not targets:
        click.echo(f"prune: deployment '{loaded.deployment}' has no host its spec no longer "
                   "declares", err=as_json)
    return settle(targets, "prune", yes=yes, dry_run=dry_run, as_json=as_json,
                  embedded=embedded)


def settle(targets: List, verb: str, *, yes: bool, dry_run: bool, as_json: bool,
           embedded: bool = False) -> Optional[dict]:
    """Show the targets, ask (unless `yes` or `dry_run`), delete them, show what happened
    (the JSON document is returned instead when `embedded`); exit status 1 if one could not
    be deleted."""
    if targets:
        click.echo(f"{'would delete' if dry_run else 'will delete'}:", err=as_json)
        for target in targets:
            click.echo(f"  {target.label}: {target.host.what}", err=as_json)
    if dry_run or not targets:
        return _report(targets, [], as_json, dry_run=True, embedded=embedded)
    if not yes:
        _ask(len(targets), verb)
    from lispdeploy.deploy.teardown import carry_out
    outcomes = carry_out(targets)
    document = _report(targets, outcomes, as_json, dry_run=False, embedded=embedded)
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        raise LispdeployError(f"{verb}: could not delete "
                              f"{', '.join(o.target.label for o in failed)}")
    return document


def _ask(count: int, verb: str) -> None:
    hosts = f"{count} host{'' if count == 1 else 's'}"
    if not sys.stdin.isatty():
        raise UsageError(f"{verb}: not deleting {hosts} without confirmation: there is no "
                         "terminal to ask on",
                         hint=f"run it on a terminal, or pass --yes (lispdeploy {verb} SPEC "
                              "--yes) in scripts; --dry-run only lists")
    if not click.confirm(f"Delete {hosts}, with everything on them?", default=False, err=True):
        raise LispdeployError(f"{verb}: cancelled; nothing was deleted")


def _report(targets, outcomes, as_json: bool, *, dry_run: bool,
            embedded: bool = False) -> Optional[dict]:
    if as_json:
        by_target = {id(o.target): o for o in outcomes}
        hosts = []
        for target in targets:
            entry = target.to_json()
            outcome = by_target.get(id(target))
            if dry_run:
                entry["result"] = "would-delete"
            elif outcome is not None and outcome.error is not None:
                entry["result"] = "failed"
                entry["error"] = {"message": outcome.error.message, "hint": outcome.error.hint}
            else:
                entry["result"] = "deleted"
            hosts.append(entry)
        document = {"hosts": hosts, "dry-run": dry_run,
                    "failed": [h["host"] for h in hosts if h["result"] == "failed"]}
        if embedded:
            return document
        click.echo(json.dumps(document, indent=2))
        return None
    for outcome in outcomes:
        if outcome.error is None:
            click.echo(f"{outcome.target.label}: deleted")
        else:
            click.echo(f"{outcome.target.label}: {outcome.error.render()}", err=True)
    return None
