"""Options shared by the commands that talk to hosts (`--on`, `-j/--jobs`, `-v`), and running
their per-host work with progress shown.
"""

from __future__ import annotations

from typing import Any, Callable, List, Sequence

import click

from lispdeploy.deploy.pool import DEFAULT_JOBS, HostResult


def complete_on(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Shell completion of `--on`: the host names and @tags of the spec already on the
    command line (nothing when it cannot be loaded)."""
    from click.shell_completion import CompletionItem
    # While an option's value is being completed, click may leave the arguments unparsed.
    spec = ctx.params.get("spec") or next(iter(ctx.args), None)
    if not spec:
        return []
    try:
        from lispdeploy.cli import load
        from lispdeploy.deploy.hosts import completions
        machines = load(spec, ctx.params.get("load_path") or ()).machines
    except Exception:  # a shell asking must never see an error: it offers nothing instead
        return []
    return [CompletionItem(choice, type="plain") for choice in completions(machines, incomplete)]


on_option = click.option(
    "--on", "on", multiple=True, metavar="PATTERN[,PATTERN]", shell_complete=complete_on,
    help="Only these machines: host-name globs ('web-*'), @TAG (machines with that tag), "
         "'!PATTERN' to leave some out; comma-separated or repeated.")


def host_options(command: Callable) -> Callable:
    """Add `--on`, `--jobs` and `-v`/`--verbose`/`--verbosity LEVEL` to a command."""
    command = click.option(
        "-v", "--verbose", count=True,
        callback=lambda ctx, _, count: count > 0 or ctx.meta.get("verbosity", 1) >= 2,
        help="Show connections, round trips and timings, and what hosts print to stderr "
             "(also -v 2).")(command)
    command = click.option(
        "--verbosity", type=click.IntRange(0, 3), metavar="LEVEL", expose_value=False,
        is_eager=True, callback=lambda ctx, _, level: ctx.meta.setdefault(
            "verbosity", 1 if level is None else level),
        help="Guix's verbosity levels: 0 and 1 show progress and results, 2 and 3 also what "
             "-v shows. `-v LEVEL` is the same.")(command)
    command = click.option(
        "-j", "--jobs", type=click.IntRange(1, 256), default=DEFAULT_JOBS, show_default=True,
        help="How many hosts to work on at once.")(command)
    return on_option(command)


def run_on_machines(spec, machines: Sequence, work: Callable[[Any], Any], *, jobs: int,
                    verbose: bool, show_output: bool, output_to_stdout: bool = False
                    ) -> List[HostResult]:
    """Run `work(host)` on every machine of a loaded spec in parallel (`host` is its
    `HostContext`), printing progress; the results, in order."""
    from lispdeploy.deploy.pool import run_on_hosts
    from lispdeploy.machine import DeployOptions
    from lispdeploy.ui.hosts import HostReporter
    reporter = HostReporter([m.display_name for m in machines], show_output=show_output,
                            verbose=verbose, output_to_stdout=output_to_stdout)
    options = DeployOptions(deployment=spec.deployment, spec_path=spec.path)
    return run_on_hosts(machines, work, jobs=jobs, reporter=reporter, options=options)


def select(machines: Sequence, on: Sequence[str]) -> list:
    """The machines `--on` selects (all without it)."""
    from lispdeploy.deploy.hosts import select_machines
    return select_machines(machines, on)


def report_failures(results: Sequence[HostResult], what: str, *, verbose: bool,
                    quiet: bool = False) -> None:
    """Print each failed host's error; if a host failed, raise the summary as the command's
    error (exit status 1), else print it (with -v or several hosts; never when `quiet`)."""
    from lispdeploy.errors import HostError
    from lispdeploy.ui.hosts import error_text, summary
    failed = [r for r in results if not r.ok]
    for result in failed:
        click.echo(error_text(result, verbose=verbose), err=True)
    if failed:
        raise HostError(summary(results, what))
    if (verbose or len(results) > 1) and not quiet:
        click.echo(summary(results, what), err=True)
