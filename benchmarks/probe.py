"""The probe and what it serves: round trips and wall clock of a dry run with changes pending,
of a no-op deploy, and of the probe call alone, on one container host.

    sudo .venv/bin/python benchmarks/probe.py [--rounds N] [--label NAME]

A spec (openssh, a shepherd service, a user, base services) is deployed to a fresh container
host; then, for each round, `deploy --dry-run --json` of a changed spec (a new user, an sshd
setting, a motd), `deploy --json` of the deployed spec (a no-op), and the probe program alone
(its round trip, on an open connection) are timed. The host is destroyed at the end, also
when the benchmark fails. Run it from another checkout (PYTHONPATH=that/checkout) to measure
another version: the probe request is built for whichever contract that version has. Prints
a table and appends it to benchmarks/results/probe.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "probe.txt")

SPEC = """
(use-modules (gnu))
(use-service-modules ssh)
(define ticker
  (simple-service 'ticker shepherd-root-service-type
    (list (shepherd-service (provision '(ticker)) (start '("/bin/sleep" "infinity"))))))
(define (server users x11 motd)
  (operating-system
    (host-name "probe-bench")
    (users (append users %base-user-accounts))
    (services (append (list (service openssh-service-type
                                     (openssh-configuration
                                       (permit-root-login 'prohibit-password)
                                       (x11-forwarding? x11)))
                            ticker)
                      (modify-services %base-services
                        (login-service-type config =>
                          (login-configuration (inherit config) (motd motd))))))))
(list (machine (operating-system %OS%)
               (environment container-environment-type)
               (configuration (container-configuration (name "%NAME%")))))
"""
DEPLOYED = '(server (list (user-account (name "ada") (group "users"))) #f ' \
           '(plain-file "motd" "one\\n"))'
CHANGED = '(server (list (user-account (name "ada") (group "users")) ' \
          '(user-account (name "bob") (group "users"))) #t (plain-file "motd" "two\\n"))'


def lispdeploy(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lispdeploy.cli", *args], capture_output=True,
                          text=True, env=env, timeout=900)


def timed_json(env, *args):
    began = time.monotonic()
    done = lispdeploy(env, *args, "--json")
    seconds = time.monotonic() - began
    if not done.stdout:
        raise SystemExit(f"lispdeploy {' '.join(args)} failed:\n{done.stderr}")
    host = json.loads(done.stdout)["hosts"][0]
    return seconds, host


def probe_alone(spec_path: str, rounds: int) -> list:
    """Seconds of the probe round trip alone, on an open connection (each round)."""
    from lispdeploy.deploy import hosts
    from lispdeploy.gexp.program import function_call
    from lispdeploy.remote.eval import remote_eval
    from lispdeploy.spec.loader import load_spec
    from lispdeploy.system.closure import build_system
    spec = load_spec(spec_path)
    machine = spec.machines[0]
    options = machine.environment.build_options(machine)
    system = build_system(machine, spec_path=spec_path,
                          listen_address=options.get("listen_address"))
    try:
        from lispdeploy.hostside.contract import ProbeRequest
        request = ProbeRequest(items=[system.item.path] + system.manifest["items"],
                               checks={"timezone": system.manifest["timezone"],
                                       "locale": system.manifest["locale"]},
                               manifest=system.manifest_record).to_json()
    except ImportError:  # the contract before records: a dict
        request = {"items": [system.item.path] + system.manifest["items"],
                   "timezone": system.manifest["timezone"], "locale": system.manifest["locale"],
                   "validations": []}
    transport = hosts.connect(machine)
    try:
        gexp = function_call("lispdeploy.hostside.entry.probe", request)
        remote_eval(transport, gexp)  # the first call warms the host's page cache
        times = []
        for _ in range(rounds):
            began = time.monotonic()
            remote_eval(transport, gexp)
            times.append(time.monotonic() - began)
        return times
    finally:
        transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args()
    name = f"ldbench-probe-{os.getpid()}"
    directory = tempfile.mkdtemp(prefix="lispdeploy-probe-bench-")
    deployed = os.path.join(directory, "deployed.hy")
    changed = os.path.join(directory, "changed.hy")
    for path, os_form in ((deployed, DEPLOYED), (changed, CHANGED)):
        with open(path, "w") as f:
            f.write(SPEC.replace("%OS%", os_form).replace("%NAME%", name))
    env = {**os.environ, "LISPDEPLOY_CONTAINER_OWNER": str(os.getpid()),
           "LISPDEPLOY_CACHE_DIR": os.path.join(directory, "cache")}
    try:
        done = lispdeploy(env, "deploy", deployed, "--no-confirm")
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        rows = {"dry run (changes pending)": [], "no-op deploy": []}
        trips = {}
        for _ in range(args.rounds):
            seconds, host = timed_json(env, "deploy", changed, "--dry-run")
            rows["dry run (changes pending)"].append(seconds)
            trips["dry run (changes pending)"] = host["round-trips"]
            seconds, host = timed_json(env, "deploy", deployed)
            assert host["result"] == "unchanged", host
            rows["no-op deploy"].append(seconds)
            trips["no-op deploy"] = host["round-trips"]
        os.environ.update(env)
        rows["probe call alone (open connection)"] = probe_alone(deployed, args.rounds)
        trips["probe call alone (open connection)"] = 1
    finally:
        if lispdeploy(env, "destroy", deployed).returncode != 0:
            lispdeploy(env, "destroy", deployed, "--yes")  # versions where destroy asks
    lines = [f"# {args.label}: {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
             f"{os.cpu_count()} CPUs, median of {args.rounds} rounds",
             f"{'':36}  round trips  median    min     max"]
    for what, times in rows.items():
        lines.append(f"{what:36}  {trips[what]:>11}  {statistics.median(times):5.2f} s "
                     f"{min(times):5.2f} s {max(times):5.2f} s")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
