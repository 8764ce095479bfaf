"""`lispdeploy describe SPEC`: evaluate a spec and show its machines; connects to nothing."""

from __future__ import annotations

import json

import click

from lispdeploy.cli import cli, expression_option, load, load_path_option


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print every record as JSON.")
@expression_option
@load_path_option
def describe(spec, as_json, expression, load_path):
    """Show the machines SPEC declares (a readable summary, or --json). A file whose last
    value is an operating-system shows that system."""
    loaded = load(spec, load_path, expression)
    from lispdeploy.ui.describe import describe_json, describe_text
    if as_json:
        click.echo(json.dumps(describe_json(loaded.path, loaded.machines), indent=2))
    else:
        click.echo(describe_text(loaded.machines), nl=False)
