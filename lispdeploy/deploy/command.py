"""Running a command on a host (`deploy -x`): argv, no shell, output streamed as it comes.

The command runs as root (`lispdeploy.hostside.command.run`), by the machine's
`machine-remote-eval`, so it works on every environment that can evaluate on its hosts; its
stdout and stderr both arrive as the host's output (the host context's `output`). When the
connection closes before the command ends (Ctrl-C closes them all), the host stops the
command: SIGTERM to its process group, SIGKILL a few seconds later.
"""

from __future__ import annotations

from typing import Sequence

from lispdeploy.gexp.program import function_call
from lispdeploy.machine import Machine, machine_remote_eval


def run_command(machine: Machine, argv: Sequence[str]) -> int:
    """Run `argv` on the machine's host; return its exit status (negative: the signal that
    ended it; 127: no such program)."""
    argv = [str(a) for a in argv]
    if not argv:
        raise ValueError("run_command needs a command")
    return machine_remote_eval(machine, function_call("lispdeploy.hostside.command.run", argv))


def describe_status(status: int) -> str:
    """An exit status as a person reads it."""
    if status < 0:
        return f"killed by signal {-status}"
    if status == 127:
        return "exit status 127 (command not found?)"
    return f"exit status {status}"
