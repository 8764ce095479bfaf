"""Health checks that run on the host: commands, each attempt bounded in time, tried again a
few times, all in the one round trip the controller spends on them. Standard library only."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any, Dict, List

OUTPUT_LIMIT = 4000
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def run_checks(checks: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Run each check ({"argv", "timeout", "retries", "interval"}) until it passes or its
    attempts are spent; for each: {"ok", "attempts", "detail", "output"}."""
    return [_check(check) for check in checks]


def _check(check: Dict[str, Any]) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    for attempt in range(1, int(check["retries"]) + 2):
        if attempt > 1:
            time.sleep(float(check["interval"]))
        result = _attempt(check["argv"], float(check["timeout"]))
        result["attempts"] = attempt
        if result["ok"]:
            break
    return result


def _attempt(argv: List[str], timeout: float) -> Dict[str, Any]:
    environment = dict(os.environ)
    environment.setdefault("PATH", PATH)
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env=environment,
                                   start_new_session=True)
    except OSError as e:
        return {"ok": False, "detail": "{}: {}".format(argv[0], e.strerror), "output": ""}
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The whole process group: a check's children must not outlive it.
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        return {"ok": False, "detail": "no answer within {:g} s".format(timeout),
                "output": _tail(out)}
    status = process.returncode
    detail = "exit status {}".format(status) if status >= 0 else \
        "killed by signal {}".format(-status)
    return {"ok": status == 0, "detail": detail, "output": _tail(out)}


def _tail(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return text[-OUTPUT_LIMIT:]
