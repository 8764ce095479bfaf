"""`lispdeploy eval SPEC '#~(...)'`: evaluate a g-expression on every machine of a spec, in
parallel, and print each host's value."""

from __future__ import annotations

import json

import click

from lispdeploy.cli import cli, load, load_path_option
from lispdeploy.cli.hosts import host_options, report_failures, run_on_machines, select
from lispdeploy.errors import SpecError, UsageError


@cli.command("eval")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("expression", required=False)
@click.option("-f", "--file", "expression_file", type=click.Path(dir_okay=False, exists=True),
              help="Read the expression from FILE instead of the command line.")
@click.option("--json", "as_json", is_flag=True, help="Print every host's result as JSON.")
@host_options
@load_path_option
def eval_command(spec, expression, expression_file, as_json, on, jobs, verbose, load_path):
    """Evaluate EXPRESSION, a g-expression #~(...) written in SPEC's context, on SPEC's
    machines, and print each host's value.

    \b
    Example:
      lispdeploy eval deploy.hy '#~(file-exists? "/etc/nginx")'
      lispdeploy eval deploy.hy --on 'web*' '#~(which "nginx")'
    """
    if (expression is None) == (expression_file is None):
        raise UsageError("give an expression, or -f FILE, but not both",
                         hint="lispdeploy eval SPEC '#~(...)'")
    if expression_file is not None:
        with open(expression_file, encoding="utf-8") as f:
            text, filename = f.read(), expression_file
    else:
        text, filename = expression, "<expression>"
    loaded = load(spec, load_path)
    machines = select(loaded.machines, on)
    from lispdeploy.gexp.gexp import Gexp
    from lispdeploy.gexp.lowering import Lowerer
    from lispdeploy.machine import machine_remote_eval
    from lispdeploy.spec.loader import evaluate
    gexp = evaluate(loaded, text, filename)
    if not isinstance(gexp, Gexp):
        got = getattr(gexp, "record_name", None) or type(gexp).__name__
        raise SpecError(f"the expression must be a g-expression #~(...), got {got}",
                        hint="write #~(...) around the code to run on the hosts")
    # Lowered before connecting: a bad value or a failing computed-file is reported once,
    # not per host.
    Lowerer().lower_program("eval", gexp)

    def work(host):
        return machine_remote_eval(host.machine, gexp)

    results = run_on_machines(loaded, machines, work, jobs=jobs, verbose=verbose, show_output=verbose)
    from lispdeploy.ui.hosts import results_to_json, show_value
    if as_json:
        click.echo(json.dumps(results_to_json(results), indent=2, ensure_ascii=False))
    else:
        width = max((len(r.name) for r in results if r.ok), default=0)
        for result in results:
            if result.ok:
                click.echo(f"{(result.name + ':').ljust(width + 1)} {show_value(result.value)}")
    report_failures(results, "eval", verbose=verbose)
