"""`lispdeploy container list|start|stop|destroy SPEC`: the hosts a spec's container machines
run on. Each works only on hosts of the spec's deployment (or made before deployments were
recorded)."""

from __future__ import annotations

import json

import click

from lispdeploy.cli import cli, load, load_path_option
from lispdeploy.cli.destroy import destroy_machines, dry_run_option, json_option, yes_option
from lispdeploy.cli.hosts import on_option
from lispdeploy.errors import LispdeployError

CONTAINER = "container-environment-type"


def _machines(spec, load_path, on):
    """The spec and its selected container machines (others are named on stderr)."""
    from lispdeploy.deploy.hosts import select_machines
    loaded = load(spec, load_path)
    machines = select_machines(loaded.machines, on)
    chosen = [m for m in machines if m.environment.name == CONTAINER]
    for m in machines:
        if m not in chosen:
            click.echo(f"{m.display_name}: not a container machine ({m.environment.name})",
                       err=True)
    return loaded, chosen


@cli.group()
def container():
    """Container hosts of a spec's container-environment-type machines."""


def _row(machine, info) -> str:
    if info is None:
        return f"{machine.display_name:<24} {'-':<15} not created"
    state = info.state + (f" (pid {info.pid})" if info.pid else "")
    failed = f", failed units: {' '.join(info.failed_units)}" if info.failed_units else ""
    return f"{machine.display_name:<24} {info.address:<15} {state}{failed}"


def _json(machine, info) -> dict:
    if info is None:
        return {"host": machine.display_name, "container": None, "state": "not created"}
    return {"host": machine.display_name, "container": info.name, "address": info.address,
            "state": info.state, "pid": info.pid, "failed-units": list(info.failed_units),
            "deployment": info.deployment, "spec": info.spec, "directory": info.directory}


@container.command("list")
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@json_option
@load_path_option
def list_(spec, on, as_json, load_path):
    """Show each container machine's host: address and state."""
    from lispdeploy.environments.container import environment as env
    _, machines = _machines(spec, load_path, on)
    infos = [(m, env.engine().get(env.container_name(m))) for m in machines]
    if as_json:
        click.echo(json.dumps({"hosts": [_json(m, i) for m, i in infos]}, indent=2))
        return
    click.echo(f"{'MACHINE':<24} {'ADDRESS':<15} STATE")
    for m, info in infos:
        click.echo(_row(m, info))


def _each(machines, action, verb, as_json: bool):
    """Run `action(machine) -> info` on each machine; show each host (a row, or JSON)."""
    failed, shown = [], []
    for m in machines:
        try:
            info = action(m)
        except LispdeployError as e:
            failed.append(m.display_name)
            click.echo(e.render() if e.message.startswith(m.display_name)
                       or e.message.startswith(f"machine '{m.display_name}'")
                       else f"{m.display_name}: {e.render()}", err=True)
            shown.append({"host": m.display_name, "error": {"message": e.message,
                                                            "hint": e.hint}})
            continue
        shown.append(_json(m, info))
        if not as_json:
            click.echo(_row(m, info))
    if as_json:
        click.echo(json.dumps({"hosts": shown, "failed": failed}, indent=2))
    if failed:
        raise LispdeployError(f"could not {verb} {', '.join(failed)}")


@container.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@json_option
@load_path_option
def start(spec, on, as_json, load_path):
    """Create (if missing) and boot the container hosts."""
    from lispdeploy.environments.container import environment as env
    loaded, machines = _machines(spec, load_path, on)
    _each(machines, lambda m: env.started(m, deployment=loaded.deployment, spec=loaded.path),
          "start", as_json)


@container.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@json_option
@load_path_option
def stop(spec, on, as_json, load_path):
    """Power the container hosts off (their disks stay)."""
    from lispdeploy.environments.container import environment as env
    from lispdeploy.machine import check_owner
    loaded, machines = _machines(spec, load_path, on)

    def stop_one(m):
        found = env.find_host(m)
        if found is None:
            return None
        check_owner(m, found, loaded.deployment)
        return env.engine().stop(found.key)

    _each(machines, stop_one, "stop", as_json)


@container.command("destroy")
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@yes_option
@dry_run_option
@json_option
@load_path_option
def destroy_containers(spec, on, yes, dry_run, as_json, load_path):
    """Remove the container hosts, disks included, after listing them and asking."""
    loaded, machines = _machines(spec, load_path, on)
    destroy_machines(loaded, machines, yes=yes, dry_run=dry_run, as_json=as_json)
