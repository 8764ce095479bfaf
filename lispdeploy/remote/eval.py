"""Evaluating g-expressions on a host (`remote-eval`, `machine-remote-eval`).

One evaluation is at most two round trips over the host's transport:

1. probe: which store items of the program's closure the host lacks (skipped when the program
   refers to no items, or when this connection already sent or saw them all);
2. run: `python3 -I -c BOOTSTRAP` (as root, through `sudo -n` for another user) reads the
   program, the missing items and the request on stdin (see `lispdeploy.hostside.protocol`),
   loads the host runtime the program names (sent once per host: a host that lacks it says
   so, and the request goes again with it; see `gexp.runtime`),
   writes each item atomically after checking its hash, runs the program with its stdout sent
   to stderr, and answers with one JSON document on stdout.

The host's stderr is streamed to `on_stderr` as it comes. A program that raises becomes a
`RemoteEvalError` carrying the host's traceback, its frames mapped to spec lines, and the
error's kind (`lispdeploy.hostside.contract.ERROR_KINDS`), from which the hint comes.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Iterable, List, Optional, Sequence

from lispdeploy.errors import HostError, RemoteEvalError
from lispdeploy.gexp.build import item_transfer
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.program import SOURCE_MAPS, LoweredProgram, ProgramBuilder
from lispdeploy.gexp.runtime import runtime_frame, runtime_item
from lispdeploy.location import Location
from lispdeploy.remote.transport import StderrCallback, Transport
from lispdeploy.store import StoreItem, closure
from lispdeploy.hostside import contract, protocol, values
from lispdeploy.hostside.program import SourceMap

PYTHON = "python3"
# transport.memo keys: the store paths this connection knows the host has, and those it sent.
_PRESENT = "store-paths-present"
# transport.memo key: store paths a probe of the caller's found missing (until sent).
_MISSING = "store-paths-missing"
_SENT = "store-paths-sent"
# transport.memo keys (named in remote.transport): bytes of the requests written to the host,
# and of the store items among them.
_REQUEST_BYTES = "request-bytes"
_ITEM_BYTES = "item-bytes"


def remote_eval(transport: Transport, gexp: Gexp, *, lowerer: Optional[Lowerer] = None,
                on_stderr: Optional[StderrCallback] = None) -> Any:
    """Evaluate `gexp` on the host of `transport` and return its value."""
    lowered = (lowerer or Lowerer()).lower_program("remote-eval", gexp)
    return run_lowered(transport, lowered, on_stderr=on_stderr, location=gexp.location)


def run_lowered(transport: Transport, program: LoweredProgram, *,
                on_stderr: Optional[StderrCallback] = None,
                location: Optional[Location] = None) -> Any:
    """Run a lowered program on the host, sending the items it needs; return its value.
    `location` is where errors without a better spec line point."""
    missing = _runtime_apart(transport, missing_items(transport, closure(program.items)))
    headers, payload = item_transfer(missing)
    document = _exchange(transport, program, {"op": "run", "items": headers}, payload,
                         on_stderr)
    _remember(transport, missing)
    return _value(transport, document, location, program.source_map)


def run_program(transport: Transport, item: StoreItem, *,
                on_stderr: Optional[StderrCallback] = None,
                location: Optional[Location] = None,
                source_map: Optional[SourceMap] = None) -> Any:
    """Run a program item (`Lowerer.program`, `program-file`) on the host, sending it and its
    closure if needed; return its value. It runs with the host runtime it names; `source_map`
    (by default the one this process made when lowering the item) gives its errors spec
    lines."""
    missing = _runtime_apart(transport, missing_items(transport, closure([item])))
    headers, payload = item_transfer(missing)
    document = _exchange(transport, _launcher(), {"op": "run-file", "items": headers,
                                                  "file": item.path}, payload, on_stderr)
    _remember(transport, missing)
    return _value(transport, document, location, source_map or SOURCE_MAPS.get(item.path))


def missing_items(transport: Transport, items: Sequence[StoreItem]) -> List[StoreItem]:
    """The items the host lacks: one round trip, unless this connection already knows."""
    present = _present(transport)
    unknown = [i for i in items if i.path not in present]
    if not unknown:
        return []
    known_missing = transport.memo.get(_MISSING, set())
    if all(i.path in known_missing for i in unknown):
        return unknown
    document = _exchange(transport, _launcher(), {"op": "probe",
                                                  "paths": [i.path for i in unknown]}, [], None)
    answer = _value(transport, document, None)
    lacking = set(answer["missing"])
    present.update(i.path for i in unknown if i.path not in lacking)
    return [i for i in unknown if i.path in lacking]


def send_items(transport: Transport, items: Iterable[StoreItem], *,
               on_stderr: Optional[StderrCallback] = None) -> List[StoreItem]:
    """Make sure the host has `items` and their closures; return those that were sent."""
    missing = missing_items(transport, closure(items))
    if missing:
        headers, payload = item_transfer(_runtime_apart(transport, missing))
        document = _exchange(transport, _launcher(), {"op": "run", "items": headers},
                             payload, on_stderr)
        _value(transport, document, None)
        _remember(transport, missing)
    return missing


def _runtime_apart(transport: Transport, missing: List[StoreItem]) -> List[StoreItem]:
    """`missing` without the host runtime, which travels in the runtime frame instead (it
    must be loaded before any item is received); noted as missing so that it does."""
    runtime = runtime_item().path
    if any(i.path == runtime for i in missing):
        transport.memo.setdefault(_MISSING, set()).add(runtime)  # type: ignore[union-attr]
    return [i for i in missing if i.path != runtime]


def remember_present(transport: Transport, paths: Iterable[str],
                     missing: Iterable[str] = ()) -> None:
    """Note store paths the host is known to have, and those it is known to lack (from a
    probe of the caller's own), so that sending and evaluating skip asking again."""
    _present(transport).update(paths)
    transport.memo.setdefault(_MISSING, set()).update(missing)  # type: ignore[union-attr]


def _present(transport: Transport) -> set:
    return transport.memo.setdefault(_PRESENT, set())  # type: ignore[return-value]


def _remember(transport: Transport, sent: Iterable[StoreItem],
              sent_bytes: Optional[int] = None) -> None:
    sent = list(sent)
    _present(transport).update(i.path for i in sent)
    transport.memo.get(_MISSING, set()).difference_update(i.path for i in sent)
    transport.memo.setdefault(_SENT, []).extend(i.path for i in sent)  # type: ignore[union-attr]
    item_bytes = sum(i.size for i in sent) if sent_bytes is None else sent_bytes
    transport.memo[_ITEM_BYTES] = transport.memo.get(_ITEM_BYTES, 0) + item_bytes


def sent_paths(transport: Transport) -> List[str]:
    """The store paths this connection has sent to its host, in order (for reports)."""
    return list(transport.memo.get(_SENT, []))  # type: ignore[call-overload]


def sent_bytes(transport: Transport) -> Dict[str, int]:
    """What this connection sent its host: `requests`, the bytes of every request (programs,
    runtime frames, items), and `items`, the store items' share of them."""
    return {"requests": int(transport.memo.get(_REQUEST_BYTES, 0)),  # type: ignore[arg-type]
            "items": int(transport.memo.get(_ITEM_BYTES, 0))}  # type: ignore[arg-type]


@functools.lru_cache(maxsize=1)
def _launcher() -> LoweredProgram:
    """A program with the runtime and no gexps: for probes, sending items, running items."""
    return LoweredProgram("lispdeploy", ProgramBuilder(_no_files).text(
        "lispdeploy", [], single=False), [])


def _no_files(obj):
    raise AssertionError("a program without gexps refers to no file")


def _exchange(transport: Transport, program: LoweredProgram, header: Dict,
              payload: List[bytes], on_stderr: Optional[StderrCallback]) -> Dict:
    """One run of `program` on the host. The runtime it names travels in the request's
    runtime frame only when the host lacks it: known from this connection, or answered by the
    host (`runtime-missing`, after which the same request goes again with the frame)."""
    runtime = program.runtime.path
    present = _present(transport)
    send = runtime in transport.memo.get(_MISSING, set()) and runtime not in present
    document = _run(transport, program.request(header, payload, send_runtime=send), on_stderr)
    if document.get("status") == "runtime-missing" and not send:
        send = True
        document = _run(transport, program.request(header, payload, send_runtime=True),
                        on_stderr)
    if document.get("status") == "runtime-missing":
        raise HostError(f"{transport.host} did not take the host runtime {runtime}",
                        host=transport.host)
    if send:
        _remember(transport, [program.runtime], sent_bytes=len(runtime_frame()))
    else:
        present.add(runtime)
    return document


def _run(transport: Transport, request: bytes, on_stderr: Optional[StderrCallback]) -> Dict:
    completed = transport.execute([PYTHON, "-I", "-c", protocol.BOOTSTRAP], request,
                                  privileged=True, on_stderr=on_stderr)
    transport.memo[_REQUEST_BYTES] = transport.memo.get(_REQUEST_BYTES, 0) + len(request)
    host = transport.host
    tail = completed.stderr.decode("utf-8", "replace").strip()
    if completed.exit_status == protocol.EXIT_PYTHON_TOO_OLD:
        raise HostError(f"{host}: {tail.splitlines()[-1] if tail else 'python3 is too old'}",
                        host=host, hint="install python3 3.9 or later on the host")
    if completed.exit_status == 127 and not completed.stdout:
        raise HostError(f"{host} has no python3 (or it is not on the PATH of SSH commands)",
                        host=host, hint="lispdeploy needs python3 (3.9 or later) on every "
                                        "host: apt-get install python3")
    try:
        return protocol.decode_document(completed.stdout)
    except ValueError as e:
        last = "\n".join(tail.splitlines()[-15:])
        raise HostError(f"the lispdeploy runner on {host} failed (exit status "
                        f"{completed.exit_status}): {e}" + (f"\n{last}" if last else ""),
                        host=host) from None


def _value(transport: Transport, document: Dict, location: Optional[Location],
           source_map: Optional[SourceMap] = None) -> Any:
    if document.get("status") == "ok":
        return values.decode(document["value"])
    error = document.get("error") or {}
    if source_map:
        error = source_map.describe(error)
    where = error.get("location") or {}
    if where.get("file"):
        location = Location(where["file"], where.get("line") or 0)
    name = error.get("type", "Error")
    kind = error.get("kind") or contract.KIND_PROGRAM
    raise RemoteEvalError(f"{name}: {error.get('message', '')}", host=transport.host,
                          location=location, remote_traceback=error.get("traceback", ""),
                          exception_type=name, kind=kind, hint=_HINTS.get(kind))


# What to tell the user about a remote error, by its kind (lispdeploy.hostside.contract).
_HINTS = {
    contract.KIND_VALUE_ENCODING: "the gexp ran; only its value cannot be returned",
    contract.KIND_UNDEFINED_NAME: (
        "what the spec defines or imports outside the gexp does not exist on the host: import "
        "inside the gexp, or splice the value in with #$"),
    contract.KIND_STORE: "the host could not store an item; check its disk (df /var/lib/lispdeploy)",
    contract.KIND_FORMAT: "the host's lispdeploy program is older than this one: deploy with "
                          "the lispdeploy that made the generation, or a newer one",
    contract.KIND_LOCKED: "wait for the other deploy to finish, then try again",
}
