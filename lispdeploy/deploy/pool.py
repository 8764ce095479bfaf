"""Running one piece of work on many hosts in parallel, each with its own result.

`run_on_hosts(machines, work, connect=...)` opens one connection per machine, calls
`work(host)` with a `HostRun` (the machine, its transport, and an `output` callback for what
the host prints), closes the connection, and returns a `HostResult` per machine, in the order
given. A bounded pool of threads does this; an error on one host (an exception of any kind) is
that host's result and never stops the others. On Ctrl-C the pool closes every open
connection, so that work in flight ends promptly, waits for the threads, and re-raises.

Progress goes to a reporter (`PoolReporter`), which the ui implements; this module prints
nothing. Imports nothing of lispdeploy (machines are only passed through); the connection
opener is passed in.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Protocol, Sequence

if TYPE_CHECKING:  # the command line imports this module for its options: keep it light
    from lispdeploy.machine import Machine

DEFAULT_JOBS = 8


class HostRun:
    """What work on one host gets: the machine, its open transport, its name, and `output`
    to pass what the host prints (bytes, as it arrives) on to the reporter."""

    def __init__(self, machine: Machine, transport: Any, output: Callable[[bytes], None]):
        self.machine = machine
        self.transport = transport
        self.name = machine.display_name
        self.output = output


class HostResult:
    """The outcome on one host: `value` (what the work returned) or `error` (what it raised),
    how long it took, and what its connection counted."""

    def __init__(self, name: str, *, value: Any = None, error: Optional[BaseException] = None,
                 seconds: float = 0.0, connections: int = 0, round_trips: int = 0):
        self.name = name
        self.value = value
        self.error = error
        self.seconds = seconds
        self.connections = connections
        self.round_trips = round_trips

    @property
    def ok(self) -> bool:
        """Whether the work succeeded on this host."""
        return self.error is None

    def __repr__(self) -> str:
        what = "ok" if self.ok else f"error {type(self.error).__name__}"
        return f"#<host-result {self.name} {what}>"


class PoolReporter(Protocol):
    """Receives progress from worker threads (so it must be thread-safe)."""

    def host_started(self, name: str) -> None:
        """Work on `name` begins (before connecting)."""

    def host_output(self, name: str, data: bytes) -> None:
        """`name` printed `data` (a chunk, not necessarily whole lines)."""

    def host_finished(self, result: HostResult) -> None:
        """Work on a host ended, successfully or not."""


class _SilentReporter:
    def host_started(self, name: str) -> None:
        pass

    def host_output(self, name: str, data: bytes) -> None:
        pass

    def host_finished(self, result: HostResult) -> None:
        pass


def run_on_hosts(machines: Sequence[Machine], work: Callable[[HostRun], Any], *,
                 connect: Callable[[Machine], Any], jobs: int = DEFAULT_JOBS,
                 reporter: Optional[PoolReporter] = None) -> List[HostResult]:
    """Run `work` on every machine, at most `jobs` at a time (see the module docstring)."""
    reporter = reporter or _SilentReporter()
    if jobs < 1:
        raise ValueError("jobs must be 1 or more")
    open_transports: dict = {}
    lock = threading.Lock()
    cancelled = threading.Event()

    def one(machine: Machine) -> HostResult:
        name = machine.display_name
        started = time.monotonic()
        reporter.host_started(name)
        transport = None
        try:
            if cancelled.is_set():
                raise KeyboardInterrupt("interrupted")
            transport = connect(machine)
            with lock:
                open_transports[id(transport)] = transport
            if cancelled.is_set():
                raise KeyboardInterrupt("interrupted")
            value = work(HostRun(machine, transport,
                                 lambda data: reporter.host_output(name, data)))
            result = HostResult(name, value=value)
        except BaseException as e:  # one host's failure, whatever it is, is its own result
            result = HostResult(name, error=e)
        finally:
            if transport is not None:
                with lock:
                    open_transports.pop(id(transport), None)
                _close(transport)
        result.seconds = time.monotonic() - started
        if transport is not None:
            result.connections = getattr(transport, "connections", 1)
            result.round_trips = getattr(transport, "round_trips", 0)
        reporter.host_finished(result)
        return result

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, max(1, len(machines))),
                                                 thread_name_prefix="lispdeploy-host")
    futures = [pool.submit(one, m) for m in machines]
    try:
        pending = set(futures)
        while pending:
            # A timeout keeps the main thread able to receive Ctrl-C.
            _, pending = concurrent.futures.wait(pending, timeout=0.5)
    except BaseException:
        cancelled.set()
        for future in futures:
            future.cancel()
        with lock:
            transports = list(open_transports.values())
        for transport in transports:
            _close(transport)
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    return [f.result() for f in futures]


def _close(transport: Any) -> None:
    try:
        transport.close()
    except Exception:
        # Closing is best effort: the host may already be gone, and its result says so.
        pass
