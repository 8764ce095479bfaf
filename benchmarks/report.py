"""Turning the benchmark's measurements (`results/bench.json`) into `results.md` and the plot.

`medians(results)` takes each (tool, hosts, phase) number's median over the rounds; `render`
writes the markdown: the machine, the versions, the time table, ratios against the peers and
the floor, and per-host costs. `write_outputs` writes results.md and runs `plot.py` with the
peers' Python (which has matplotlib). Standard library only: the tests check the parsing and
rendering without any host.
"""

from __future__ import annotations

import os
import statistics
import subprocess
from typing import Dict, List, Optional, Tuple

PHASES = ("cold", "no-op", "change")
METRICS = ("wall", "cpu", "rss_mb", "hosts_cpu", "connections", "sessions", "bytes-to-host")
Key = Tuple[str, int, str]


def medians(results: Dict) -> Dict[Key, Dict[str, float]]:
    """(tool, hosts, phase) -> metric -> median over rounds; the floor is the tool "floor",
    phase "floor", measured on every tool's hosts."""
    samples: Dict[Key, Dict[str, List[float]]] = {}
    for run in results["runs"]:
        for phase, measured in run["phases"].items():
            tool = "floor" if phase == "floor" else run["tool"]
            key = (tool, run["hosts"], phase)
            for metric in METRICS:
                if metric in measured:
                    samples.setdefault(key, {}).setdefault(metric, []).append(measured[metric])
    return {key: {m: statistics.median(v) for m, v in metrics.items()}
            for key, metrics in samples.items()}


def _get(table, tool, hosts, phase, metric="wall") -> Optional[float]:
    return table.get((tool, hosts, phase), {}).get(metric)


def _seconds(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ratio(a: Optional[float], b: Optional[float]) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.1f}x"


def render(results: Dict) -> str:
    """results.md (see the module docstring)."""
    table = medians(results)
    machine = results["machine"]
    sizes = results["sizes"]
    tools = [t for t in ("lispdeploy", "pyinfra", "ansible") if t in results["tools"]]
    versions = results.get("versions", {})
    out = [
        "# lispdeploy against pyinfra, Ansible and the SSH floor",
        "",
        "Written by `make bench` (`benchmarks/bench.py`); do not edit by hand.",
        "",
        f"- Machine: {machine['cpus']} CPUs ({machine['cpu']}), {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}, {machine['systemd']}, {machine['openssh']}, "
        f"Python {machine['python']}; {machine['date']}; load average "
        f"{machine['load_at_start']} at the start, {results.get('load_at_end', '?')} at the end "
        "(the machine is shared: compare ratios within this run, not absolute times).",
        "- Peers: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) +
        " (installed by the benchmark into benchmarks/.venv-peers). Ansible: forks = N, "
        "pipelining, no fact gathering, SSH masters (ControlPersist) of a run stopped after "
        "it; pyinfra: --parallel N.",
        "- Hosts: N fresh container hosts per tool and round (booted before the clock starts), "
        "Debian's dotfiles for root, sshd at LogLevel VERBOSE. Workload: host name, group "
        "deploy, users alice (in deploy) and bob, /etc/sudoers.d/deploy (0440, visudo), "
        "/etc/motd, an sshd drop-in, time zone America/New_York; the change rewrites /etc/motd.",
        f"- Medians of {results['rounds']} rounds, tools interleaved (the order rotates each "
        "round). Floor: one process, paramiko connect + `true` on every host, measured on every "
        "tool's fresh hosts before it deploys.",
    ] + _incomplete(results, tools) + [
        "",
        "## Wall time of the command (seconds)",
        "",
        "| N | " + " | ".join(f"{t} cold / no-op / change" for t in tools) + " | floor |",
        "|---|" + "---|" * (len(tools) + 1),
    ]
    for n in sizes:
        cells = [" / ".join(_seconds(_get(table, t, n, p)) for p in PHASES) for t in tools]
        out.append(f"| {n} | " + " | ".join(cells) +
                   f" | {_seconds(_get(table, 'floor', n, 'floor'))} |")
    if "lispdeploy" in tools:
        out += ["", "## Ratios (lispdeploy's speed-up; floor: lispdeploy's time over the floor's)",
                "", "| N | phase | vs pyinfra | vs Ansible | lispdeploy / floor |",
                "|---|---|---|---|---|"]
        for n in sizes:
            for p in PHASES:
                ours = _get(table, "lispdeploy", n, p)
                out.append(f"| {n} | {p} | {_ratio(_get(table, 'pyinfra', n, p), ours)} | "
                           f"{_ratio(_get(table, 'ansible', n, p), ours)} | "
                           f"{_ratio(ours, _get(table, 'floor', n, 'floor'))} |")
    out += ["", "## Costs (medians; per host where it says so)", "",
            "| tool | N | phase | controller CPU s | controller RSS MB | hosts' CPU s/host | "
            "connections/host | sessions/host | KB to each host |",
            "|---|---|---|---|---|---|---|---|---|"]
    for t in tools + ["floor"]:
        for n in sizes:
            for p in (("floor",) if t == "floor" else PHASES):
                m = table.get((t, n, p))
                if m is None:
                    continue
                out.append(f"| {t} | {n} | {p} | {m.get('cpu', 0):.2f} | "
                           f"{m.get('rss_mb', 0):.0f} | {m.get('hosts_cpu', 0):.3f} | "
                           f"{m.get('connections', 0):.1f} | {m.get('sessions', 0):.1f} | "
                           f"{m.get('bytes-to-host', 0) / 1000:.1f} |")
    out += ["", "Controller RSS is the largest resident set among the command's processes "
                "(`wait4`); hosts' CPU comes from the hosts' cgroups, so it includes what sshd "
                "does for each connection; connections, sessions and bytes (what the host's "
                "sshd received) come from the hosts' sshd logs.", "",
            "![time against N](results.png)", ""]
    return "\n".join(out)


def _incomplete(results: Dict, tools: List[str]) -> List[str]:
    """A line saying which (N, tool) got fewer rounds than asked (a run stopped early), if
    any: their numbers are medians of what was measured, "-" where nothing was."""
    done: Dict[Tuple[str, int], int] = {}
    for run in results["runs"]:
        done[(run["tool"], run["hosts"])] = done.get((run["tool"], run["hosts"]), 0) + 1
    short = [f"N={n} {t}: {done.get((t, n), 0)}" for n in results["sizes"] for t in tools
             if done.get((t, n), 0) < results["rounds"]]
    if not short:
        return []
    return [f"- This run stopped before its end; rounds measured where fewer than "
            f"{results['rounds']}: " + ", ".join(short) + "."]


def write_outputs(results: Dict, directory: str, peers_python: str) -> None:
    """Write results.md, and results.png through plot.py (with matplotlib)."""
    with open(os.path.join(directory, "results.md"), "w") as f:
        f.write(render(results))
    subprocess.run([peers_python, os.path.join(directory, "plot.py"),
                    os.path.join(directory, "results", "bench.json"),
                    os.path.join(directory, "results.png")], check=True)
