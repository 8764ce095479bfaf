"""`lispdeploy deploy SPEC -x -- COMMAND [ARGS...]`: run a command on every machine of a spec,
in parallel, with each host's output streamed line by line, prefixed with its host name."""

from __future__ import annotations

from typing import Sequence

import click

from lispdeploy.cli import cli, load, load_path_option
from lispdeploy.cli.hosts import host_options, report_failures, run_on_machines, select
from lispdeploy.errors import UsageError


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("command", nargs=-1)
@click.option("-x", "--execute", "execute", is_flag=True,
              help="Run COMMAND (after --) on every machine instead of deploying.")
@host_options
@load_path_option
def deploy(spec, command, execute, on, jobs, verbose, load_path):
    """Work on the machines SPEC declares. With -x: run COMMAND (argv, no shell) on each, as
    root, and exit with status 1 if it failed anywhere.

    \b
    Example:
      lispdeploy deploy deploy.hy -x -- systemctl restart nginx
    """
    if not execute:
        raise UsageError("deploy: give -x -- COMMAND [ARGS...] to run a command on the machines",
                         hint="lispdeploy deploy SPEC -x -- systemctl status")
    execute_command(spec, command, on=on, jobs=jobs, verbose=verbose, load_path=load_path)


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
        status = run_command(host.transport, command, on_output=host.output)
        if status != 0:
            raise HostError(f"{command[0]} failed with {describe_status(status)}",
                            host=host.name)
        return status

    results = run_on_machines(machines, work, jobs=jobs, verbose=verbose, show_output=True,
                              output_to_stdout=True)
    report_failures(results, "deploy -x", verbose=verbose)
