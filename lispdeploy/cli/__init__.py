"""The `lispdeploy` command line (click). One module per command; this module holds the group,
the options every command shares, and the one place where errors become exit statuses:
1 for a user's mistake or a failed host, 2 for wrong usage, 130 when interrupted.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

import click

from lispdeploy import __version__
from lispdeploy.errors import LispdeployError, UsageError

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EXIT_STATUS_HELP = ("\b\nExit status:\n  0    success\n  1    an error in the spec, or a host "
                    "failed\n  2    wrong usage of the command line\n  130  interrupted")

# The arguments of this run, as given (to tell `-x -- CMD` from a stray argument).
RAW_ARGS: list = []


class _Command(click.Command):
    """Every command's help ends with the exit statuses."""

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        formatter.write_text(EXIT_STATUS_HELP)


class _Group(click.Group):
    """Lists commands in the order they were added (the order a user meets them); commands
    and sub-groups show the exit statuses in their help."""

    command_class = _Command

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        formatter.write_text(EXIT_STATUS_HELP)


    def list_commands(self, ctx):
        return list(self.commands)


_Group.group_class = _Group


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lispdeploy")
def cli():
    """Deploy operating systems declared in Guix's language to ordinary Linux servers."""


load_path_option = click.option(
    "-L", "--load-path", "load_path", multiple=True, metavar="DIR",
    type=click.Path(file_okay=False),
    help="Add DIR to the directories searched for the spec's own modules (use-modules).")


expression_option = click.option(
    "-e", "--expression", "expression", metavar="EXPR",
    help="Use the machines (or operating-system) EXPR evaluates to instead of a file, as "
         "guix deploy -e does.")


def load(spec_path: Optional[str], load_path: Sequence[str], expression: Optional[str] = None):
    """Load a spec file or, with `-e`, an expression (imported here so that `--help` stays
    fast); exactly one of them."""
    if spec_path and expression:
        raise UsageError("both '--expression' and a deployment file were provided",
                         hint="give one of them")
    if expression:
        from lispdeploy.spec.loader import load_expression
        return load_expression(expression, load_path=load_path)
    if not spec_path:
        raise UsageError("missing deployment file argument", hint="give a file, or -e EXPR")
    from lispdeploy.spec.loader import load_spec
    return load_spec(spec_path, load_path=load_path)


def _verbosity_arguments(args: Sequence[str]) -> list:
    """Guix's `-v LEVEL` (and `-vLEVEL`) as `--verbosity=LEVEL`; a bare -v stays a flag."""
    out = []
    args = list(args)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out.extend(args[i:])
            break
        if arg == "-v" and i + 1 < len(args) and args[i + 1].isdigit():
            out.append(f"--verbosity={args[i + 1]}")
            i += 2
            continue
        if len(arg) == 3 and arg.startswith("-v") and arg[2].isdigit():
            out.append(f"--verbosity={arg[2]}")
        else:
            out.append(arg)
        i += 1
    return out


def _register():
    # Each command module adds itself to `cli` when imported.
    from lispdeploy.cli import describe  # noqa: F401
    from lispdeploy.cli import eval as _eval  # noqa: F401
    from lispdeploy.cli import deploy  # noqa: F401
    from lispdeploy.cli import generations  # noqa: F401
    from lispdeploy.cli import destroy  # noqa: F401
    from lispdeploy.cli import container  # noqa: F401
    from lispdeploy.cli import build  # noqa: F401
    from lispdeploy.cli import completion  # noqa: F401


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `lispdeploy` script: run a command, map errors to exit statuses."""
    _register()
    args = _verbosity_arguments(sys.argv[1:] if argv is None else argv)
    RAW_ARGS[:] = args
    # With --exit-code, 2 means "changes pending": every error, a wrong command line too, is 1.
    usage = EXIT_FAILURE if "--exit-code" in args else EXIT_USAGE
    try:
        # Without standalone mode, click returns the status of `ctx.exit(n)` instead of
        # exiting with it.
        status = cli.main(args=args, prog_name="lispdeploy", standalone_mode=False)
        return status if isinstance(status, int) else 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.UsageError as e:
        e.show()
        return usage
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.Abort as e:
        # click turns Ctrl-C into Abort; what was interrupted is its cause.
        return _interrupted(e.__cause__ or e)
    except UsageError as e:
        click.echo(e.render(), err=True)
        return usage
    except LispdeployError as e:
        click.echo(e.render(), err=True)
        return EXIT_FAILURE
    except KeyboardInterrupt as e:
        return _interrupted(e)
    except BrokenPipeError:
        return EXIT_FAILURE


def _interrupted(error: BaseException) -> int:
    """The exit status of an interrupted command; a command that reported what the
    interruption left where said so itself (and may give its own status)."""
    if not getattr(error, "reported", False):
        click.echo("interrupted", err=True)
    return getattr(error, "exit_status", EXIT_INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """The console script: exit with `main`'s status."""
    sys.exit(main())
