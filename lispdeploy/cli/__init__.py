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


class _Group(click.Group):
    """Lists commands in the order they were added (the order a user meets them)."""

    def list_commands(self, ctx):
        return list(self.commands)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lispdeploy")
def cli():
    """Deploy operating systems declared in Guix's language to ordinary Linux servers."""


load_path_option = click.option(
    "-L", "--load-path", "load_path", multiple=True, metavar="DIR",
    type=click.Path(file_okay=False),
    help="Add DIR to the directories searched for the spec's own modules (use-modules).")


def load(spec_path: str, load_path: Sequence[str]):
    """Load a spec (imported here so that `--help` stays fast)."""
    from lispdeploy.spec.loader import load_spec
    return load_spec(spec_path, load_path=load_path)


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
    arguments = list(argv) if argv is not None else sys.argv[1:]
    # With --exit-code, 2 means "changes pending": every error, a wrong command line too, is 1.
    usage = EXIT_FAILURE if "--exit-code" in arguments else EXIT_USAGE
    try:
        # Without standalone mode, click returns the status of `ctx.exit(n)` instead of
        # exiting with it.
        status = cli.main(args=list(argv) if argv is not None else None, prog_name="lispdeploy",
                          standalone_mode=False)
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
