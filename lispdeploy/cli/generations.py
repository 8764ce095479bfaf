"""`lispdeploy generations SPEC`, `lispdeploy switch-generation SPEC N` and
`lispdeploy gc SPEC [--keep N]`: the system generations on each machine's host."""

from __future__ import annotations

import click

from lispdeploy.cli import cli, load, load_path_option
from lispdeploy.cli.deploy import _deployment, finish
from lispdeploy.cli.hosts import host_options, select


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable listing.")
@host_options
@load_path_option
def generations(spec, as_json, on, jobs, verbose, load_path):
    """List each host's generations: number, date, spec commit, and which is current."""
    loaded = load(spec, load_path)
    machines = select(loaded.machines, on)
    deployment, _ = _deployment(loaded, machines, jobs=jobs, verbose=verbose)
    finish(deployment.generations(machines), "generations", as_json=as_json, listing=True)


@cli.command("switch-generation")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("number", type=click.IntRange(0))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@host_options
@load_path_option
def switch_generation(spec, number, as_json, on, jobs, verbose, load_path):
    """Switch each host to generation NUMBER and re-activate it fully (0: the host as it was
    before lispdeploy)."""
    loaded = load(spec, load_path)
    machines = select(loaded.machines, on)
    deployment, _ = _deployment(loaded, machines, jobs=jobs, verbose=verbose)
    finish(deployment.switch_generation(machines, number), "switch-generation",
           as_json=as_json)


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--keep", type=click.IntRange(0), default=3, show_default=True,
              help="How many of the newest generations to keep (the current one always "
                   "stays).")
@click.option("-n", "--dry-run", is_flag=True, help="Say what would be deleted.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@host_options
@load_path_option
def gc(spec, keep, dry_run, as_json, on, jobs, verbose, load_path):
    """Delete old generations and the store items nothing refers to any more."""
    loaded = load(spec, load_path)
    machines = select(loaded.machines, on)
    deployment, _ = _deployment(loaded, machines, jobs=jobs, verbose=verbose)
    reports = deployment.collect_garbage(machines, keep, dry_run)
    verb = "would delete" if dry_run else "deleted"
    for r in reports:
        info = r.extra.get("gc")
        if info is not None and not as_json:
            click.echo(f"{r.host}: {verb} generations {info['generations-deleted'] or 'none'}, "
                       f"{len(info['items-deleted'])} store items "
                       f"({info['bytes-freed'] / 1024:.0f} KiB); kept generations "
                       f"{info['generations-kept'] or 'none'}")
    finish(reports, "gc", as_json=as_json, quiet=True)
