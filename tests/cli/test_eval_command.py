"""`lispdeploy eval SPEC EXPR`, run as a user runs it, against container hosts."""

from __future__ import annotations

import json
import os
import re
import time

from lispdeploy.errors import ConnectionError_
from lispdeploy.machine import machine_remote_eval
from lispdeploy.remote.eval import remote_eval
from lispdeploy.spec.loader import evaluate, load_spec
from remote_hosts import OPERATING_SYSTEM, UNREACHABLE_ADDRESS, machine_form, run_cli


def test_values_of_every_host_and_the_unreachable_one_named(shared_fleet, write_spec):
    web, db = shared_fleet(2)
    spec = write_spec({"web": machine_form("web", web), "db": machine_form("db", db),
                       "ghost": machine_form("ghost", web, address=UNREACHABLE_ADDRESS)})
    result = run_cli("eval", spec, '#~(list (.strip (call-with-input-file "/etc/hostname" '
                                   'get-string-all)) (* 6 7) #t)')
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f'web: ("{web.host_name}" 42 #t)',
                                          f'db:  ("{db.host_name}" 42 #t)']
    assert re.search(rf"^ghost: {re.escape(spec)}:\d+:\d+: error: cannot connect to "
                     rf"{UNREACHABLE_ADDRESS}: connection refused$", result.stderr, re.M)
    assert result.stderr.rstrip().endswith(
        f"error: eval: 2 of 3 hosts succeeded; failed: ghost (cannot connect to "
        f"{UNREACHABLE_ADDRESS}: connection refused)")


def test_json_output(shared_fleet, write_spec):
    (web,) = shared_fleet(1)
    spec = write_spec({"web": machine_form("web", web)})
    result = run_cli("eval", "--json", spec, '#~{"bytes" b"\\x00" "tuple" #(1 2) "inf" '
                                             '(float "inf")}')
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    (host,) = document["hosts"]
    assert host["host"] == "web" and host["ok"] is True
    assert host["value"] == {"bytes": {"base64": "AA=="}, "tuple": [1, 2], "inf": "inf"}
    assert (host["connections"], host["round-trips"]) == (1, 1)
    assert document["failed"] == []


def test_remote_error_shows_the_traceback_at_spec_lines(shared_fleet, write_spec, tmp_path):
    (web,) = shared_fleet(1)
    spec = write_spec({"web": machine_form("web", web)})
    expression = tmp_path / "check.hy"
    expression.write_text('#~(do\n  (setv missing "/etc/no-such-file")\n'
                          '  (call-with-input-file missing get-string-all))\n')
    result = run_cli("eval", "--json", spec, "-f", str(expression))
    assert result.returncode == 1
    (host,) = json.loads(result.stdout)["hosts"]
    assert host["error"]["remote-type"] == "FileNotFoundError"
    assert host["error"]["location"] == f"{expression}:3"
    assert f'File "{expression}", line 3, in gexp' in host["error"]["traceback"]
    text = run_cli("eval", spec, "-f", str(expression))
    assert f"web: {expression}:3: error: FileNotFoundError: [Errno 2] No such file or " \
           "directory: '/etc/no-such-file'" in text.stderr
    assert f'    File "{expression}", line 3, in gexp (staged code line 2)' in text.stderr


def test_on_selects_machines_by_glob(shared_fleet, write_spec):
    # Three hosts: two machines of one spec on one host are refused (issue 10).
    web, other, db = shared_fleet(3)
    spec = write_spec({"web-1": machine_form("web-1", web),
                       "web-2": machine_form("web-2", other), "db": machine_form("db", db)})
    result = run_cli("eval", "--on", "web-*", spec, "#~(+ 1 1)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["web-1: 2", "web-2: 2"]
    result = run_cli("eval", "--on", "db,web-2", spec, "#~(+ 1 1)")
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["web-2", "db"]
    result = run_cli("eval", "--on", "cache", spec, "#~(+ 1 1)")
    assert result.returncode == 2
    assert "--on cache: no machine of the spec has a matching host name" in result.stderr
    assert "the host names are: web-1, web-2, db" in result.stderr


def test_the_expression_must_be_a_gexp(shared_fleet, write_spec):
    (web,) = shared_fleet(1)
    spec = write_spec({"web": machine_form("web", web)})
    result = run_cli("eval", spec, '(plain-file "x" "y")')
    assert result.returncode == 1
    assert "the expression must be a g-expression #~(...), got plain-file" in result.stderr
    result = run_cli("eval", spec)
    assert result.returncode == 2 and "give an expression, or -f FILE" in result.stderr


def test_verbose_streams_remote_output_and_counts(shared_fleet, write_spec):
    (web,) = shared_fleet(1)
    spec = write_spec({"web": machine_form("web", web)})
    result = run_cli("eval", "-v", spec, '#~(do (print "working...") (invoke "echo" "step 2") 3)')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "web: 3\n"
    assert "web | working...\nweb | step 2\n" in result.stderr
    assert re.search(r"^web: done in [\d.]+ s \(1 connection, 1 round trip\)$", result.stderr,
                     re.M)


SSHD_VERBOSE = """
(define sshd-verbose
  #~(do
      (call-with-output-file "/etc/ssh/sshd_config.d/10-lispdeploy-test-verbose.conf"
        (fn [port] (display "LogLevel VERBOSE\\n" port)))
      (invoke "systemctl" "reload" "ssh")))
;; By syslog identifier, not unit: journald may not attribute the last lines of a
;; connection's sshd process to ssh.service once that process has exited.
(define ssh-log
  #~(do
      (import subprocess)
      ;; By syslog identifier, not by unit: journald attributes a line to a unit from the
      ;; sender's cgroup, which a short-lived sshd session process may have left already.
      (. (subprocess.run ["journalctl" "-t" "sshd" "-t" "sshd-session" "--no-pager" "-o" "cat"]
                         :capture-output True :text True :check True) stdout)))
"""


def sessions_by_connection(log: str) -> dict:
    """Client port -> number of exec sessions, for every connection sshd accepted."""
    ports = re.findall(r"^Accepted publickey for \S+ from \S+ port (\d+)", log, re.M)
    sessions = re.findall(r"^Starting session: command for \S+ from \S+ port (\d+)", log, re.M)
    return {port: sessions.count(port) for port in ports}


def test_connections_and_round_trips_of_one_eval_from_sshd_log(fleet, write_spec, connect):
    """What sshd itself saw of one `lispdeploy eval` on one host: one connection, and one
    exec round trip (two when the gexp refers to a store item: a probe, then the run)."""
    (web,) = fleet(1)
    path = write_spec({"web": machine_form("web", web)}, SSHD_VERBOSE)
    spec = load_spec(path)
    remote_eval(connect(web), spec.module.sshd_verbose)
    # sshd re-executes itself on reload; connections opened before keep the old log level,
    # so the observer connects afterwards (once sshd listens again: bounded wait).
    for attempt in range(50):
        try:
            observer = connect(web)
            break
        except ConnectionError_:
            time.sleep(0.2)

    def new_connections(before: dict, sessions: int) -> dict:
        # journald may take a moment to have the last lines (longer on a loaded machine):
        # wait, bounded, until the connection shows the sessions expected, then compare.
        deadline = time.monotonic() + 60
        while True:
            seen = sessions_by_connection(remote_eval(observer, spec.module.ssh_log))
            new = {port: n for port, n in seen.items() if port not in before}
            if (new and sum(new.values()) >= sessions) or time.monotonic() > deadline:
                return new
            time.sleep(0.5)

    before = sessions_by_connection(remote_eval(observer, spec.module.ssh_log))
    result = run_cli("eval", path, "#~(+ 1 2)")
    assert result.returncode == 0, result.stderr
    new = new_connections(before, 1)
    assert list(new.values()) == [1]  # one connection, one exec

    before = sessions_by_connection(remote_eval(observer, spec.module.ssh_log))
    result = run_cli("eval", path, '#~(call-with-input-file #$(plain-file "n" "1") '
                                   'get-string-all)')
    assert result.returncode == 0, result.stderr
    assert list(new_connections(before, 2).values()) == [2]  # one connection: probe, run


def test_machines_of_other_environments_are_reached_through_their_delegate(fleet, tmp_path):
    """A container-environment machine: its environment delegates to a managed-host machine;
    eval and machine-remote-eval go through that, once the host exists."""
    name = fleet.new_name()  # destroyed after the test
    spec = tmp_path / "containers.hy"
    spec.write_text(OPERATING_SYSTEM + f"""
(define box (machine (operating-system (os-named "box"))
                     (environment container-environment-type)
                     (configuration (container-configuration (name "{name}")))))
(list box)
""")
    owner = {"LISPDEPLOY_CONTAINER_OWNER": str(os.getpid())}
    expression = '#~(.strip (call-with-input-file "/etc/hostname" get-string-all))'
    result = run_cli("eval", str(spec), expression, env=owner)
    assert result.returncode == 1  # eval never creates a host: only deploys do
    assert "its container host is not created yet" in result.stderr
    assert run_cli("container", "start", str(spec), env=owner).returncode == 0
    result = run_cli("eval", str(spec), expression, env=owner)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'box: "box"\n'
    loaded = load_spec(str(spec))
    assert machine_remote_eval(loaded.machines[0], evaluate(loaded, "#~(+ 40 2)")) == 42
