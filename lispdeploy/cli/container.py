"""`lispdeploy container list|start|stop|destroy SPEC` and `lispdeploy destroy SPEC`: the
hosts a spec's container machines run on, and tearing down what a spec provisioned."""

from __future__ import annotations

import click

from lispdeploy.cli import cli, load, load_path_option
from lispdeploy.errors import LispdeployError

on_option = click.option("--on", "on", multiple=True, metavar="NAME[,NAME]",
                         help="Only the machines whose host name matches (glob).")


def _machines(spec, load_path, on, environment_name=None):
    from lispdeploy.deploy.hosts import select_machines
    loaded = load(spec, load_path)
    machines = select_machines(loaded.machines, on)
    if environment_name is None:
        return machines
    chosen = [m for m in machines if m.environment.name == environment_name]
    for m in machines:
        if m not in chosen:
            click.echo(f"{m.display_name}: not a container machine ({m.environment.name})",
                       err=True)
    return chosen


@cli.group()
def container():
    """Container hosts of a spec's container-environment-type machines."""


def _row(machine, info) -> str:
    if info is None:
        return f"{machine.display_name:<24} {'-':<15} not created"
    state = info.state + (f" (pid {info.pid})" if info.pid else "")
    failed = f", failed units: {' '.join(info.failed_units)}" if info.failed_units else ""
    return f"{machine.display_name:<24} {info.address:<15} {state}{failed}"


@container.command("list")
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@load_path_option
def list_(spec, on, load_path):
    """Show each container machine's host: address and state."""
    from lispdeploy.environments.container import environment as env
    machines = _machines(spec, load_path, on, "container-environment-type")
    click.echo(f"{'MACHINE':<24} {'ADDRESS':<15} STATE")
    for m in machines:
        click.echo(_row(m, env.engine().get(env.container_name(m))))


def _each(machines, action, verb):
    failed = []
    for m in machines:
        try:
            click.echo(action(m))
        except LispdeployError as e:
            failed.append(m.display_name)
            click.echo(e.render() if e.message.startswith(m.display_name)
                       else f"{m.display_name}: {e.render()}", err=True)
    if failed:
        raise LispdeployError(f"could not {verb} {', '.join(failed)}")


@container.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@load_path_option
def start(spec, on, load_path):
    """Create (if missing) and boot the container hosts."""
    from lispdeploy.environments.container import environment as env
    machines = _machines(spec, load_path, on, "container-environment-type")
    _each(machines, lambda m: _row(m, env.started(m)), "start")


@container.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@load_path_option
def stop(spec, on, load_path):
    """Power the container hosts off (their disks stay)."""
    from lispdeploy.environments.container import environment as env

    def stop_one(m):
        name = env.container_name(m)
        if env.engine().get(name) is None:
            return _row(m, None)
        return _row(m, env.engine().stop(name))

    _each(_machines(spec, load_path, on, "container-environment-type"), stop_one, "stop")


@container.command("destroy")
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@load_path_option
def destroy_containers(spec, on, load_path):
    """Remove the container hosts, disks included."""
    machines = _machines(spec, load_path, on, "container-environment-type")
    _each(machines, _destroy_one, "destroy")


def _destroy_one(machine) -> str:
    hook = machine.environment.destroy_machine
    if hook is None:
        return f"{machine.display_name}: nothing to destroy ({machine.environment.name})"
    return (f"{machine.display_name}: destroyed" if hook(machine)
            else f"{machine.display_name}: nothing to destroy (not provisioned)")


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@on_option
@load_path_option
def destroy(spec, on, load_path):
    """Tear down the hosts SPEC provisioned (container hosts, droplets); managed hosts are
    left alone."""
    _each(_machines(spec, load_path, on), _destroy_one, "destroy")
