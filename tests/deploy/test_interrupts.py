"""Ctrl-C during a deploy says, per host, what happens next (done, finishing, going back by
itself at a given time, untouched), and the exit status tells an interrupted deploy (130)
from one interrupted after every host had finished (the deploy's own status)."""

import json
import os
import signal
import subprocess
import sys
import time

from deploy_hosts import container_machine

LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")


def start(world, *args):
    return subprocess.Popen([LISPDEPLOY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=world.env, cwd=str(world.tmp_path))


def wait_for_line(stream, wanted, seen):
    """Read lines until one contains `wanted` (bounded by the test's own timeout)."""
    for line in stream:
        seen.append(line)
        if wanted in line:
            return
    raise AssertionError(f"{wanted!r} never came: {''.join(seen)}")


def interrupt(process, seen):
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return out, "".join(seen) + err


def test_ctrl_c_says_what_happens_next_on_each_host(world):
    names = [world.host_name() for _ in range(3)]
    def machine(n, host, extra):
        form = container_machine(f'(operating-system (host-name "{host}") '
                                 f'(timezone "Asia/Tokyo"))', names[n])
        return form[:-1] + f" {extra})"
    spec = world.write("(list " + "\n".join([
        machine(0, "canary", "(wave 0)"),
        machine(1, "web", "(wave 1) (health-checks (list (health-check (retries 0) (timeout 30)"
                          " (command '(\"sleep\" \"25\")))))"),
        machine(2, "later", "(wave 2)")]) + ")")
    process = start(world, "deploy", spec, "--confirm-timeout", "10")
    seen = []
    try:
        wait_for_line(process.stderr, "health checks (1)", seen)
        out, err = interrupt(process, seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    lines = err.rstrip().splitlines()
    at = lines.index("interrupted:")
    assert lines[at + 1] == "  canary  done: on generation 1, confirmed"
    assert lines[at + 2].startswith("  web     reverting: generation 1 was not confirmed; the "
                                    "host goes back to generation 0 by itself at ")
    assert lines[at + 2].endswith(" (its clock)")
    assert lines[at + 3] == "  later   untouched: its deploy had not started"
    assert world.engine.get(names[2]) is None

    # The host does go back by itself: its time zone is the one it had.
    deadline = time.monotonic() + 120
    while world.sh(names[1], "cat /etc/timezone").strip() == "Asia/Tokyo":
        assert time.monotonic() < deadline, "web never went back to generation 0"
        time.sleep(2)
    assert world.sh(names[1], "cat /etc/timezone").strip() == "Etc/UTC"
    assert world.sh(names[0], "cat /etc/timezone").strip() == "Asia/Tokyo"


SLOW = """
(import time)
(define (reach m)
  (machine (inherit m)
           (environment managed-host-environment-type)
           (configuration (machine-ssh-configuration (host-name "{address}")
                            (system "x86_64-linux") (identity "{identity}")
                            (host-key "{host_key}")))))

;; Deploys, then takes its time: Ctrl-C comes once the host has confirmed its generation.
(define slow-environment-type
  (environment-type
    (name 'slow-environment-type)
    (deploy-machine (lambda (m) (let ((report (deploy-machine (reach m))))
                                  (time.sleep 20)
                                  report)))))

(list (machine (operating-system (operating-system (host-name "slow") (timezone "Asia/Tokyo")))
               (environment slow-environment-type)))
"""


def test_ctrl_c_after_every_host_had_finished_keeps_the_deploy(world, fleet):
    (host,) = fleet(1)
    spec = world.write(SLOW.format(address=host.address, identity=host.identity,
                                   host_key=host.host_key))
    process = start(world, "deploy", spec, "--json")
    seen = []
    try:
        wait_for_line(process.stderr, "confirming over a new connection", seen)
        world.engine = fleet.engine
        deadline = time.monotonic() + 60
        while world.sh(host.name, "test -e /var/lib/lispdeploy/pending-confirmation && echo "
                                  "pending || echo confirmed").strip() != "confirmed":
            assert time.monotonic() < deadline
            time.sleep(0.5)
        out, err = interrupt(process, seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err + out
    assert "interrupted after every host had finished: the deploy is complete" in err
    (report,) = json.loads(out)["hosts"]
    assert (report["result"], report["generation"], report["confirmed"]) == ("deployed", 1, True)
