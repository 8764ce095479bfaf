"""The host agent: activations run as transient systemd units, independent of the SSH session
that asked for them, so that nothing the controller or the connection does (SIGKILL, Ctrl-C,
a lost connection, the host's sshd killed) can stop one half-way.

The agent is a program (the store item `lispdeploy-agent`, sent with every activation; it
embeds this runtime) run as `python3 -I AGENT COMMAND ...`:

    job DIR   run the job in DIR (an activation, a switch, a roll-back, a recovery): what the
              SSH side starts with systemd-run
    boot      at boot (lispdeploy-recover.service): recover an activation the stop
              interrupted, then watch a generation that awaited its confirmation
    watch     the confirmation watchdog (hostside.confirmation)

The SSH side (`detach`) writes the request in /var/lib/lispdeploy/jobs/<id>/request.json,
starts `systemd-run --unit=lispdeploy-<operation>-<id> ... AGENT job DIR` and follows the job:
it streams the job's log (`log`) to its own stderr, best effort, and returns the job's
`result.json` once it is there. If the SSH side is gone, the job goes on; its result stays
until the next job clears finished ones. A job whose process is killed (SIGKILL, the OOM killer) is started
again by systemd (`Restart=on-abnormal`) and recovers what it was doing; one stopped for good
left its activation journal: the next probe or boot recovers it.

Hosts without systemd run jobs inline, in the SSH session (signals that a lost connection
brings are ignored, output is best effort, and the journal still lets the next probe recover
an activation cut short). So does an activation that carries secret-files' content: a job's
request is a file on disk, and a secret is written nowhere but at its destination (see
docs/safety.md). Standard library only.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import sys
import time
from typing import Any, Callable, Dict, Optional

from lispdeploy.hostside import activation, confirmation, generations, journal, lease
from lispdeploy.hostside.commands import exists, run
from lispdeploy.hostside.contract import KIND_ACTIVATION, KIND_LOCKED, UNDONE, HostSideError
from lispdeploy.hostside.hoststate import ROOT, write_atomically
from lispdeploy.hostside.output import say

JOBS = os.path.join(ROOT, "jobs")
AGENT_LINK = os.path.join(ROOT, "agent")
BOOT_UNIT = "lispdeploy-recover.service"
UNIT_DIR = "/etc/systemd/system"
POLL_SECONDS = 0.05
# How long a job may take to show its process before the SSH side asks systemd about it.
START_GRACE_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 60


# The operations a job runs (arguments as JSON -> result as JSON).

def _activate(agent: Optional[str], system: str, who: str,
              confirm: Optional[Dict[str, Any]] = None,
              provenance: Optional[Dict[str, Any]] = None,
              holder: Optional[Dict[str, Any]] = None,
              secrets: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    if confirm is not None:
        confirm = {"watchdog": agent or confirm.get("watchdog"), "timeout": confirm["timeout"]}
    holder = dict(holder or {"id": None, "who": who})
    # The job, not the SSH session, holds the lease: it ends with the job, whatever happens
    # to the connection.
    with lease.changing(holder):
        return activation.activate(system, who=who, provenance=provenance, confirm=confirm,
                                   agent=agent, holder=holder,
                                   secrets={path: base64.b64decode(data)
                                            for path, data in (secrets or {}).items()}
                                   ).to_json()


def _switch(agent: Optional[str], number: Optional[int], who: str,
            lease_id: Optional[str] = None, failed: Optional[int] = None) -> Dict[str, Any]:
    with lease.changing({"id": lease_id, "who": who}):
        outcome = activation.switch_to(number, who=who, agent=agent, failed=failed)
    lease.release(lease_id)
    return outcome.to_json()


def _roll_back(agent: Optional[str], who: str) -> Dict[str, Any]:
    with lease.changing({"id": None, "who": who}):
        return activation.switch_to(activation.previous_generation(), who=who,
                                    agent=agent).to_json()


def _recover(agent: Optional[str], found: str,
             wait: float = activation.LOCK_WAIT_SECONDS) -> Any:
    return [r.to_json() for r in activation.recover(found, wait=wait)]


OPERATIONS: Dict[str, Callable[..., Any]] = {
    "activate": _activate, "switch": _switch, "roll-back": _roll_back, "recover": _recover}


# The SSH side --------------------------------------------------------------------------------


def can_detach(agent: Optional[str]) -> bool:
    """Whether jobs can run as systemd units here with the agent program `agent`."""
    return bool(agent) and os.path.isfile(agent) and os.path.isdir("/run/systemd/system") \
        and exists("systemd-run")


def perform(agent: Optional[str], operation: str, arguments: Dict[str, Any]) -> Any:
    """Run `operation` as a job (a transient unit) when the host can, else inline; its
    result. Errors come back as the HostSideError the job raised. Arguments that carry
    secrets always run inline: a job's arguments are written to its request.json, and a
    secret's content must stay in memory until it is written at its destination."""
    detachable = can_detach(agent)
    if arguments.get("secrets") or not detachable:
        if detachable:
            # Inline for its secrets, on a host with systemd: a stop cutting it short is
            # still recovered at boot, and a generation awaiting confirmation still watched.
            install_boot_unit(agent)
        _ignore_disconnection()
        return _run(agent, operation, arguments)
    return detach(agent, operation, arguments)


def _ignore_disconnection() -> None:
    # Inline, the job shares the SSH session: a lost connection must not stop it half-way.
    for name in ("SIGHUP", "SIGPIPE", "SIGINT"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def _run(agent: Optional[str], operation: str, arguments: Dict[str, Any]) -> Any:
    return OPERATIONS[operation](agent, **arguments)


def detach(agent: str, operation: str, arguments: Dict[str, Any]) -> Any:
    """Start the job as a transient unit and follow it (see the module docstring)."""
    _clear_finished_jobs()
    job = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    directory = os.path.join(JOBS, job)
    os.makedirs(JOBS, mode=0o700, exist_ok=True)
    os.mkdir(directory, 0o700)
    write_atomically(os.path.join(directory, "request.json"), json.dumps(
        {"operation": operation, "arguments": arguments}).encode(), 0o600)
    with open(os.path.join(directory, "log"), "wb"):
        pass
    unit = f"lispdeploy-{operation}-{job}"
    started = run(["systemd-run", f"--unit={unit}", "--collect", "--quiet",
                   f"--description=lispdeploy: {operation} ({arguments.get('who', '')})",
                   "--property=KillMode=mixed",
                   f"--property=TimeoutStopSec={STOP_TIMEOUT_SECONDS}",
                   # Killed (SIGKILL, the OOM killer...), the agent starts again and
                   # recovers what it was doing (see run_job).
                   "--property=Restart=on-abnormal", "--property=RestartSec=1",
                   sys.executable, "-I", agent, "job", directory], check=False)
    if started.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise HostSideError(f"cannot start the {operation} as a systemd unit: "
                            + (started.stderr or started.stdout).strip(), kind=KIND_ACTIVATION)
    return _follow(directory, unit)


def _follow(directory: str, unit: str) -> Any:
    result_path = os.path.join(directory, "result.json")
    began = time.monotonic()
    streaming = True
    with open(os.path.join(directory, "log"), "rb") as log:
        while True:
            done = os.path.exists(result_path)
            chunk = log.read()
            if chunk and streaming:
                streaming = _forward(chunk)
            if done:
                with open(result_path, encoding="utf-8") as f:
                    result = json.load(f)
                shutil.rmtree(directory, ignore_errors=True)
                return _value(result)
            if not _running(directory, unit, began):
                if os.path.exists(result_path):
                    continue
                raise HostSideError(
                    f"the activation's process ({unit}) ended without a result; its activation "
                    "journal stays, and the host finishes or undoes it at the next deploy, "
                    f"probe or boot (journalctl -u {unit} may say why)", kind=KIND_ACTIVATION)
            time.sleep(POLL_SECONDS)


def _forward(chunk: bytes) -> bool:
    """Pass the job's output on; False once nobody reads it any more."""
    try:
        sys.stderr.buffer.write(chunk)
        sys.stderr.flush()
        return True
    except (OSError, ValueError, AttributeError):
        return False


def _running(directory: str, unit: str, began: float) -> bool:
    try:
        with open(os.path.join(directory, "pid"), encoding="ascii") as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        if time.monotonic() - began < START_GRACE_SECONDS:
            return True
        state = run(["systemctl", "is-active", unit], check=False).stdout.strip()
        return state in ("active", "activating", "reloading")
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except ProcessLookupError:
        pass
    # Gone: systemd may be about to start it again (Restart=on-abnormal).
    state = run(["systemctl", "is-active", unit], check=False).stdout.strip()
    return state in ("active", "activating", "reloading")


def _value(result: Dict[str, Any]) -> Any:
    if result.get("status") == "ok":
        return result.get("value")
    error = result.get("error") or {}
    message = error.get("message", "the activation failed")
    if error.get("kind") == KIND_LOCKED:
        raise generations.LockedError(message)
    raise HostSideError(message, kind=error.get("kind") or KIND_ACTIVATION)


def _clear_finished_jobs() -> None:
    """Remove the jobs whose result nobody collected (their SSH side went away)."""
    try:
        names = os.listdir(JOBS)
    except FileNotFoundError:
        return
    for name in names:
        directory = os.path.join(JOBS, name)
        if os.path.exists(os.path.join(directory, "result.json")):
            shutil.rmtree(directory, ignore_errors=True)


# The job, in its unit ------------------------------------------------------------------------


def run_job(directory: str) -> None:
    """Run the job in `directory` (see the module docstring)."""
    log = os.open(os.path.join(directory, "log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                  0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    signal.signal(signal.SIGTERM, journal.request_stop)
    for name in ("SIGHUP", "SIGINT"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    write_atomically(os.path.join(directory, "pid"), str(os.getpid()).encode(), 0o600)
    agent = _this_agent() or os.path.abspath(sys.argv[0])
    with open(os.path.join(directory, "request.json"), encoding="utf-8") as f:
        request = json.load(f)
    install_boot_unit(agent)
    begun = os.path.join(directory, "begun")
    try:
        if os.path.exists(begun):
            document = _after_restart(agent, request)
        else:
            write_atomically(begun, b"", 0o600)
            document = {"status": "ok",
                        "value": _run(agent, request["operation"], request["arguments"])}
    except journal.Interrupted as e:
        say(f"lispdeploy: {e}")
        sys.exit(75)
    except Exception as e:
        kind = getattr(e, "kind", None) if isinstance(e, HostSideError) else None
        message = str(e) if isinstance(e, HostSideError) else f"{type(e).__name__}: {e}"
        document = {"status": "error", "error": {"type": type(e).__name__, "message": message,
                                                 "kind": kind or KIND_ACTIVATION}}
    if document.get("status") == "ok":
        remove_boot_unit_if_idle()
    write_atomically(os.path.join(directory, "result.json"), json.dumps(document).encode(),
                     0o600)


def _after_restart(agent: str, request: Dict[str, Any]) -> Dict[str, Any]:
    """The job's process was killed and systemd started it again: recover what it was doing
    (nothing, if it was killed outside an activation) and say so as the job's error."""
    say(f"lispdeploy: the {request['operation']} was killed; recovering")
    recovered = activation.recover("restart")
    if not recovered:
        message = (f"the {request['operation']}'s process was killed; it left nothing "
                   f"half-done: the host is on generation {generations.current() or 0}")
    else:
        r = recovered[0]
        outcome = r.outcome
        where = outcome.generation if outcome is not None else None
        message = (f"the {request['operation']}'s process was killed"
                   + (f" (at: {r.step})" if r.step else "") + "; the host "
                   + ("undid it" if r.action == UNDONE else "finished it")
                   + f" and is on generation {where or 0}")
        if outcome is not None and outcome.error:
            message += f" (but: {outcome.error})"
    return {"status": "error", "error": {"type": "Killed", "message": message,
                                         "kind": KIND_ACTIVATION}}


def boot_unit_text(python: str) -> str:
    """lispdeploy-recover.service: runs at boot only when something was left pending."""
    return ("[Unit]\n"
            "Description=lispdeploy: finish or undo an activation a stop interrupted, watch "
            "an unconfirmed generation\n"
            f"ConditionPathExists=|{journal.JOURNAL}\n"
            f"ConditionPathExists=|{confirmation.PENDING}\n"
            "After=multi-user.target\n\n"
            "[Service]\n"
            "Type=exec\n"
            f"ExecStart={python} -I {AGENT_LINK} boot\n"
            "KillMode=mixed\n"
            f"TimeoutStopSec={STOP_TIMEOUT_SECONDS}\n\n"
            "[Install]\n"
            "WantedBy=multi-user.target\n")


def install_boot_unit(agent: str) -> None:
    """Make `agent` the program lispdeploy-recover.service runs at boot, and the unit present
    and enabled (nothing is written when they already are)."""
    if not os.path.isdir(UNIT_DIR):
        return
    if not (os.path.islink(AGENT_LINK) and os.readlink(AGENT_LINK) == agent):
        tmp = f"{AGENT_LINK}.{os.getpid()}.tmp"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(agent, tmp)
        os.replace(tmp, AGENT_LINK)
    path = os.path.join(UNIT_DIR, BOOT_UNIT)
    text = boot_unit_text(sys.executable)
    try:
        with open(path, encoding="utf-8") as f:
            same = f.read() == text
    except OSError:
        same = False
    if not same:
        write_atomically(path, text.encode(), 0o644)
    wants = os.path.join(UNIT_DIR, "multi-user.target.wants")
    link = os.path.join(wants, BOOT_UNIT)
    if not os.path.lexists(link):
        os.makedirs(wants, mode=0o755, exist_ok=True)
        os.symlink(path, link)


def remove_boot_unit_if_idle() -> None:
    """Back on generation 0 with nothing pending, the host is as it was before lispdeploy:
    its boot unit goes too (the next activation installs it again before any change)."""
    if generations.current() or os.path.exists(journal.JOURNAL) or \
            os.path.exists(confirmation.PENDING):
        return
    for path in (os.path.join(UNIT_DIR, "multi-user.target.wants", BOOT_UNIT),
                 os.path.join(UNIT_DIR, BOOT_UNIT)):
        if os.path.lexists(path):
            os.unlink(path)


def boot() -> None:
    """At boot: recover an interrupted activation, then watch a pending confirmation."""
    signal.signal(signal.SIGTERM, journal.request_stop)
    try:
        activation.recover("boot")
        confirmation.watch(_this_agent())
    except journal.Interrupted as e:
        say(f"lispdeploy: {e}")
        sys.exit(75)


def _this_agent() -> Optional[str]:
    """The store path of the agent program running now (the link at boot resolved)."""
    path = os.path.realpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return path if os.path.isfile(path) else None


def main() -> None:
    """The agent program's entry point: `AGENT job DIR`, `AGENT boot`, `AGENT watch`."""
    arguments = sys.argv[1:]
    command = arguments[0] if arguments else "watch"
    if command == "job" and len(arguments) == 2:
        run_job(arguments[1])
    elif command == "boot":
        boot()
    elif command == "watch":
        signal.signal(signal.SIGTERM, journal.request_stop)
        try:
            confirmation.watch(_this_agent())
        except journal.Interrupted as e:
            say(f"lispdeploy: {e}")
            sys.exit(75)
    else:
        raise SystemExit(f"lispdeploy agent: unknown command {' '.join(arguments)!r}")
