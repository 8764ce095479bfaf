"""`lispdeploy completion bash|zsh|fish`: the script that makes a shell complete lispdeploy's
commands, options, and the host names and @tags of `--on`."""

from __future__ import annotations

import click

from lispdeploy.cli import cli

COMPLETE_VARIABLE = "_LISPDEPLOY_COMPLETE"


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell):
    """Print the completion script for SHELL.

    \b
    Examples:
      eval "$(lispdeploy completion bash)"      # in ~/.bashrc
      eval "$(lispdeploy completion zsh)"       # in ~/.zshrc
      lispdeploy completion fish > ~/.config/fish/completions/lispdeploy.fish
    """
    from click.shell_completion import get_completion_class
    completer = get_completion_class(shell)(cli, {}, "lispdeploy", COMPLETE_VARIABLE)
    click.echo(completer.source())
