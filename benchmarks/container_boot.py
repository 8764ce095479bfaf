"""How long container hosts take from `start` to SSH-ready, for 1 and for 10 hosts at once.

    sudo .venv/bin/python benchmarks/container_boot.py [--rounds N]

For each fleet size and round, the hosts are created (not timed with the boot), then started
in parallel; the wall clock runs from the first `start` call until the last host is ready
(systemd inside says `running` and its sshd greets on its address). Hosts are destroyed after
each round, also when the benchmark fails or is interrupted; they are ephemeral, so a killed
run's leftovers are removed by the next test session. Prints a table and writes it to
benchmarks/results/container_boot.txt.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import platform
import statistics
import subprocess
import sys
import time

from lispdeploy.environments.container import ContainerEngine

SIZES = (1, 10)
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                       "container_boot.txt")


def one_round(engine: ContainerEngine, size: int, round_number: int) -> dict:
    """Create `size` hosts, start them in parallel, destroy them; the timings in seconds."""
    names = [f"ldbench-{os.getpid()}-{round_number}-{i}" for i in range(size)]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=size)
    try:
        began = time.monotonic()
        list(pool.map(lambda name: engine.create(name, ephemeral=True), names))
        created = time.monotonic()

        def start(name):
            engine.start(name, timeout=120)
            return time.monotonic() - created

        per_host = list(pool.map(start, names))
        ready = time.monotonic()
        states = [engine.get(name).state for name in names]
    finally:
        pool.shutdown(wait=True)
        stopping = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=size) as destroyers:
            list(destroyers.map(lambda name: engine.destroy(name, missing_ok=True), names))
        destroyed = time.monotonic()
    return {"create": created - began, "ready": ready - created, "per_host": per_host,
            "destroy": destroyed - stopping, "states": states}


def table(results: dict, rounds: int) -> str:
    """The results as a plain-text table (medians over the rounds, in seconds)."""
    header = ("hosts", "create", "start->SSH-ready", "min", "max", "first ready", "destroy")
    rows = [header]
    for size, runs in results.items():
        ready = [r["ready"] for r in runs]
        rows.append((str(size), f"{statistics.median(r['create'] for r in runs):.2f}",
                     f"{statistics.median(ready):.2f}", f"{min(ready):.2f}", f"{max(ready):.2f}",
                     f"{statistics.median(min(r['per_host']) for r in runs):.2f}",
                     f"{statistics.median(r['destroy'] for r in runs):.2f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    states = sorted({s for runs in results.values() for r in runs for s in r["states"]})
    lines += ["",
              f"Seconds, medians of {rounds} rounds. start->SSH-ready is the wall clock from the "
              "first start to the last host ready (min and max over the rounds); first ready is "
              "the fastest host of a round.",
              f"Host states when ready: {', '.join(states)}."]
    return "\n".join(lines)


def machine() -> str:
    """One line describing the machine the numbers come from."""
    nspawn = subprocess.run(["systemd-nspawn", "--version"], capture_output=True, text=True)
    return (f"{platform.node()}: {os.cpu_count()} CPUs, Linux {platform.release()}, "
            f"{nspawn.stdout.splitlines()[0] if nspawn.stdout else 'systemd-nspawn ?'}, "
            f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    engine = ContainerEngine()
    results = {size: [one_round(engine, size, n) for n in range(arguments.rounds)]
               for size in SIZES}
    report = (f"Container hosts: start to SSH-ready ({machine()})\n\n"
              f"{table(results, arguments.rounds)}\n")
    print(report, end="")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
