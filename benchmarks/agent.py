"""What the host agent costs: wall clock of a changing deploy whose activation runs as a job of
the agent (a transient systemd unit, the default) against the same deploy run inline in the
SSH session, and of a no-op deploy, on one container host.

    sudo .venv/bin/python benchmarks/agent.py [--rounds N] [--label NAME]

A spec is deployed to a fresh container host; then, each round, deploys alternate between
two systems that differ in a file, a user and a shepherd service (`deploy --json
--no-confirm`: the confirmation's watchdog is a systemd unit in both cases, so it is left
out), once with the agent and once inline (the benchmark hides `systemd-run` on its host for
the inline runs, which is what makes the host run jobs inline), and a no-op deploy with each.
The host is destroyed at the end, also when the benchmark fails. Prints a table and appends
it to benchmarks/results/agent.txt.
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

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "agent.txt")

SPEC = """
(use-modules (gnu))
(use-service-modules ssh)
(define (server mark users)
  (operating-system
    (host-name "agent-bench")
    (users (append users %base-user-accounts))
    (services (append (list (service openssh-service-type
                                     (openssh-configuration
                                       (permit-root-login 'prohibit-password)))
                            (simple-service 'mark etc-service-type
                              (list (list "agent-bench" (plain-file "mark" mark))))
                            (simple-service 'ticker shepherd-root-service-type
                              (list (shepherd-service (provision (list (string->symbol mark)))
                                                      (start '("/bin/sleep" "infinity"))))))
                      %base-services))))
(list (machine (operating-system %OS%)
               (environment container-environment-type)
               (configuration (container-configuration (name "%NAME%")))))
"""
SYSTEMS = {"a": '(server "one" (list))',
           "b": '(server "two" (list (user-account (name "bob") (group "users"))))'}
HIDE = "chmod a-x /usr/bin/systemd-run"
SHOW = "chmod a+x /usr/bin/systemd-run"


def lispdeploy(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lispdeploy.cli", *args], capture_output=True,
                          text=True, env=env, timeout=900)


def timed(env, *args) -> tuple:
    began = time.monotonic()
    done = lispdeploy(env, "deploy", *args, "--json", "--no-confirm")
    seconds = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"lispdeploy deploy {' '.join(args)} failed:\n{done.stderr}"
                         f"{done.stdout}")
    return seconds, json.loads(done.stdout)["hosts"][0]["result"]


def on_host(env, spec: str, command: str) -> None:
    done = lispdeploy(env, "deploy", spec, "-x", "--", "sh", "-c", command)
    if done.returncode != 0:
        raise SystemExit(f"{command} on the host failed:\n{done.stderr}{done.stdout}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args()
    name = f"ldbench-agent-{os.getpid()}"
    directory = tempfile.mkdtemp(prefix="lispdeploy-agent-bench-")
    specs = {}
    for which, os_form in SYSTEMS.items():
        specs[which] = os.path.join(directory, which, "spec.hy")
        os.makedirs(os.path.dirname(specs[which]))
        with open(specs[which], "w") as f:
            f.write(SPEC.replace("%OS%", os_form).replace("%NAME%", name))
    env = {**os.environ, "LISPDEPLOY_CONTAINER_OWNER": str(os.getpid()),
           "LISPDEPLOY_CACHE_DIR": os.path.join(directory, "cache")}
    rows = {f"change deploy, {mode}": [] for mode in ("agent", "inline")}
    rows.update({f"no-op deploy, {mode}": [] for mode in ("agent", "inline")})
    on = "a"
    try:
        for which in ("a", "b", "a"):  # both systems' items on the host, the agent installed
            timed(env, specs[which])
        for _ in range(args.rounds):
            for mode in ("agent", "inline"):
                on_host(env, specs[on], HIDE if mode == "inline" else SHOW)
                on = "b" if on == "a" else "a"
                seconds, result = timed(env, specs[on])
                assert result == "deployed", result
                rows[f"change deploy, {mode}"].append(seconds)
                seconds, result = timed(env, specs[on])
                assert result == "unchanged", result
                rows[f"no-op deploy, {mode}"].append(seconds)
        on_host(env, specs[on], SHOW)
    finally:
        if lispdeploy(env, "destroy", specs["a"], "--yes").returncode != 0:
            lispdeploy(env, "destroy", specs["a"])
    lines = [f"# {args.label}: {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
             f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, median of {args.rounds}",
             f"{'':26}  median    min     max"]
    for what, times in rows.items():
        lines.append(f"{what:26}  {statistics.median(times):5.2f} s {min(times):5.2f} s "
                     f"{max(times):5.2f} s")
    for what in ("change", "no-op"):
        cost = (statistics.median(rows[f"{what} deploy, agent"])
                - statistics.median(rows[f"{what} deploy, inline"]))
        lines.append(f"{'cost of the agent, ' + what:26}  {cost:+5.2f} s")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
