"""Where a host's CPU goes when lispdeploy deploys the benchmark's workload: cold, no-op and
one-file change on one fresh container host.

    sudo .venv/bin/python benchmarks/host_cpu.py [--rounds 3] [--no-trace]

For each phase: the host's CPU time (its cgroup, medians of `--rounds` fresh hosts, each
untraced), then, on one more traced run, every program the host ran for the deploy (strace
following sshd: each process's argv, from its exec to its exit), grouped by program, with
the number of runs and their wall time. With `--profile`, one more run on a fresh host
profiles (cProfile) every lispdeploy program the host runs and prints, per phase, where
their time went. It appends what it prints to `benchmarks/results/host_cpu.txt`.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hosts as benchmark_hosts  # noqa: E402
import workload  # noqa: E402

from lispdeploy.environments.container import ContainerEngine  # noqa: E402

RESULTS = os.path.join(HERE, "results", "host_cpu.txt")
LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
PHASES = (("cold", 1), ("no-op", 1), ("change", 2))
_EXEC = re.compile(r'^(\d+) +([\d.]+) execve\("([^"]*)", \[(.*?)\]')
_EXIT = re.compile(r"^(\d+) +([\d.]+) \+\+\+ exited with (\d+) \+\+\+")


def deploy(directory: str, fleet: List[Dict], version: int, env: Dict) -> Dict:
    """One deploy of the workload; the host's JSON report."""
    workload.write(directory, "workload.json", workload.lispdeploy_data(fleet, version))
    done = subprocess.run([LISPDEPLOY, "deploy", "spec.hy", "--json"], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"host_cpu: deploy failed:\n{done.stdout[-3000:]}\n{done.stderr}")
    return json.loads(done.stdout)["hosts"][0]


def sshd_pid(engine: ContainerEngine, name: str) -> int:
    """The PID (in this machine's namespace) of the host's listening sshd."""
    record = engine.state.read(name)
    leader = record.leader.pid
    out = subprocess.run(["nsenter", f"--target={leader}", "--all", "systemctl", "show",
                          "--property=MainPID", "--value", "ssh.service"], capture_output=True,
                         text=True, timeout=60).stdout.strip()
    inner = int(out)
    # The host's PID namespace is a child of ours: find our PID whose NSpid ends with it.
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        ids = line.split()[1:]
                        if len(ids) > 1 and ids[-1] == str(inner) and \
                                _under(int(entry), leader):
                            return int(entry)
        except OSError:
            continue
    raise SystemExit(f"host_cpu: sshd of {name} not found")


def _under(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
    return False


def traced(pid: int, output: str) -> subprocess.Popen:
    """strace following `pid` and its children: execs and exits only (seccomp-filtered, so
    the other system calls run at full speed)."""
    process = subprocess.Popen(["strace", "-f", "--seccomp-bpf", "-q", "-ttt", "-s", "200",
                                "-e", "trace=execve", "-e", "signal=none", "-o", output,
                                "-p", str(pid)], stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached
    return process


def programs(trace: str) -> List[Tuple[str, float]]:
    """(program, seconds from exec to exit) of every process the trace saw exec."""
    started: Dict[str, Tuple[str, float]] = {}
    done: List[Tuple[str, float]] = []
    with open(trace) as f:
        for line in f:
            match = _EXEC.match(line)
            if match:
                pid, stamp, path, argv = match.groups()
                args = re.findall(r'"((?:[^"\\]|\\.)*)"', argv)
                started[pid] = (_shown(path, args), float(stamp))
                continue
            match = _EXIT.match(line)
            if match and match.group(1) in started:
                what, began = started.pop(match.group(1))
                done.append((what, float(match.group(2)) - began))
    return done


def _shown(path: str, args: List[str]) -> str:
    """A program as the table groups it: its name and, for a few, what it was asked."""
    name = os.path.basename(path)
    if name.startswith("python3"):
        if "-c" in args:
            return "python3 -c BOOTSTRAP (a lispdeploy program)"
        return "python3 " + " ".join(os.path.basename(a) for a in args[1:3])
    if name in ("systemctl", "apt-get", "dpkg", "useradd", "usermod", "groupadd", "sudo"):
        return " ".join([name] + [a for a in args[1:3] if not a.startswith("/")])
    return name


# The runner's bootstrap under cProfile: each program the host runs leaves its profile in
# /var/tmp (read from the host's disk afterwards).
_PROFILED = ("import cProfile,os;_p=cProfile.Profile();_p.enable()\n"
             "try:\n exec(%r)\nfinally:\n _p.disable();"
             "_p.dump_stats('/var/tmp/ldprof-%%d' %% os.getpid())\n")


def profiled_run(engine: ContainerEngine, scratch: str, env: Dict) -> Dict[str, str]:
    """Each phase's deploy on a fresh host, with every lispdeploy program the host runs under
    cProfile; phase -> the top of the merged profile. The deploys run in this process (the
    bootstrap is swapped for the profiled one)."""
    import contextlib
    import io
    import pstats
    from lispdeploy import cli
    from lispdeploy.hostside import protocol
    plain = protocol.BOOTSTRAP
    protocol.BOOTSTRAP = _PROFILED % plain
    out: Dict[str, str] = {}
    os.environ.update(env)
    try:
        with benchmark_hosts.Hosts(engine, 1, "prof") as fleet:
            directory = os.path.join(scratch, "profile")
            os.makedirs(directory)
            workload.write(directory, "spec.hy", workload.lispdeploy_spec())
            upper_tmp = os.path.join(engine.state.container_dir(fleet.names[0]), "upper",
                                     "var", "tmp")
            for phase, version in PHASES:
                workload.write(directory, "workload.json",
                               workload.lispdeploy_data(fleet.as_json(), version))
                cwd = os.getcwd()
                os.chdir(directory)
                try:
                    with contextlib.redirect_stdout(io.StringIO()) as report:
                        status = cli.main(["deploy", "spec.hy", "--json"])
                    if status != 0:
                        raise SystemExit(f"host_cpu: profiled {phase} failed:\n"
                                         f"{report.getvalue()[-3000:]}")
                finally:
                    os.chdir(cwd)
                dumps = [os.path.join(upper_tmp, n) for n in sorted(os.listdir(upper_tmp))
                         if n.startswith("ldprof-")] if os.path.isdir(upper_tmp) else []
                if not dumps:
                    out[phase] = "(no profile found)"
                    continue
                text = io.StringIO()
                stats = pstats.Stats(*dumps, stream=text)
                stats.strip_dirs().sort_stats("cumulative").print_stats(30)
                out[phase] = f"{len(dumps)} programs\n" + "\n".join(
                    line for line in text.getvalue().splitlines()[4:] if line.strip())
                for dump in dumps:
                    os.unlink(dump)
    finally:
        protocol.BOOTSTRAP = plain
    return out


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-trace", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the host's lispdeploy programs (one more host)")
    args = parser.parse_args(argv)
    engine = ContainerEngine()
    benchmark_hosts.cleanup_leftovers(engine)
    scratch = tempfile.mkdtemp(prefix="ldbench-cpu-")
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
           "LISPDEPLOY_CACHE_DIR": os.path.join(scratch, "cache")}
    cpu: Dict[str, List[float]] = collections.defaultdict(list)
    seen: Dict[str, List[Tuple[str, float]]] = {}
    load = open("/proc/loadavg").read().split()[0]
    # The last round is traced (strace slows what it follows: its CPU is not counted).
    for round_number in range(args.rounds + (0 if args.no_trace else 1)):
        tracing = round_number == args.rounds
        with benchmark_hosts.Hosts(engine, 1, f"cpu{round_number}") as fleet:
            directory = os.path.join(scratch, f"r{round_number}")
            os.makedirs(directory)
            workload.write(directory, "spec.hy", workload.lispdeploy_spec())
            hosts_json = fleet.as_json()
            pid = sshd_pid(engine, fleet.names[0]) if tracing else None
            for phase, version in PHASES:
                trace = os.path.join(directory, f"{phase}.trace")
                tracer = traced(pid, trace) if tracing else None
                before = fleet.cpu_seconds()
                report = deploy(directory, hosts_json, version, env)
                spent = fleet.cpu_seconds() - before
                if tracer is not None:
                    time.sleep(0.5)
                    tracer.send_signal(signal.SIGINT)
                    tracer.wait(timeout=60)
                    seen[phase] = programs(trace)
                else:
                    cpu[phase].append(spent)
                print(f"host_cpu: round {round_number + 1} {phase}: {report['result']}, "
                      f"host CPU {spent:.3f} s{' (traced)' if tracing else ''}",
                      file=sys.stderr)
    profiles = profiled_run(engine, scratch, env) if args.profile else {}
    shutil.rmtree(scratch, ignore_errors=True)
    lines = [f"# {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, {os.cpu_count()} CPUs, "
             f"load {load}; host CPU: median of {args.rounds} fresh hosts"]
    for phase, _ in PHASES:
        if cpu[phase]:
            lines.append(f"{phase:7} host CPU {statistics.median(cpu[phase]):.3f} s "
                         f"(min {min(cpu[phase]):.3f}, max {max(cpu[phase]):.3f})")
        else:
            lines.append(f"{phase:7} (traced only)")
        if phase in seen:
            groups: Dict[str, List[float]] = collections.defaultdict(list)
            for what, seconds in seen[phase]:
                groups[what].append(seconds)
            for what, times in sorted(groups.items(), key=lambda g: -sum(g[1])):
                lines.append(f"    {len(times):3} x {what:52} {sum(times):6.3f} s wall")
    for phase, text in profiles.items():
        lines.append(f"{phase}: the host's lispdeploy programs, cProfile (cumulative, top)")
        lines.extend("    " + line for line in text.splitlines())
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
