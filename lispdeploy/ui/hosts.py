"""Showing work on many hosts: what each host prints (line by line, prefixed with its name),
progress with `-v`, each host's value or error, and the closing summary.

`HostReporter` implements the deploy pool's reporter and is called from worker threads, so it
prints under a lock and keeps a partial line per host until its end arrives.
"""

from __future__ import annotations

import base64
import codecs
import math
import threading
import traceback
from typing import Any, Dict, List, Sequence

import click

from lispdeploy.deploy.pool import HostResult
from lispdeploy.errors import LispdeployError, RemoteEvalError


class HostReporter:
    """Prints pool progress. `show_output`: hosts' output, prefixed (on stdout when
    `output_to_stdout`, else stderr); `verbose`: connections, timings, round trips."""

    def __init__(self, names: Sequence[str], *, show_output: bool, verbose: bool,
                 output_to_stdout: bool = False):
        self.width = max((len(n) for n in names), default=0)
        self.show_output = show_output
        self.verbose = verbose
        self.output_to_stdout = output_to_stdout
        self._lock = threading.Lock()
        self._partial: Dict[str, str] = {}
        self._decoders: Dict[str, Any] = {}

    def host_started(self, name: str) -> None:
        """With -v: say that work on `name` begins."""
        if self.verbose:
            with self._lock:
                click.echo(f"{name}: starting", err=True)

    def host_phase(self, name: str, phase: str) -> None:
        """With -v: say what the host's work is doing (provisioning waits, ...)."""
        if self.verbose:
            with self._lock:
                click.echo(f"{name}: {phase}", err=True)

    def host_output(self, name: str, data: bytes) -> None:
        """Print the whole lines `name` has printed so far, prefixed with its name."""
        if not self.show_output:
            return
        with self._lock:
            decoder = self._decoders.setdefault(
                name, codecs.getincrementaldecoder("utf-8")(errors="replace"))
            text = self._partial.pop(name, "") + decoder.decode(data)
            *lines, rest = text.split("\n")
            if rest:
                self._partial[name] = rest
            for line in lines:
                self._line(name, line)

    def host_finished(self, result: HostResult) -> None:
        """Print what is left of the host's last line; with -v, its timing and counts."""
        with self._lock:
            rest = self._partial.pop(result.name, "")
            decoder = self._decoders.pop(result.name, None)
            if decoder is not None:
                rest += decoder.decode(b"", final=True)
            if rest and self.show_output:
                self._line(result.name, rest)
            if self.verbose:
                click.echo(self.finished_line(result), err=True)

    def finished_line(self, result: HostResult) -> str:
        """What -v says when a host is done: its time, connections and round trips."""
        what = "done" if result.ok else "failed"
        return (f"{result.name}: {what} in {result.seconds:.2f} s "
                f"({_count(result.connections, 'connection')}, "
                f"{_count(result.round_trips, 'round trip')})")

    def _line(self, name: str, line: str) -> None:
        click.echo(f"{name.ljust(self.width)} | {line.rstrip(chr(13))}",
                   err=not self.output_to_stdout)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def error_text(result: HostResult, *, verbose: bool = False) -> str:
    """A failed host's error as the user reads it, with the remote traceback if any."""
    error = result.error
    if isinstance(error, LispdeployError):
        text = error.render()
        if isinstance(error, RemoteEvalError) and error.remote_traceback.strip():
            text += "\n" + _indent(error.remote_traceback.rstrip())
        if not text.startswith(result.name):
            text = f"{result.name}: {text}"
        return text
    if isinstance(error, KeyboardInterrupt):
        return f"{result.name}: interrupted"
    text = f"{result.name}: internal error: {type(error).__name__}: {error}"
    if verbose:
        text += "\n" + "".join(traceback.format_exception(type(error), error,
                                                          error.__traceback__)).rstrip()
    return text


def short_reason(result: HostResult) -> str:
    """The first line of a failed host's error, for summaries."""
    error = result.error
    message = error.message if isinstance(error, LispdeployError) else str(error)
    if isinstance(error, KeyboardInterrupt):
        message = "interrupted"
    return (message or type(error).__name__).strip().splitlines()[0]


def summary(results: Sequence[HostResult], what: str) -> str:
    """`eval: 2 of 3 hosts succeeded; failed: db (connection refused)`."""
    failed = [r for r in results if not r.ok]
    succeeded = len(results) - len(failed)
    text = f"{what}: {succeeded} of {_count(len(results), 'host')} succeeded"
    if failed:
        text += "; failed: " + ", ".join(f"{r.name} ({short_reason(r)})" for r in failed)
    return text


def interrupted_command(stopped, names: Sequence[str]):
    """What Ctrl-C of `deploy -x` did on each host: (lines for a person, JSON document). The
    hosts whose command was running end it when their connection closes."""
    lines = ["interrupted:"]
    hosts = []
    width = max((len(n) for n in names), default=0)
    for name in names:
        result = stopped.results.get(name)
        if name not in stopped.contexts:
            state, text = "not-started", "not started: the command did not run there"
        elif result is not None and result.ok:
            state, text = "finished", "had finished (exit status 0)"
        elif result is not None and not isinstance(result.error, KeyboardInterrupt) and \
                "exit status" in str(result.error):
            state, text = "finished", f"had finished: {short_reason(result)}"
        else:
            state, text = "stopped", ("stopped: the connection was closed, so the host ends "
                                      "the command (SIGTERM to its processes, SIGKILL 5 s "
                                      "later)")
        lines.append(f"  {name.ljust(width)}  {text}")
        hosts.append({"host": name, "interrupted": state})
    return lines, {"hosts": hosts, "interrupted": True}


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def show_value(value: Any) -> str:
    """A value as a spec writer reads it: #t/#f, strings in quotes, lists in parentheses,
    tuples as #(...), dicts as {key value ...}, bytes as b"...", +inf.0 / +nan.0."""
    if value is True:
        return "#t"
    if value is False:
        return "#f"
    if value is None:
        return "None"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace(
            "\n", "\\n").replace("\t", "\\t") + '"'
    if isinstance(value, bytes):
        return "b" + show_value(value.decode("latin-1"))
    if isinstance(value, float):
        if math.isnan(value):
            return "+nan.0"
        if math.isinf(value):
            return "+inf.0" if value > 0 else "-inf.0"
        return repr(value)
    if isinstance(value, list):
        return "(" + " ".join(show_value(v) for v in value) + ")"
    if isinstance(value, tuple):
        return "#(" + " ".join(show_value(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + " ".join(f"{show_value(k)} {show_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def value_to_json(value: Any) -> Any:
    """A value as plain JSON: tuples as arrays, bytes as {"base64": ...}, inf and nan as the
    strings "inf", "-inf", "nan", a dict with non-string keys as [[key, value], ...]."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [value_to_json(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: value_to_json(v) for k, v in value.items()}
        return [[value_to_json(k), value_to_json(v)] for k, v in value.items()]
    return value


def result_to_json(result: HostResult, *, value: bool = True) -> Dict[str, Any]:
    """One host's result for `--json`."""
    out: Dict[str, Any] = {"host": result.name, "ok": result.ok,
                           "seconds": round(result.seconds, 3),
                           "connections": result.connections, "round-trips": result.round_trips}
    if result.ok:
        if value:
            out["value"] = value_to_json(result.value)
        return out
    error = result.error
    described: Dict[str, Any] = {"type": type(error).__name__, "message": short_reason(result)}
    if isinstance(error, LispdeployError):
        described["message"] = error.message
        described["location"] = str(error.location) if error.location else None
        described["hint"] = error.hint
    if isinstance(error, RemoteEvalError):
        described["remote-type"] = error.exception_type
        described["remote-kind"] = error.kind
        described["traceback"] = error.remote_traceback
    out["error"] = described
    return out


def results_to_json(results: List[HostResult], *, value: bool = True) -> Dict[str, Any]:
    """Every host's result, and the names of the hosts that failed."""
    return {"hosts": [result_to_json(r, value=value) for r in results],
            "failed": [r.name for r in results if not r.ok]}
