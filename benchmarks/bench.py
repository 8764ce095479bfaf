"""`make bench`: lispdeploy against pyinfra, Ansible and the SSH floor, on container hosts.

    sudo .venv/bin/python benchmarks/bench.py [--sizes 1,5,20,50] [--rounds 3]
                                              [--tools lispdeploy,pyinfra,ansible]
    sudo .venv/bin/python benchmarks/bench.py --report-only   # results.md from bench.json

For each number of hosts N and each round, every tool gets N fresh hosts (booted before the
clock starts, destroyed after) and deploys the same workload (`workload.py`) three times:
cold (nothing there), no-op (the same again), change (one file, /etc/motd, changed). On each
tool's fresh hosts the floor runs first: one process that connects to every host with paramiko
and runs `true`. The tools' order rotates from round to round (interleaved), and each number
is the median of the rounds. Every run is the tool's command line, as a user runs it:

    wall time             the command, start to exit
    controller CPU, RSS   user + system time of the command and everything it waited for;
                          the largest resident set among them (`wait4`)
    hosts' CPU            per host: the hosts' cgroups' CPU time during the run
    connections, sessions per host: what the hosts' sshd logged (LogLevel VERBOSE)
    bytes on the wire     per host: what sshd received from the controller

pyinfra and Ansible are installed from PyPI into `benchmarks/.venv-peers` (never as
lispdeploy's dependencies; versions pinned in `benchmarks/requirements-peers.txt`), tuned as
their users tune them for speed: Ansible with forks = N, pipelining, no fact gathering;
pyinfra with --parallel N. The results (`benchmarks/results/bench.json`) become
`benchmarks/results.md`, with the machine they come from, and `benchmarks/results.png`
(matplotlib, in the same virtualenv).

Hosts belong to this process and are destroyed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hosts as benchmark_hosts  # noqa: E402
import workload  # noqa: E402
from report import render, write_outputs  # noqa: E402

from lispdeploy.environments.container import ContainerEngine  # noqa: E402

PEERS_VENV = os.path.join(HERE, ".venv-peers")
REQUIREMENTS = os.path.join(HERE, "requirements-peers.txt")
RESULTS_JSON = os.path.join(HERE, "results", "bench.json")
LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
TOOLS = ("lispdeploy", "pyinfra", "ansible")
PHASES = ("cold", "no-op", "change")
RUN_TIMEOUT = 1800
# sshd logs a connection's bytes when it closes, just after the client exits.
LOG_GRACE = 1.0


def peers_python() -> str:
    """The peers' virtualenv (made, and filled from PyPI, when missing or outdated)."""
    python = os.path.join(PEERS_VENV, "bin", "python")
    stamp = os.path.join(PEERS_VENV, ".installed")
    with open(REQUIREMENTS) as f:
        wanted = f.read()
    if os.path.exists(stamp) and open(stamp).read() == wanted:
        return python
    print("bench: installing pyinfra, Ansible and matplotlib into "
          f"{os.path.relpath(PEERS_VENV)}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", PEERS_VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-r", REQUIREMENTS], check=True)
    with open(stamp, "w") as f:
        f.write(wanted)
    return python


def run(argv: List[str], *, env: Dict[str, str], cwd: str) -> Dict:
    """Run one command as a user would; its wall time, CPU, peak RSS, status and output."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                               cwd=cwd)
    deadline = started + RUN_TIMEOUT
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.002)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "status": process.returncode,
            "output": out.read().decode("utf-8", "replace"),
            "errors": err.read().decode("utf-8", "replace")}


class Runner:
    """The commands of each tool for one set of hosts, in its own directory."""

    def __init__(self, tool: str, hosts: List[Dict], directory: str, peers: str, env: Dict):
        self.tool = tool
        self.hosts = hosts
        self.directory = directory
        self.peers_bin = os.path.dirname(peers)
        self.env = env
        self.known_hosts = workload.write(directory, "known_hosts", workload.known_hosts(hosts))
        workload.write(directory, "hosts.json", json.dumps(hosts))
        workload.write(directory, "floor.py", workload.FLOOR)

    def floor(self) -> Dict:
        """paramiko connect + `true` on every host, one process."""
        return run([sys.executable, "floor.py", "hosts.json"], env=self.env, cwd=self.directory)

    def deploy(self, version: int) -> Dict:
        """The tool's deploy of workload `version`."""
        return getattr(self, "_" + self.tool)(version)

    def _lispdeploy(self, version: int) -> Dict:
        workload.write(self.directory, "workload.json",
                       workload.lispdeploy_data(self.hosts, version))
        return run([LISPDEPLOY, "deploy", "spec.hy", "--json", "--jobs", str(len(self.hosts))],
                   env=self.env, cwd=self.directory)

    def _pyinfra(self, version: int) -> Dict:
        workload.write(self.directory, "inventory.py",
                       workload.pyinfra_inventory(self.hosts, self.known_hosts))
        workload.write(self.directory, "deploy.py", workload.pyinfra_deploy(version))
        return run([os.path.join(self.peers_bin, "pyinfra"), "-y", "--parallel",
                    str(len(self.hosts)), "inventory.py", "deploy.py"],
                   env=self.env, cwd=self.directory)

    def _ansible(self, version: int) -> Dict:
        control = os.path.join(self.directory, f"cp-{version}-{time.monotonic_ns()}")
        os.mkdir(control, 0o700)
        workload.write(self.directory, "inventory.ini", workload.ansible_inventory(self.hosts))
        workload.write(self.directory, "ansible.cfg", workload.ansible_config(
            len(self.hosts), self.known_hosts, control))
        workload.write(self.directory, "playbook.yml", workload.ansible_playbook(version))
        env = dict(self.env, ANSIBLE_CONFIG=os.path.join(self.directory, "ansible.cfg"))
        try:
            return run([os.path.join(self.peers_bin, "ansible-playbook"), "-i", "inventory.ini",
                        "playbook.yml"], env=env, cwd=self.directory)
        finally:
            # The SSH masters Ansible left (ControlPersist): stopped, so that the next run
            # connects as a new run would.
            for socket_name in os.listdir(control):
                subprocess.run(["ssh", "-o", f"ControlPath={os.path.join(control, socket_name)}",
                                "-O", "exit", "bench-master"], capture_output=True, timeout=30)


def check(tool: str, phase: str, result: Dict) -> None:
    """Stop the benchmark if a run failed: its numbers would mean nothing."""
    if result["status"] != 0:
        raise SystemExit(f"bench: {tool} {phase} failed (status {result['status']}):\n"
                         f"{result['output'][-3000:]}\n{result['errors'][-3000:]}")
    if tool == "lispdeploy":
        report = json.loads(result["output"])
        expected = {"cold": "deployed", "no-op": "unchanged", "change": "deployed"}[phase]
        results = {h["result"] for h in report["hosts"]}
        if results != {expected}:
            raise SystemExit(f"bench: lispdeploy {phase} gave {results}, not {expected}")


def one_round(engine: ContainerEngine, tool: str, count: int, round_number: int,
              version: int, peers: str, env: Dict, scratch: str) -> Dict:
    """One tool's cold, no-op and change deploys (and the floor) on `count` fresh hosts."""
    tag = f"{tool[:4]}{count}r{round_number}"
    with benchmark_hosts.Hosts(engine, count, tag) as fleet:
        directory = os.path.join(scratch, tag)
        os.makedirs(directory)
        if tool == "lispdeploy":
            workload.write(directory, "spec.hy", workload.lispdeploy_spec())
        runner = Runner(tool, fleet.as_json(), directory, peers, env)
        windows = []
        measured = {}
        steps = [("floor", runner.floor)] + [
            (phase, (lambda v: lambda: runner.deploy(v))(v))
            for phase, v in zip(PHASES, (version, version, version + 1))]
        for phase, step in steps:
            cpu_before = fleet.cpu_seconds()
            started = time.time()
            result = step()
            ended = time.time()
            time.sleep(LOG_GRACE)
            result["hosts_cpu"] = (fleet.cpu_seconds() - cpu_before) / count
            if phase != "floor":
                check(tool, phase, result)
            elif result["status"] != 0:
                raise SystemExit(f"bench: the floor failed:\n{result['errors'][-2000:]}")
            windows.append((phase, started, ended + LOG_GRACE))
            measured[phase] = result
        logs = fleet.sshd_log()
        for phase, start, end in windows:
            counts = [benchmark_hosts.ssh_counts(lines, start, end) for lines in logs]
            for key in ("connections", "sessions", "bytes-to-host"):
                measured[phase][key] = statistics.mean(c[key] for c in counts)
            measured[phase].pop("output", None)
            measured[phase].pop("errors", None)
    return measured


def machine_description() -> Dict:
    """What the numbers were measured on."""
    def first_line(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return "?"
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as f:
        memory = int(f.readline().split()[1]) // (1024 * 1024)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    return {"cpus": os.cpu_count(), "cpu": model, "memory_gib": memory,
            "kernel": platform.release(), "python": platform.python_version(),
            "systemd": first_line(["systemd-nspawn", "--version"]),
            "openssh": subprocess.run(["ssh", "-V"], capture_output=True,
                                      text=True).stderr.strip(),
            "date": time.strftime("%Y-%m-%d %H:%M"), "load_at_start": load}


def peer_versions(peers: str) -> Dict[str, str]:
    """The versions of the peers' packages in their virtualenv."""
    out = subprocess.run([peers, "-m", "pip", "list", "--format=json"], capture_output=True,
                         text=True, check=True).stdout
    wanted = {"pyinfra", "ansible-core", "paramiko", "matplotlib"}
    return {p["name"]: p["version"] for p in json.loads(out) if p["name"].lower() in wanted}


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20,50")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--output", default=RESULTS_JSON,
                        help="where the JSON goes (results.md and the plot beside the "
                             "benchmarks directory only for the default)")
    parser.add_argument("--report-only", action="store_true",
                        help="write results.md and the plot from results/bench.json as it is "
                             "(a run saves it after each tool's round: also one stopped early)")
    args = parser.parse_args(argv)
    if args.report_only:
        with open(RESULTS_JSON) as f:
            results = json.load(f)
        write_outputs(results, HERE, peers_python())
        print(render(results))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    tools = [t for t in args.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    peers = peers_python()
    engine = ContainerEngine()
    benchmark_hosts.cleanup_leftovers(engine)
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
           "LISPDEPLOY_CACHE_DIR": os.path.join(tempfile.gettempdir(),
                                                f"ldbench-cache-{os.getuid()}"),
           "PYINFRA_PROGRESS": "off", "ANSIBLE_NOCOLOR": "1"}
    results = {"machine": machine_description(), "versions": peer_versions(peers),
               "sizes": sizes, "rounds": args.rounds, "tools": tools, "runs": []}
    scratch = tempfile.mkdtemp(prefix="ldbench-")
    try:
        for count in sizes:
            for round_number in range(1, args.rounds + 1):
                order = tools[round_number - 1:] + tools[:round_number - 1]
                for tool in order:
                    print(f"bench: N={count} round {round_number}: {tool}", file=sys.stderr)
                    measured = one_round(engine, tool, count, round_number, 10 * round_number,
                                         peers, env, scratch)
                    results["runs"].append({"tool": tool, "hosts": count,
                                            "round": round_number, "phases": measured})
                    _save(results, args.output)
        results["load_at_end"] = open("/proc/loadavg").read().split()[0]
        _save(results, args.output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.output == RESULTS_JSON:
        write_outputs(results, HERE, peers)
    print(render(results))


def _save(results: Dict, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
