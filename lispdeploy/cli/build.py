"""`lispdeploy build SPEC`: build each machine's system on the controller (Guix's
`guix system build`) and print its system item; connects to nothing."""

from __future__ import annotations

import json
from typing import Optional

import click

from lispdeploy.cli import cli, expression_option, load, load_path_option


def listen_address_of(machine) -> Optional[str]:
    """The address a machine's listening services bind to when its spec names none, as its
    environment says (a container host's own loopback address), or None."""
    hook = getattr(machine.environment, "build_options", None)
    options = hook(machine) if hook is not None else {}
    return options.get("listen_address")


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False), required=False)
@click.option("--json", "as_json", is_flag=True,
              help="Print each machine's system item and manifest as JSON.")
@expression_option
@load_path_option
def build(spec, as_json, expression, load_path):
    """Build the system of each machine SPEC declares, and print its store item."""
    loaded = load(spec, load_path, expression)
    from lispdeploy.gexp.lowering import Lowerer
    from lispdeploy.system.closure import build_system
    from lispdeploy.system.provenance import provenance
    lowerer = Lowerer()
    # The spec's provenance (git's state) is the same for every machine: asked once.
    origin = provenance(loaded.path, loaded.text)
    systems = [build_system(machine, listen_address=listen_address_of(machine),
                            lowerer=lowerer, origin=origin)
               for machine in loaded.machines]
    if as_json:
        click.echo(json.dumps({"spec": loaded.path, "machines": [
            {"host-name": s.host_name, "system": s.item.path,
             "size": sum(item.size for item in s.items), "manifest": s.manifest}
            for s in systems]}, indent=2, sort_keys=True))
        return
    width = max(len(s.host_name) for s in systems)
    for system in systems:
        click.echo(f"{system.host_name.ljust(width)}  {system.item.path}")
