"""What a deploy (or a roll-back, a generation switch, a garbage collection) did on each host:
the result, the generation, the changes, the services restarted, what crossed the wire (all of
SSH's bytes, and the requests' and store items' share of them), the time, and
for a failure the step, the message and whether the host was rolled back.

Reports are plain values the ui renders as a table and `--json` prints as is.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from lispdeploy.errors import LispdeployError

DEPLOYED = "deployed"
UNCHANGED = "unchanged"
FAILED = "failed"
DRY_RUN = "dry-run"
SWITCHED = "switched"
NOT_TOUCHED = "not-touched"  # a stopped rollout never reached the host


class HostReport:
    """The outcome on one host (see the module docstring)."""

    def __init__(self, host: str, result: str, *, generation: Optional[int] = None,
                 previous: Optional[int] = None, changes: Optional[List[Dict[str, str]]] = None,
                 warnings: Optional[List[str]] = None, system: Optional[str] = None):
        self.host = host
        self.result = result
        self.generation = generation
        self.previous = previous
        self.changes = list(changes or ())
        self.warnings = list(warnings or ())
        self.system = system
        self.items_sent = 0
        # On the wire (SSH included), over every connection to the host.
        self.bytes_sent = 0
        self.bytes_received = 0
        # Of what was sent: the requests (programs, runtime, items), and the items' share.
        self.request_bytes_sent = 0
        self.item_bytes_sent = 0
        self.seconds = 0.0
        self.round_trips = 0
        self.connections = 0
        self.error: Optional[Dict[str, Any]] = None
        self.rolled_back: Optional[bool] = None
        self.plan: Optional[Dict[str, Any]] = None
        self.extra: Dict[str, Any] = {}

    @property
    def ok(self) -> bool:
        """Whether the host ended where it was asked to be."""
        return self.result != FAILED

    @property
    def restarted(self) -> List[str]:
        """Units this run restarted (or, in a dry run, would restart)."""
        if self.plan is not None:
            return list(self.plan.get("restart", ()))
        return [c["name"] for c in self.changes if c["kind"] == "unit" and c["action"] == "restart"]

    @property
    def reloaded(self) -> List[str]:
        """Units this run reloaded (or, in a dry run, would reload)."""
        if self.plan is not None:
            return list(self.plan.get("reload", ()))
        return [c["name"] for c in self.changes if c["kind"] == "unit" and c["action"] == "reload"]

    def fail(self, error: BaseException) -> "HostReport":
        """Record a failure (a LispdeployError keeps its step, hint and roll-back state)."""
        self.result = FAILED
        if isinstance(error, LispdeployError):
            self.error = {"message": error.message, "hint": error.hint,
                          "step": getattr(error, "step", "") or "",
                          "location": str(error.location) if error.location else None}
            rolled_back = getattr(error, "rolled_back", None)
            if rolled_back is not None:
                self.rolled_back = rolled_back
        else:
            self.error = {"message": f"{type(error).__name__}: {error}", "hint": None,
                          "step": "", "location": None}
        return self

    def to_json(self) -> Dict[str, Any]:
        """The report as JSON."""
        out: Dict[str, Any] = {
            "host": self.host, "result": self.result, "generation": self.generation,
            "previous-generation": self.previous, "system": self.system,
            "changes": self.changes, "restarted": self.restarted,
            "reloaded": self.reloaded, "warnings": self.warnings,
            "items-sent": self.items_sent, "bytes-sent": self.bytes_sent,
            "bytes-received": self.bytes_received, "request-bytes-sent": self.request_bytes_sent,
            "item-bytes-sent": self.item_bytes_sent,
            "seconds": round(self.seconds, 3), "round-trips": self.round_trips,
            "connections": self.connections}
        if self.error is not None:
            out["error"] = self.error
            out["rolled-back"] = self.rolled_back
        if self.plan is not None:
            out["plan"] = self.plan
        out.update(self.extra)
        return out
