"""Two deploys to one host, whatever their timing: the second fails at once naming the first
(who, since when, which spec) or, with --wait-lock, waits for it; it never reports
`unchanged` for a host the other is changing, and changes nothing itself."""

import json
import os
import subprocess
import sys
import time

from deploy_hosts import container_machine

LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")


def spec(world, name, directory, *, zone, snippet=0, check=0):
    """A spec whose activation takes `snippet` seconds and whose health check `check`."""
    services = (f"(list (simple-service 'slow activation-service-type "
                f"#~(invoke \"sleep\" \"{snippet}\")))" if snippet else "'()")
    form = container_machine(f'(operating-system (host-name "locked") (timezone "{zone}") '
                             f'(services (append {services} %base-services)))', name)
    if check:
        form = form[:-1] + (f" (health-checks (list (health-check (retries 0) (timeout 60) "
                            f"(command '(\"sleep\" \"{check}\"))))))")
    return world.write(f"(list {form})", f"{directory}/spec.hy")


def start(world, *args):
    return subprocess.Popen([LISPDEPLOY, "deploy", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=world.env,
                            cwd=str(world.tmp_path))


def wait_for(process, wanted):
    """Read the deploy's progress until a line contains `wanted`; the lines read."""
    seen = []
    for line in process.stderr:
        seen.append(line)
        if wanted in line:
            return seen
    raise AssertionError(f"{wanted!r} never came:\n{''.join(seen)}")


def finish(process, seen=()):
    out, err = process.communicate(timeout=300)
    return process.returncode, out, "".join(seen) + err


def holder_text(spec_path):
    who = f"lispdeploy deploy by root@{os.uname().nodename}"
    return f"another deploy is changing this host: {who} since ", f"(spec {spec_path})"


def test_a_second_deploy_fails_at_once_naming_the_first(world):
    name = world.host_name()
    assert world.lispdeploy("deploy", spec(world, name, "v0", zone="Etc/UTC")).returncode == 0

    # While the first one activates.
    slow = spec(world, name, "v1", zone="Europe/Oslo", snippet=10)
    first = start(world, slow)
    seen = wait_for(first, "activating")
    done = world.lispdeploy("deploy", slow, "--json")
    assert done.returncode == 1
    (report,) = json.loads(done.stdout)["hosts"]
    assert (report["result"], report["error"]["step"]) == ("failed", "lock")
    opening, spec_part = holder_text(slow)
    assert report["error"]["message"].startswith(opening)
    assert report["error"]["message"].endswith(f"{spec_part}, activating now")
    assert report["error"]["hint"] == ("wait for it to end, or let the deploy wait for the "
                                       "host: --wait-lock SECONDS")
    status, out, err = finish(first, seen)
    assert status == 0, err

    # While the first one's new generation runs its health check, before its confirmation:
    # the host already runs the second's system, which must not be "unchanged".
    checked = spec(world, name, "v2", zone="Europe/Rome", check=15)
    first = start(world, checked)
    seen = wait_for(first, "health checks (1)")
    done = world.lispdeploy("deploy", checked, "--json")
    assert done.returncode == 1, done.stdout
    (report,) = json.loads(done.stdout)["hosts"]
    assert report["result"] == "failed" and report["error"]["step"] == "lock"
    opening, spec_part = holder_text(checked)
    assert report["error"]["message"].startswith(opening)
    assert f"{spec_part}, until its new generation is confirmed, at the latest " in \
        report["error"]["message"]
    dry = world.lispdeploy("deploy", checked, "--dry-run")
    assert dry.returncode == 1 and "another deploy is changing this host" in dry.stderr
    assert "no change" not in dry.stdout

    # --wait-lock waits until the host is free, then finds nothing left to do.
    waiting = start(world, checked, "--wait-lock", "120", "--json")
    seen_waiting = wait_for(waiting, "waiting for the host")
    status, out, err = finish(first, seen)
    assert status == 0, err
    status, out, err = finish(waiting, seen_waiting)
    assert status == 0, err
    assert json.loads(out)["hosts"][0]["result"] == "unchanged"
    assert world.sh(name, "cat /etc/timezone").strip() == "Europe/Rome"


def test_two_deploys_started_together(world):
    name = world.host_name()
    assert world.lispdeploy("deploy", spec(world, name, "v0", zone="Etc/UTC")).returncode == 0
    both = spec(world, name, "v1", zone="Asia/Tokyo", snippet=6)
    first, second = start(world, both, "--json"), start(world, both, "--json")
    results = [finish(first), finish(second)]
    reports = [json.loads(out)["hosts"][0] for _, out, _ in results]
    outcomes = sorted((r["result"], (r.get("error") or {}).get("step")) for r in reports)
    assert outcomes == [("deployed", None), ("failed", "lock")], results
    loser = next(r for r in reports if r["result"] == "failed")
    assert loser["error"]["message"].startswith("another deploy is changing this host: "
                                                "lispdeploy deploy by root@")
    listing = json.loads(world.lispdeploy("generations", both, "--json").stdout)
    assert [g["number"] for g in listing["hosts"][0]["generations"]] == [1, 2]
