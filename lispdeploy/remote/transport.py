"""The transport protocol: what the rest of lispdeploy needs from a connection to a host.

A transport runs argv commands on one host, feeding them stdin and collecting their stdout,
with stderr streamed to a callback as it arrives. It is opened once per host per command and
reused for every step; it counts its connections and round trips (one per command run) so that
a deploy can report them. `lispdeploy.remote.ssh.SshTransport` is the implementation.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Protocol, Sequence

StderrCallback = Callable[[bytes], None]


class Completed:
    """What a command did: its exit status, its whole stdout and the end of its stderr."""

    __slots__ = ("exit_status", "stdout", "stderr")

    def __init__(self, exit_status: int, stdout: bytes, stderr: bytes):
        self.exit_status = exit_status
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return (f"Completed(exit_status={self.exit_status}, stdout={len(self.stdout)} bytes, "
                f"stderr={len(self.stderr)} bytes)")


class Transport(Protocol):
    """A connection to one host.

    `host` is the name every error uses; `connections` and `round_trips` count what this
    transport opened; `memo` keeps facts about the host that later steps over the same
    connection can reuse (such as store items known to be there), and what its requests sent
    (`memo["request-bytes"]`, of which `memo["item-bytes"]` were store items). An SSH
    transport also has `wire_bytes`: (sent, received) on the network, SSH's own included."""

    host: str
    connections: int
    round_trips: int
    memo: Dict[str, object]

    def execute(self, argv: Sequence[str], stdin: bytes = b"", *, privileged: bool = False,
                on_stderr: Optional[StderrCallback] = None) -> Completed:
        """Run `argv` (no shell semantics: each element is one argument) with `stdin`.
        With `privileged`, run it as root (through `sudo -n` when logged in as another
        user). Raises `ConnectionError_` if the connection fails."""
        ...

    def close(self) -> None:
        """Close the connection; commands still running on it end."""
        ...
