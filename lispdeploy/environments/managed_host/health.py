"""Running a machine's health checks after its new generation is activated: the command
checks on the host (one round trip for all of them, attempts and retries included), the URL
checks from the controller (urllib: no redirects followed, the status as the server sends it).
`HealthResult`s come back in the order the machine declares its checks.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from lispdeploy.gexp.program import function_call
from lispdeploy.health_checks import HealthCheck
from lispdeploy.remote.eval import remote_eval

BODY_LIMIT = 1024 * 1024
SHOWN = 2000


@dataclass
class HealthResult:
    """One check's outcome: passed or not, after how many attempts, why, and what it saw."""

    check: HealthCheck
    ok: bool
    attempts: int
    detail: str
    output: str = ""

    def to_json(self) -> Dict[str, Any]:
        """The result for reports."""
        return {"check": self.check.label, "ok": self.ok, "attempts": self.attempts,
                "detail": self.detail, "output": self.output}

    def describe(self) -> str:
        """The failure as the report shows it."""
        tries = f" ({self.attempts} attempts)" if self.attempts > 1 else ""
        text = f"health check '{self.check.label}' failed{tries}: {self.detail}"
        shown = self.output.strip()
        if shown:
            if len(shown) > SHOWN:
                shown = "..." + shown[-SHOWN:]
            text += "\n" + "\n".join("  " + line for line in shown.splitlines())
        return text


def budget(checks: Sequence[HealthCheck]) -> float:
    """The longest the checks can take (every attempt timing out)."""
    return sum((c.retries + 1) * c.timeout + c.retries * c.interval for c in checks)


def run_health_checks(checks: Sequence[HealthCheck], transport, *, address: str,
                      on_stderr=None, interrupted: Optional[threading.Event] = None
                      ) -> List[HealthResult]:
    """Run the checks against the host at `address` (command checks over `transport`);
    `interrupted` (Ctrl-C) stops them between two attempts."""
    interrupted = interrupted or threading.Event()
    commands = [c for c in checks if c.command is not None]
    answers: Dict[int, Dict[str, Any]] = {}
    if commands:
        results = remote_eval(transport, function_call(
            "lispdeploy.hostside.health.run_checks",
            [{"argv": list(c.command), "timeout": c.timeout, "retries": c.retries,
              "interval": c.interval} for c in commands]), on_stderr=on_stderr)
        answers = {id(c): r for c, r in zip(commands, results)}
    out = []
    for check in checks:
        if check.command is not None:
            answer = answers[id(check)]
            out.append(HealthResult(check, bool(answer["ok"]), int(answer["attempts"]),
                                    str(answer["detail"]), str(answer.get("output") or "")))
        else:
            out.append(_url_check(check, address, interrupted))
    return out


def _url_check(check: HealthCheck, address: str, interrupted: threading.Event
               ) -> HealthResult:
    url = (check.url or "").replace("{address}", address)
    result = HealthResult(check, False, 0, "not run")
    for attempt in range(1, check.retries + 2):
        if attempt > 1 and interrupted.wait(check.interval) or interrupted.is_set():
            raise KeyboardInterrupt("interrupted")
        ok, detail, body = _fetch(check, url)
        result = HealthResult(check, ok, attempt, detail, "" if ok else body)
        if ok:
            break
    return result


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _fetch(check: HealthCheck, url: str):
    """(passed, why, body) of one GET of `url`."""
    context: Optional[ssl.SSLContext] = None
    if url.startswith("https:"):
        context = ssl.create_default_context(cafile=check.ca_certificate)
        if not check.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    opener = urllib.request.build_opener(_NoRedirects(),
                                         urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers={"User-Agent": "lispdeploy-health-check"})
    try:
        with opener.open(request, timeout=check.timeout) as response:
            status, body = response.status, response.read(BODY_LIMIT)
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read(BODY_LIMIT) if e.fp is not None else b""
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return False, f"GET {url}: no answer within {check.timeout:g} s", ""
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror.lower()
        return False, f"GET {url}: {reason}", ""
    text = body.decode("utf-8", "replace")
    if status != check.status:
        return False, f"GET {url}: status {status}, expected {check.status}", text
    if check.body is not None and check.body not in text:
        return False, f"GET {url}: status {status}, but the body lacks {check.body!r}", text
    return True, f"GET {url}: status {status}", ""
