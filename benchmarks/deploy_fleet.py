"""How long `lispdeploy deploy` takes for 1 and for 10 container hosts: the first deploy (hosts
created and booted, systems built, items sent, generations activated), a no-op deploy of the
same spec, and a change that restarts one service on every host.

    sudo .venv/bin/python benchmarks/deploy_fleet.py [--sizes 1,10]

Each size runs `lispdeploy deploy` as a user would (the command line, wall clock), with the
default parallelism (--jobs 8) and with --jobs equal to the number of hosts. Hosts belong to
this process (LISPDEPLOY_CONTAINER_OWNER) and are destroyed at the end, also on failure.
Prints a table and writes it to benchmarks/results/deploy_fleet.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from lispdeploy.environments.container import ContainerEngine

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                       "deploy_fleet.txt")
LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")

SPEC = """
(use-modules (gnu))
(use-service-modules ssh web)
(define (server n)
  (operating-system
    (host-name (format #f "bench-~a" n))
    (users (cons (user-account (name "ada") (group "users")) %base-user-accounts))
    (services (append (list (service openssh-service-type
                                     (openssh-configuration
                                      (permit-root-login 'prohibit-password)
                                      (x11-forwarding? {x11})))
                            (service nginx-service-type
                                     (nginx-configuration
                                      (server-blocks
                                       (list (nginx-server-configuration
                                              (root "/var/www/html")))))))
                      %base-services))))
(map (lambda (n)
       (machine (operating-system (server n))
                (environment container-environment-type)
                (configuration (container-configuration
                                (name (format #f "{prefix}~a" n))))))
     (iota {count} 1))
"""


def deploy(spec: str, env: dict, jobs: int) -> tuple:
    started = time.monotonic()
    done = subprocess.run([LISPDEPLOY, "deploy", spec, "--json", "--jobs", str(jobs)],
                          capture_output=True, text=True, env=env, timeout=1800)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"deploy failed:\n{done.stderr}")
    hosts = json.loads(done.stdout)["hosts"]
    return seconds, hosts


def measure(count: int, jobs: int, directory: str, env: dict) -> dict:
    prefix = f"ldbench-{os.getpid()}-{count}-{jobs}-"
    spec = os.path.join(directory, f"spec-{count}-{jobs}.hy")
    changed = os.path.join(directory, f"changed-{count}-{jobs}.hy")
    with open(spec, "w") as f:
        f.write(SPEC.format(x11="#f", prefix=prefix, count=count))
    with open(changed, "w") as f:
        f.write(SPEC.format(x11="#t", prefix=prefix, count=count))
    engine = ContainerEngine()
    try:
        first, hosts = deploy(spec, env, jobs)
        noop, again = deploy(spec, env, jobs)
        change, after = deploy(changed, env, jobs)
        assert all(h["result"] == "unchanged" for h in again)
        assert all(h["restarted"] == ["ssh.service"] for h in after)
        return {"hosts": count, "jobs": jobs, "first": first, "noop": noop, "change": change,
                "round-trips-noop": max(h["round-trips"] for h in again),
                "round-trips-first": max(h["round-trips"] for h in hosts)}
    finally:
        for n in range(1, count + 1):
            engine.destroy(f"{prefix}{n}", missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10")
    args = parser.parse_args()
    env = {**os.environ, "LISPDEPLOY_CONTAINER_OWNER": str(os.getpid())}
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        env["LISPDEPLOY_CACHE_DIR"] = os.path.join(directory, "cache")
        for count in (int(s) for s in args.sizes.split(",")):
            for jobs in sorted({min(8, count), count}):
                rows.append(measure(count, jobs, directory, env))
                print(rows[-1], file=sys.stderr)
    lines = [f"lispdeploy deploy, container hosts ({platform.machine()}, "
             f"{os.cpu_count()} CPUs), wall clock of the command",
             "",
             f"{'hosts':>5} {'jobs':>4} {'first deploy':>13} {'no-op':>7} {'change':>7}"
             f"  round trips (first, no-op)"]
    for r in rows:
        lines.append(f"{r['hosts']:>5} {r['jobs']:>4} {r['first']:>12.1f}s {r['noop']:>6.1f}s "
                     f"{r['change']:>6.1f}s  {r['round-trips-first']}, {r['round-trips-noop']}")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
