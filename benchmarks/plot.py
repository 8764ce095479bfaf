"""The plot of results.md: wall time against the number of hosts, one panel per phase, one
line per tool, the floor in each. Run by report.write_outputs with the peers' Python:

    benchmarks/.venv-peers/bin/python benchmarks/plot.py results/bench.json results.png
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import PHASES, medians  # noqa: E402

STYLE = {"lispdeploy": ("tab:blue", "o"), "pyinfra": ("tab:orange", "s"),
         "ansible": ("tab:red", "^"), "floor": ("black", "")}


def main(source: str, target: str) -> None:
    with open(source) as f:
        results = json.load(f)
    table = medians(results)
    sizes = results["sizes"]
    figure, axes = plt.subplots(1, len(PHASES), figsize=(15, 4.8), sharey=True)
    for axis, phase in zip(axes, PHASES):
        for tool in [t for t in ("lispdeploy", "pyinfra", "ansible") if t in results["tools"]]:
            points = [(n, table[(tool, n, phase)]["wall"]) for n in sizes
                      if (tool, n, phase) in table]
            if points:
                color, marker = STYLE[tool]
                axis.plot(*zip(*points), marker=marker, color=color, label=tool)
        floor = [(n, table[("floor", n, "floor")]["wall"]) for n in sizes
                 if ("floor", n, "floor") in table]
        if floor:
            axis.plot(*zip(*floor), linestyle="--", color="black",
                      label="floor (paramiko connect + true)")
        axis.set_title(phase)
        axis.set_xlabel("hosts (N)")
        axis.grid(True, alpha=0.3)
    axes[0].set_ylabel("wall time of the command (s)")
    axes[0].legend(loc="upper left")
    machine = results["machine"]
    figure.suptitle(f"Deploying the benchmark workload to N container hosts (medians of "
                    f"{results['rounds']} rounds; {machine['cpus']} CPUs, {machine['date']})")
    figure.tight_layout()
    figure.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
