"""Running a command on a host (`deploy -x`): argv, no shell, output streamed as it comes.

The command runs as root through the host's runner (`system*` of the build utilities), so it
needs what every evaluation needs and nothing more; its stdout and stderr both arrive on the
transport's stderr stream and go to `on_output`. Imports gexp.program and remote.eval.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from lispdeploy.gexp.program import function_call
from lispdeploy.remote.eval import remote_eval


def run_command(transport, argv: Sequence[str], *,
                on_output: Optional[Callable[[bytes], None]] = None) -> int:
    """Run `argv` on the host of `transport`; return its exit status (negative: the signal
    that ended it; 127: no such program)."""
    argv = [str(a) for a in argv]
    if not argv:
        raise ValueError("run_command needs a command")
    gexp = function_call("lispdeploy.hostside.build_utils.system_star", *argv)
    return remote_eval(transport, gexp, on_stderr=on_output)


def describe_status(status: int) -> str:
    """An exit status as a person reads it."""
    if status < 0:
        return f"killed by signal {-status}"
    if status == 127:
        return "exit status 127 (command not found?)"
    return f"exit status {status}"
