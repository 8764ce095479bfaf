"""`lispdeploy deploy SPEC -x -- COMMAND ARGS...`, run as a user runs it, on container hosts."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

from remote_hosts import UNREACHABLE_ADDRESS, machine_form, run_cli

# Prints when it starts and ends (seconds since the epoch), with a pause between.
TIMED = ["sh", "-c", 'echo "start $(date +%s.%N)"; sleep 2; echo "end $(date +%s.%N)"; '
                     'echo "to stderr" >&2']


def test_a_command_on_three_hosts_in_parallel(shared_fleet, write_spec):
    hosts = shared_fleet(3)
    spec = write_spec({f"web{i}": machine_form(f"web{i}", h) for i, h in enumerate(hosts)})
    result = run_cli("deploy", spec, "-x", "--", *TIMED)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    starts, ends = {}, {}
    for line in lines:
        match = re.fullmatch(r"(web\d) \| (start|end) ([\d.]+)", line)
        if match:
            (starts if match[2] == "start" else ends)[match[1]] = float(match[3])
    assert sorted(starts) == sorted(ends) == ["web0", "web1", "web2"]
    # Parallel: every host started before any of them finished.
    assert max(starts.values()) < min(ends.values())
    for name in starts:
        assert f"{name} | to stderr" in lines
    assert result.stderr == "deploy -x: 3 of 3 hosts succeeded\n"


def test_failures_are_summarized_and_the_other_hosts_still_run(shared_fleet, write_spec):
    web, db = shared_fleet(2)
    spec = write_spec({"web": machine_form("web", web), "db": machine_form("db", db),
                       "ghost": machine_form("ghost", web, address=UNREACHABLE_ADDRESS)})
    # Fails on db only: the argv goes through no shell of ours, so `$(hostname)` is sh's.
    command = ["sh", "-c", f'echo "on $(hostname)"; test "$(hostname)" != "{db.host_name}"']
    result = run_cli("deploy", spec, "-x", "--", *command)
    assert result.returncode == 1
    # Prefixes are aligned on the longest host name (ghost).
    assert f"web   | on {web.host_name}" in result.stdout.splitlines()
    assert f"db    | on {db.host_name}" in result.stdout.splitlines()
    assert "db: error: sh failed with exit status 1" in result.stderr
    assert "ghost" in result.stderr and "connection refused" in result.stderr
    assert result.stderr.rstrip().endswith(
        "error: deploy -x: 1 of 3 hosts succeeded; failed: db (sh failed with exit status 1), "
        f"ghost (cannot connect to {UNREACHABLE_ADDRESS}: connection refused)")


def test_arguments_reach_the_command_unchanged(shared_fleet, write_spec):
    (web,) = shared_fleet(1)
    spec = write_spec({"web": machine_form("web", web)})
    tricky = ["$(touch /tmp/pwned)", "a b", "'quoted'", '"double"', "semi;colon", "é", ""]
    result = run_cli("deploy", spec, "-x", "--", "printf", "[%s]\\n", *tricky)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"web | [{arg}]" for arg in tricky]
    check = run_cli("deploy", spec, "-x", "--", "test", "!", "-e", "/tmp/pwned")
    assert check.returncode == 0


def test_missing_command_and_missing_program(shared_fleet, write_spec):
    (web,) = shared_fleet(1)
    spec = write_spec({"web": machine_form("web", web)})
    result = run_cli("deploy", spec, "-x")
    assert result.returncode == 2 and "-x needs a command to run" in result.stderr
    result = run_cli("deploy", spec, "-x", "--", "no-such-program-here")
    assert result.returncode == 1
    assert "web | no-such-program-here: No such file or directory" in result.stdout
    assert "no-such-program-here failed with exit status 127 (command not found?)" in \
        result.stderr


def test_ctrl_c_stops_the_remote_commands_and_says_so(shared_fleet, write_spec, connect):
    web, db = shared_fleet(2)
    spec = write_spec({"web": machine_form("web", web), "db": machine_form("db", db)})
    script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
    marker = f"sleep {300 + os.getpid() % 300}"  # this test's own command, on both hosts
    process = subprocess.Popen([script, "deploy", spec, "-x", "--", "sh", "-c",
                                f"echo started; {marker}; echo never"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = {process.stdout.readline().split()[0], process.stdout.readline().split()[0]}
        assert seen == {"web", "db"}
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert "never" not in stdout
    assert stderr.rstrip().splitlines()[-3:] == [
        "interrupted:",
        "  web  stopped: the connection was closed, so the host ends the command (SIGTERM to "
        "its processes, SIGKILL 5 s later)",
        "  db   stopped: the connection was closed, so the host ends the command (SIGTERM to "
        "its processes, SIGKILL 5 s later)"]
    for host in (web, db):
        transport = connect(host)
        deadline = time.monotonic() + 30
        while True:  # the host notices the closed connection within a second or so
            left = transport.execute(["pgrep", "-f", marker]).stdout.decode().split()
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert left == [], f"{marker} still runs on {host.name}"


def test_json_report_of_a_command(shared_fleet, write_spec):
    web, db = shared_fleet(2)
    spec = write_spec({"web": machine_form("web", web), "db": machine_form("db", db)})
    command = ["sh", "-c", f'echo "on $(hostname)"; test "$(hostname)" != "{db.host_name}"']
    result = run_cli("deploy", spec, "-x", "--json", "--", *command)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert [(h["host"], h["ok"], h["exit-status"], h["output"]) for h in document["hosts"]] == [
        ("web", True, 0, f"on {web.host_name}\n"), ("db", False, 1, f"on {db.host_name}\n")]
    assert document["failed"] == ["db"]
    assert "db: error: sh failed with exit status 1" in result.stderr
