"""`lispdeploy container list|start|stop|destroy SPEC`: the hosts a spec's container machines
run on. Each works only on hosts of the spec's deployment (or made before deployments were
recorded). `lispdeploy container images`, `container image build|remove NAME`: the images
hosts boot from; `lispdeploy container cache`: the package cache they share."""

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
        return f"{machine.display_name:<24} {'-':<15} {'-':<10} not created"
    state = info.state + (f" (pid {info.pid})" if info.pid else "")
    failed = f", failed units: {' '.join(info.failed_units)}" if info.failed_units else ""
    return f"{machine.display_name:<24} {info.address:<15} {_short(info.image):<10} " \
           f"{state}{failed}"


def _short(image: str) -> str:
    return image if len(image) <= 10 else "…" + image[-9:]


def _json(machine, info) -> dict:
    if info is None:
        return {"host": machine.display_name, "container": None, "state": "not created"}
    return {"host": machine.display_name, "container": info.name, "address": info.address,
            "image": info.image, "state": info.state, "pid": info.pid,
            "failed-units": list(info.failed_units),
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
    click.echo(f"{'MACHINE':<24} {'ADDRESS':<15} {'IMAGE':<10} STATE")
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

    def start_one(m):
        from lispdeploy.machine import HostContext
        # An image built for the host shows its steps as they happen.
        with HostContext(m.display_name, machine=m,
                         phase=lambda text: _progress(f"{m.display_name}: {text}")):
            return env.started(m, deployment=loaded.deployment, spec=loaded.path)

    _each(machines, start_one, "start", as_json)


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


def _progress(text: str) -> None:
    click.echo(text, err=True)


def _size(size) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _hosts_by_root(engine) -> dict:
    users: dict = {}
    for info in engine.list():
        users.setdefault(info.lower, []).append(info.name)
    return users


def _list_images():
    from lispdeploy.environments.container import environment as env
    from lispdeploy.environments.container.images import release_names
    engine = env.engine()
    images = engine.images.list()
    users = _hosts_by_root(engine)
    click.echo(f"{'IMAGE':<12} {'BUILT (UTC)':<20} {'TIME':>6} {'SIZE':>10}  HOSTS")
    for image in images:
        built = (image.built or "-").replace("T", " ").replace("+00:00", "")
        seconds = f"{image.build_seconds:g} s" if image.build_seconds is not None else "-"
        note = "" if image.current else "  (old recipe: serves only its hosts)"
        hosts = len(users.get(image.root, ()))
        click.echo(f"{image.name:<12} {built:<20} {seconds:>6} {_size(image.details.get('size')):>10}"
                   f"  {hosts}{note}")
        click.echo(f"  {image.directory}")
    missing = [n for n in release_names() if not any(i.name == n for i in images)]
    if missing:
        click.echo(f"not built yet: {', '.join(missing)} (built on first use, or with "
                   "`lispdeploy container image build NAME`)")
    machine_hosts = len(users.get("/", ()))
    click.echo(f"machine      this machine's /{'':<24}  {machine_hosts}")
    click.echo(f"images are kept in {engine.images.directory}")


@container.command("images")
def images_():
    """List the images container hosts boot from."""
    _list_images()


@container.group()
def image():
    """Images container hosts boot from: list, build, remove."""


@image.command("list")
def image_list():
    """List the images (as `lispdeploy container images`)."""
    _list_images()


@image.command("build")
@click.argument("name")
@click.option("--rebuild", is_flag=True,
              help="Build it again even if it exists (hosts of the old one keep it).")
def image_build(name, rebuild):
    """Build image NAME (debian-12, debian-13) or unpack a tarball into the store."""
    import os
    from lispdeploy.environments.container import environment as env
    from lispdeploy.environments.container.requirements import require_root
    require_root()
    if os.path.exists(name):
        name = os.path.abspath(name)
    built = env.engine().images.build(name, progress=_progress, rebuild=rebuild)
    click.echo(f"{built.name}: {built.root}")


@image.command("remove")
@click.argument("name")
def image_remove(name):
    """Remove image NAME from the store (refused while hosts use it)."""
    import os
    from lispdeploy.environments.container import environment as env
    from lispdeploy.environments.container.requirements import require_root
    require_root()
    if os.path.exists(name):
        name = os.path.abspath(name)
    engine = env.engine()
    users = _hosts_by_root(engine)
    removed = engine.images.remove(name, lambda i: [f"container host {h}"
                                                    for h in users.get(i.root, ())])
    for image in removed:
        click.echo(f"removed {image.name} ({image.directory})")


@container.command("cache")
@click.option("--clear", is_flag=True, help="Delete the cached packages (refused while in use).")
def cache(clear):
    """Show the package cache container hosts share (apt-cacher-ng on loopback)."""
    from lispdeploy.environments.container import environment as env
    from lispdeploy.environments.container.package_cache import enabled
    from lispdeploy.environments.container.requirements import require_root
    require_root()
    packages = env.engine().package_cache
    if clear:
        packages.clear()
    status = packages.status()
    if not enabled():
        state = "off (LISPDEPLOY_PACKAGE_CACHE=off)"
    elif not status.installed:
        state = "not available: apt-cacher-ng is not installed (apt-get install apt-cacher-ng)"
    elif status.running:
        state = f"running on {status.url} for {len(status.users)} users: {', '.join(status.users)}"
    else:
        state = "stopped (starts with the first container host)"
    click.echo(f"package cache: {state}")
    click.echo(f"{_size(status.size)} of packages in {status.directory}")
