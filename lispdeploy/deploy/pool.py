"""Running one piece of work on many hosts in parallel, each with its own result.

`run_on_hosts(machines, work)` calls `work(host)` for every machine in a thread of a bounded
pool, inside the host's `HostContext` (the machine, its phases and output going to the
reporter, the deploy's options, the connections its steps reuse), closes what the work opened,
and returns a `HostResult` per machine, in the order given. An error on one host (an exception
of any kind) is that host's result and never stops the others.

On Ctrl-C the pool interrupts every host's work (closing its connections, so that what waits
on a host returns at once), waits for the threads, and raises `Interrupted`, which carries
each host's context: how far each got is what the command reports.

Progress goes to a reporter (`PoolReporter`), which the ui implements; this module prints
nothing.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Protocol, Sequence

from lispdeploy.machine import DeployOptions, HostContext

if TYPE_CHECKING:  # the command line imports this module for its options: keep it light
    from lispdeploy.machine import Machine

DEFAULT_JOBS = 8


class HostResult:
    """The outcome on one host: `value` (what the work returned) or `error` (what it raised),
    how long it took, and what its connections counted."""

    def __init__(self, name: str, *, value: Any = None, error: Optional[BaseException] = None,
                 seconds: float = 0.0, connections: int = 0, round_trips: int = 0):
        self.name = name
        self.value = value
        self.error = error
        self.seconds = seconds
        self.connections = connections
        self.round_trips = round_trips
        # Bytes sent and received on the wire, and the requests' and items' share of the sent.
        self.traffic = {"sent": 0, "received": 0, "requests": 0, "items": 0}

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
        """Work on `name` begins."""

    def host_phase(self, name: str, phase: str) -> None:
        """Host `name` entered `phase` (building, probing, waiting for its droplet...)."""

    def host_output(self, name: str, data: bytes) -> None:
        """`name` printed `data` (a chunk, not necessarily whole lines)."""

    def host_finished(self, result: HostResult) -> None:
        """Work on a host ended, successfully or not."""


class SilentReporter:
    """A reporter that shows nothing."""

    def host_started(self, name: str) -> None:
        pass

    def host_phase(self, name: str, phase: str) -> None:
        pass

    def host_output(self, name: str, data: bytes) -> None:
        pass

    def host_finished(self, result: HostResult) -> None:
        pass


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the pool: `results` of the hosts that had finished, by name, and the
    `contexts` of every host whose work had begun (their stage says how far it got);
    `pending` names the hosts whose work had not begun."""

    def __init__(self, results: Dict[str, HostResult], contexts: Dict[str, HostContext],
                 pending: List[str]):
        super().__init__("interrupted")
        self.results = results
        self.contexts = contexts
        self.pending = pending


def run_on_hosts(machines: Sequence[Machine], work: Callable[[HostContext], Any], *,
                 jobs: int = DEFAULT_JOBS, reporter: Optional[PoolReporter] = None,
                 options: Optional[DeployOptions] = None) -> List[HostResult]:
    """Run `work` on every machine, at most `jobs` at a time (see the module docstring).
    `work` gets the host's context, whose `machine` is the machine."""
    reporter = reporter or SilentReporter()
    if jobs < 1:
        raise ValueError("jobs must be 1 or more")
    contexts: Dict[str, HostContext] = {}
    results: Dict[str, HostResult] = {}
    cancelled = threading.Event()

    def one(machine: Machine) -> HostResult:
        name = machine.display_name
        host = HostContext(name, machine=machine, options=options,
                           phase=lambda text: reporter.host_phase(name, text),
                           output=lambda data: reporter.host_output(name, data))
        contexts[name] = host
        if cancelled.is_set():
            host.interrupted.set()
        started = time.monotonic()
        reporter.host_started(name)
        try:
            with host:
                host._check_interrupted()
                result = HostResult(name, value=work(host))
        except BaseException as e:  # one host's failure, whatever it is, is its own result
            result = HostResult(name, error=e)
        result.seconds = time.monotonic() - started
        result.connections = host.connections
        result.round_trips = host.round_trips
        result.traffic = dict(host.traffic)
        results[name] = result
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
    except KeyboardInterrupt:
        cancelled.set()
        for future in futures:
            future.cancel()
        for name, host in list(contexts.items()):
            if name not in results:  # a host that had finished keeps its result as it is
                host.interrupt()
        pool.shutdown(wait=True)
        raise Interrupted(dict(results), dict(contexts),
                          [m.display_name for m in machines
                           if m.display_name not in contexts]) from None
    pool.shutdown(wait=True)
    return [f.result() for f in futures]
