"""Running commands on a host during activation: argv lists only (no shell), with errors that
carry the command, its exit status and the tail of its output. Standard library only."""

from __future__ import annotations

import os
import subprocess
from typing import Dict, Optional, Sequence


class CommandError(Exception):
    """A command failed: `argv`, `status` and the end of its stderr (and stdout)."""

    def __init__(self, argv: Sequence[str], status: int, output: str):
        self.argv = list(argv)
        self.status = status
        self.output = output
        tail = "\n".join(output.strip().splitlines()[-15:])
        super().__init__(f"'{' '.join(self.argv)}' exited with status {status}"
                         + (f":\n{tail}" if tail else ""))


def run(argv: Sequence[str], *, check: bool = True, env: Optional[Dict[str, str]] = None,
        timeout: float = 600, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run `argv`; raise CommandError when it fails and `check` is set."""
    full_env = dict(os.environ)
    full_env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    full_env["LC_ALL"] = "C"
    if env:
        full_env.update(env)
    try:
        result = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                                env=full_env, timeout=timeout,
                                stdin=None if stdin is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise CommandError(argv, 127, f"{argv[0]}: command not found") from None
    except subprocess.TimeoutExpired as e:
        raise CommandError(argv, -1, f"timed out after {timeout:.0f} s\n"
                           + (e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes)
                              else (e.stderr or ""))) from None
    if check and result.returncode != 0:
        raise CommandError(argv, result.returncode, (result.stderr or "") + (
            ("\n" + result.stdout) if result.stdout and not result.stderr else ""))
    return result


def output(argv: Sequence[str]) -> str:
    """The stdout of a command that must succeed, stripped."""
    return run(argv).stdout.strip()


def exists(program: str) -> bool:
    """Whether `program` is on the PATH."""
    path = os.environ.get("PATH") or "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for directory in path.split(os.pathsep) + ["/usr/sbin", "/sbin"]:
        if os.access(os.path.join(directory, program), os.X_OK):
            return True
    return False
