"""How long `lispdeploy build` takes for a spec of many machines (the benchmark's workload,
500 hosts by default), with warm caches (the spec's compiled code, Python's bytecode), in and
outside a git work tree (provenance asks git once per build).

    .venv/bin/python benchmarks/build_fleet.py [--machines 500] [--rounds 5]

Runs the whole command as a user would (a new process each time): wall time, and the
process's CPU (user + system), medians of `--rounds` after one warm-up run. Connects to
nothing. Appends what it prints to `benchmarks/results/build_fleet.txt`.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workload  # noqa: E402

RESULTS = os.path.join(HERE, "results", "build_fleet.txt")
LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def write_fleet(directory: str, machines: int) -> None:
    """The workload's spec and its data for `machines` hosts (addresses never reached)."""
    hosts = [{"address": f"127.{10 + n // 62500}.{n // 250 % 250}.{n % 250 + 1}",
              "identity": os.path.join(directory, "id"), "host_key": HOST_KEY}
             for n in range(machines)]
    workload.write(directory, "spec.hy", workload.lispdeploy_spec())
    workload.write(directory, "workload.json", workload.lispdeploy_data(hosts, 1))


def one_build(directory: str, env: Dict[str, str], machines: int) -> Tuple[float, float]:
    """(wall seconds, CPU seconds) of one `lispdeploy build spec.hy`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([LISPDEPLOY, "build", "spec.hy"], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or len(done.stdout.splitlines()) != machines:
        raise SystemExit(f"build_fleet: build failed:\n{done.stdout[-2000:]}\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(directory: str, env: Dict[str, str], machines: int, rounds: int) -> List[Tuple]:
    """One warm-up build (it fills the caches), then `rounds` measured ones."""
    one_build(directory, env, machines)
    return [one_build(directory, env, machines) for _ in range(rounds)]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="ldbench-build-")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch, "LANG": "C.UTF-8",
           "LISPDEPLOY_CACHE_DIR": os.path.join(scratch, "cache")}
    lines = [f"# {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, {os.cpu_count()} CPUs, "
             f"load {open('/proc/loadavg').read().split()[0]}; `lispdeploy build` of "
             f"{args.machines} machines, whole process, median of {args.rounds} (warm caches)"]
    try:
        for where in ("outside a git work tree", "in a git work tree"):
            directory = os.path.join(scratch, where.split()[0])
            os.makedirs(directory)
            write_fleet(directory, args.machines)
            if where.startswith("in"):
                git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
                subprocess.run(git + ["init", "-q"], cwd=directory, check=True)
                subprocess.run(git + ["add", "."], cwd=directory, check=True)
                subprocess.run(git + ["commit", "-qm", "fleet"], cwd=directory, check=True)
            runs = measure(directory, env, args.machines, args.rounds)
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            lines.append(f"{where:24} wall {statistics.median(walls):.3f} s "
                         f"(min {min(walls):.3f}), CPU {statistics.median(cpus):.3f} s "
                         f"(min {min(cpus):.3f})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
