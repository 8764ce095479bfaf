"""Crash-safe activation: a deploy interrupted at any moment leaves the host on one complete
generation, old or new, and the next deploy converges.

Four kinds of fault, each injected for real at named moments of a changing deploy (probe,
sending items, every step of the activation, the confirmation):

    sigkill  a real SIGKILL of the running `lispdeploy deploy` process
    sigint   a real SIGINT (Ctrl-C) of it
    lost     the host's sshd killed (`systemctl stop ssh` and SIGKILL of every sshd process,
             sessions included): the controller's connection is lost
    stop     the host stopped with the container engine (an orderly poweroff), then started

To hit exact moments the host is held at a pause point (lispdeploy.hostside.pause: the test
names a point in /var/lib/lispdeploy/test-points/pause-at and lets it go by deleting
`paused`); the fault is injected while it waits. After each fault the test waits until the
host has settled (no activation running, no journal left), reads the host's state and
compares it with the two generations' (files, accounts, packages, the processes of units,
what the activation program did), then deploys again and checks that the host converged.

The workload is chosen cheap but complete: a tiny package (hello), a user and a group, /etc
files, the time zone, a unit whose file and configuration change (its process records what it
read when it started), a unit only the new generation has, an activation snippet.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

from deploy_hosts import container_machine

from lispdeploy.environments.container.processes import namespace_init
from lispdeploy.errors import LispdeployError

LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
CONFIRM = "10"
POINTS = "/var/lib/lispdeploy/test-points"

WORKLOAD = """
(use-modules (gnu))
(use-service-modules ssh)

;; Records the configuration it started with, then waits; restarts when it changes.
(define (worker mark)
  (systemd-unit
    (name "crash-worker.service")
    (file (plain-file "crash-worker.service"
            (string-append
              "[Unit]\nDescription=crash test worker\n[Service]\n"
              "ExecStart=/bin/sh -c 'cat /etc/crash/conf > /run/crash-worker.seen; "
              "exec /bin/sleep infinity " mark "'\n"
              "[Install]\nWantedBy=multi-user.target\n")))
    (watch '("crash/conf"))))

(define extra
  (shepherd-service
    (provision '(crash-extra))
    (documentation "Only in the new generation.")
    (start '("/bin/sleep" "infinity"))))

(define (generation mark new?)
  (operating-system
    (host-name "crash-host")
    (timezone (if new? "Asia/Tokyo" "Etc/UTC"))
    (groups (append (if new? (list (user-group (name "crashers"))) '()) %base-groups))
    (users (append (if new? (list (user-account (name "crasher") (group "crashers"))) '())
                   %base-user-accounts))
    (packages (append (if new? (list "hello") '()) %base-packages))
    (services
      (append
        (list (service openssh-service-type
                       (openssh-configuration (permit-root-login 'prohibit-password)))
              (simple-service 'workers shepherd-root-service-type
                              (append (list (worker mark)) (if new? (list extra) '())))
              (simple-service 'crash-files etc-service-type
                              (append (list (list "crash/conf"
                                                  (plain-file "conf" (string-append mark "\\n"))))
                                      (if new? (list (list "crash/only-new"
                                                           (plain-file "only-new" "new\\n")))
                                          '())))
              (simple-service 'crash-mark activation-service-type
                              #~(copy-file #$(plain-file "mark" (string-append mark "\\n"))
                                           "/var/lib/crash-activated")))
        %base-services))))
"""

# One line per fact; a complete generation is exactly one of the two generations' lines.
STATE = r"""
cd /var/lib/lispdeploy 2>/dev/null || exit 0
link=$(readlink profiles/system 2>/dev/null) && echo "system $(readlink profiles/$link)" || echo "system none"
for f in /etc/crash/conf /etc/crash/only-new /etc/timezone /var/lib/crash-activated; do
  test -e $f && echo "$f $(cat $f)" || echo "$f absent"
done
echo "localtime $(readlink /etc/localtime)"
getent group crashers >/dev/null && echo "group crashers" || echo "group none"
getent passwd crasher | cut -d: -f1,4,6,7 | sed 's/^/user /' | grep . || echo "user none"
dpkg-query -W -f='hello ${Status}\n' hello 2>/dev/null | grep installed || echo "hello none"
for u in crash-worker crash-extra; do
  f=/etc/systemd/system/$u.service
  test -e $f && echo "$u file $(sha256sum < $f | cut -c1-12)" || echo "$u file absent"
  echo "$u $(systemctl is-active $u) $(systemctl is-enabled $u 2>/dev/null)"
done
pid=$(systemctl show -p MainPID --value crash-worker)
test "$pid" != 0 && echo "worker runs $(tr '\0' ' ' < /proc/$pid/cmdline)" || echo "worker runs nothing"
test -e /run/crash-worker.seen && echo "worker saw $(cat /run/crash-worker.seen)" || echo "worker saw nothing"
test -e /usr/sbin/policy-rc.d && echo "policy-rc.d left" || true
test -z "$(dpkg --audit 2>&1)" || echo "dpkg: $(dpkg --audit 2>&1 | head -3)"
systemctl show -p NeedDaemonReload --value crash-worker | grep -q yes && echo "unit files not reloaded" || true
test -e /var/lib/lispdeploy/pending-confirmation && echo "confirmation pending" || true
"""
PENDING = "confirmation pending"

SETTLE = r"""
i=0
while [ $i -lt 900 ]; do
  busy=
  flock -n /var/lib/lispdeploy/lock true 2>/dev/null || busy=lock
  test -e /var/lib/lispdeploy/journal.json && busy="$busy journal"
  for pid in $*; do test -d /proc/$pid && busy="$busy pid"; done
  test -z "$busy" && exit 0
  sleep 0.1; i=$((i+1))
done
echo "never settled: $busy"; exit 1
"""


class CrashHost:
    """One container host that deploys alternate between the two generations on."""

    def __init__(self, world, name: str, specs: Dict[str, str]):
        self.world = world
        self.name = name
        self.specs = specs            # "old"/"new" -> spec path
        self.systems: Dict[str, str] = {}     # "old"/"new" -> system item path
        self.states: Dict[str, str] = {}      # system item path -> the state of its generation
        self.on: Optional[str] = None

    # Inside the host, without SSH (a fault may have cut it) --------------------------------

    def leader(self) -> int:
        info = self.world.engine.get(self.name)
        assert info is not None and info.pid is not None, f"{self.name} is not running"
        init = namespace_init(info.pid)
        assert init is not None, f"{self.name} has no init"
        return init.pid

    def inside(self, script: str, *args: str, timeout: float = 120) -> Tuple[int, str]:
        done = subprocess.run(["nsenter", f"--target={self.leader()}", "--all", "sh", "-c",
                               script, "sh", *args], capture_output=True, text=True,
                              timeout=timeout,
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
        return done.returncode, done.stdout + done.stderr

    def file(self, path: str) -> str:
        return f"/proc/{self.leader()}/root{path}"

    def state(self) -> str:
        """The host's state (STATE), read under lispdeploy's lock: never half-way through a
        change the host makes by itself (a watchdog going back)."""
        code, out = self.inside('flock -w 60 /var/lib/lispdeploy/lock sh -c "$1" || '
                                '{ echo "activation running: $(cat /var/lib/lispdeploy/lock)"; '
                                'sh -c "$1"; }', STATE)
        assert code == 0, out
        return out.strip()

    def recovered(self) -> bool:
        """Whether the host recorded a recovery since its last activation."""
        try:
            with open(self.file("/var/lib/lispdeploy/recovered.json")) as f:
                return bool(json.load(f))
        except FileNotFoundError:
            return False

    def pause_at(self, point: str) -> None:
        os.makedirs(self.file(POINTS), exist_ok=True)
        for name in ("paused", "trace"):
            if os.path.exists(self.file(f"{POINTS}/{name}")):
                os.unlink(self.file(f"{POINTS}/{name}"))
        with open(self.file(f"{POINTS}/pause-at"), "w") as f:
            f.write(point + "\n")

    def paused(self) -> Optional[str]:
        """The pid (in the host) of the process paused at the point, once one is."""
        try:
            with open(self.file(f"{POINTS}/paused")) as f:
                text = f.read()
        except FileNotFoundError:
            return None
        return text.split("\t")[0] if "\n" in text else None

    def release(self) -> None:
        for name in ("paused", "pause-at"):
            try:
                os.unlink(self.file(f"{POINTS}/{name}"))
            except FileNotFoundError:
                pass

    def trace(self) -> List[str]:
        try:
            with open(self.file(f"{POINTS}/trace")) as f:
                return [line.rstrip("\n").split("\t", 1)[1] for line in f if "\t" in line]
        except FileNotFoundError:
            return []

    # Deploys ---------------------------------------------------------------------------------

    def start_deploy(self, which: str) -> subprocess.Popen:
        return subprocess.Popen([LISPDEPLOY, "deploy", self.specs[which], "--json",
                                 "--confirm-timeout", CONFIRM],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.world.env, cwd=str(self.world.tmp_path))

    def deploy(self, which: str) -> subprocess.CompletedProcess:
        # A deploy cut off before its confirmation still holds the host until the deadline
        # (hostside.lease): the next one waits for the host to go back by itself.
        return self.world.lispdeploy("deploy", self.specs[which], "--json", "--confirm-timeout",
                                     CONFIRM, "--wait-lock", "120", timeout=600)


def _wait_paused(host: CrashHost, process: subprocess.Popen, point: str) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        pid = host.paused()
        if pid is not None:
            return pid
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the deploy ended before reaching {point!r}:\n{err}{out}")
        time.sleep(0.05)
    raise AssertionError(f"the deploy never reached {point!r}")


def _end(process: subprocess.Popen, timeout: float = 120) -> None:
    try:
        process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("the interrupted deploy did not end")


KILL_SSHD = r"""
systemctl stop ssh.service
for p in /proc/[0-9]*; do
  test "$(cat $p/comm 2>/dev/null)" = sshd && kill -9 ${p#/proc/} 2>/dev/null
done
true
"""


def interrupt(host: CrashHost, kind: str, which: str, point: str) -> bool:
    """Deploy generation `which`, interrupted by `kind` at `point`; wait until the host has
    settled. Whether the host then had to finish or undo an activation (it says so in
    recovered.json until the next activation: the next deploy must report it)."""
    host.pause_at(point)
    process = host.start_deploy(which)
    try:
        pid = _wait_paused(host, process, point)
        if kind == "sigkill":
            process.kill()
            _end(process)
            host.release()
        elif kind == "sigint":
            process.send_signal(signal.SIGINT)
            _end(process)
            host.release()
        elif kind == "lost":
            host.inside(KILL_SSHD)
            host.release()
            _end(process)
            host.inside("systemctl start ssh.service")
        elif kind == "stop":
            host.world.engine.stop(host.name)
            _end(process)
            host.world.engine.start(host.name, timeout=120)
            host.release()
            pid = ""
        else:
            raise ValueError(kind)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    code, out = host.inside(SETTLE, *([pid] if pid else []))
    assert code == 0, out
    return host.recovered()


def run_points(host: CrashHost, kind: str, points: Dict[str, List[str]], results: list) -> None:
    """Interrupt a deploy at each point (alternating generations: a point of the deploy of the
    new generation when the host is on the old one, and the other way round), check the host,
    deploy again and check it converged. Appends (kind, point, problem or None)."""
    queues = {which: list(names) for which, names in points.items()}
    while any(queues.values()):
        which = "new" if host.on == "old" else "old"
        if not queues[which]:
            which = host.on
            done = host.deploy("new" if which == "old" else "old")
            assert done.returncode == 0, done.stderr + done.stdout
            host.on = "new" if which == "old" else "old"
            continue
        point = queues[which].pop(0)
        problem, before, recovered = None, None, False
        wanted = host.states[host.systems[which]]
        if point.startswith("receive "):
            # The item must be missing for the deploy to send it: only the current
            # generation's items stay.
            gc = host.world.lispdeploy("gc", "--keep", "0", host.specs[host.on])
            assert gc.returncode == 0, gc.stderr + gc.stdout
        try:
            recovered = interrupt(host, kind, which, point)
            problem, before = _judge(host)
        except (AssertionError, subprocess.SubprocessError, OSError, LispdeployError) as e:
            problem = f"interrupting: {type(e).__name__}: {e}"
        done = host.deploy(which)
        after = host.state()
        if done.returncode != 0:
            problem = (problem or "") + f"; next deploy failed: {_error(done)}"
        elif after != wanted:
            problem = (problem or "") + "; next deploy did not converge:\n" + _diff(wanted, after)
        else:
            problem = _reported(problem, json.loads(done.stdout)["hosts"][0],
                                before == wanted, recovered)
        results.append((kind, f"{which}: {point}", problem))
        host.on = which


def _reported(problem: Optional[str], report: dict, was_there: bool,
              recovered: bool) -> Optional[str]:
    """What the next deploy said must be true: `unchanged` only for a host that already was
    exactly on the generation (nothing awaiting confirmation), and a recovery reported when
    (and only when) the host had to finish or undo an activation the fault cut short."""
    said = []
    if (report["result"] == "unchanged") != was_there:
        said.append(f"it said {report['result']!r} for a host that "
                    + ("was" if was_there else "was not") + " on that generation already")
    told = [w for w in report["warnings"] if "was interrupted" in w]
    if bool(told) != recovered:
        said.append("it reported a recovery that should not have been" if told else
                    "it did not report the recovery of the interrupted activation")
    if not said:
        return problem
    return (problem + "; " if problem else "") + "next deploy: " + "; ".join(said)


def _error(done: subprocess.CompletedProcess) -> str:
    try:
        return json.loads(done.stdout)["hosts"][0]["error"]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return (done.stderr + done.stdout).strip()[-600:]


def _judge(host: CrashHost) -> Tuple[Optional[str], str]:
    """(None when the host is on one complete generation, else what is mixed; its state)."""
    state = host.state()
    complete = "\n".join(line for line in state.splitlines() if line != PENDING)
    system = complete.splitlines()[0].split(" ", 1)[1]
    expected = host.states.get(system)
    if expected is None:
        return f"on an unknown system {system}", state
    if complete != expected:
        return "mixed generation:\n" + _diff(expected, complete), state
    return None, state


def _diff(expected: str, got: str) -> str:
    e, g = expected.splitlines(), got.splitlines()
    return "\n".join([f"  - {line}" for line in e if line not in g]
                     + [f"  + {line}" for line in g if line not in e])


def specs(world, name: str) -> Dict[str, str]:
    """The spec files of the two generations for container host `name`."""
    paths = {}
    for which, mark, new in (("old", "1", "#f"), ("new", "2", "#t")):
        machine = container_machine(f'(generation "{mark}" {new})', name)
        # One deployment (its name comes from the file name): the same file name for both.
        paths[which] = world.write(WORKLOAD + f"(list {machine})\n", f"{which}/{name}.hy")
    return paths


def _deployed(host: CrashHost, which: str) -> str:
    done = host.deploy(which)
    assert done.returncode == 0, done.stderr + done.stdout
    host.systems[which] = json.loads(done.stdout)["hosts"][0]["system"]
    host.on = which
    return host.state()


def _first(host: CrashHost) -> None:
    """Deploy the old generation; learn the new one's system item from a dry run (each host
    has its own system items: its address is in them)."""
    _deployed(host, "old")
    done = host.world.lispdeploy("deploy", "--dry-run", "--json", host.specs["new"])
    assert done.returncode == 0, done.stderr + done.stdout
    host.systems["new"] = json.loads(done.stdout)["hosts"][0]["system"]


def prepare(world, count: int) -> Tuple[List[CrashHost], Dict[str, List[str]]]:
    """`count` hosts on the old generation (in parallel), each generation's state, and the
    points each deploy passes (traced on the first host: new, then old again)."""
    import concurrent.futures
    hosts = [CrashHost(world, name, specs(world, name))
             for name in (world.host_name() for _ in range(count))]
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        list(pool.map(_first, hosts))
    tracer = hosts[0]
    points: Dict[str, List[str]] = {}
    states: Dict[str, str] = {}
    for which in ("new", "old"):
        os.makedirs(tracer.file(POINTS), exist_ok=True)
        open(tracer.file(f"{POINTS}/trace"), "w").close()
        system = tracer.systems[which]
        states[which] = _deployed(tracer, which)
        assert tracer.systems[which] == system
        points[which] = list(dict.fromkeys(tracer.trace()))
        os.unlink(tracer.file(f"{POINTS}/trace"))
    for host in hosts:
        host.states = {host.systems[w]: states[w].replace(tracer.systems[w], host.systems[w])
                       for w in states}
        assert host.state() == host.states[host.systems["old"]], _diff(
            host.states[host.systems["old"]], host.state())
    return hosts, points


KINDS = ("sigkill", "sigint", "lost", "stop")


# `make test` interrupts each deploy at SAMPLE points per kind, spread over its steps (about a
# quarter of the points: the whole suite stays within its time); `make test-crash`
# (LISPDEPLOY_CRASH_POINTS=all) takes every point, at least 30 per kind (about 40 minutes).
ALL_POINTS = os.environ.get("LISPDEPLOY_CRASH_POINTS", "") == "all"
SAMPLE = 5


def _spread(names: List[str], count: int) -> List[str]:
    """`count` of `names`, evenly spread from the first to the last."""
    if len(names) <= count:
        return list(names)
    return [names[round(i * (len(names) - 1) / (count - 1))] for i in range(count)]


def chosen(points: Dict[str, List[str]], kind: str) -> Dict[str, List[str]]:
    """The points a kind interrupts at: every other point of each deploy (sigkill and lost
    the even ones, sigint and stop the odd ones), so that each kind goes through every step
    and every point is taken by two kinds (in `make test`, a spread sample of them)."""
    parity = KINDS.index(kind) % 2
    taken = {which: [p for i, p in enumerate(names) if i % 2 == parity]
             for which, names in points.items()}
    if ALL_POINTS:
        return taken
    return {which: _spread(names, SAMPLE) for which, names in taken.items()}


def killed_agent(host: CrashHost, results: list) -> None:
    """The activation's own process killed (SIGKILL of its unit, as the OOM killer would):
    systemd starts the agent again, which undoes the activation and says so; the deploy
    fails with that, the host is on the old generation, the next deploy converges."""
    which = "new" if host.on == "old" else "old"
    point = "after change file /etc/crash/conf"
    host.pause_at(point)
    process = host.start_deploy(which)
    problem = None
    try:
        _wait_paused(host, process, point)
        host.inside("systemctl kill --signal=KILL 'lispdeploy-activate-*'")
        host.release()
        out, err = process.communicate(timeout=300)
        report = json.loads(out)["hosts"][0]
        message = report.get("error", {}).get("message", "")
        if process.returncode != 1 or "process was killed (at: change file /etc/crash/conf); " \
                f"the host undid it and is on generation" not in message:
            problem = f"the deploy said: {process.returncode} {message or err}"
        code, out = host.inside(SETTLE)
        state = host.state()
        if state != host.states[host.systems[host.on]]:
            problem = (problem or "") + "; mixed:\n" + _diff(
                host.states[host.systems[host.on]], state)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    done = host.deploy(which)
    if done.returncode != 0 or host.state() != host.states[host.systems[which]]:
        problem = (problem or "") + f"; next deploy: {_error(done)}"
    host.on = which
    results.append(("agent killed", f"{which}: {point}", problem))


def run_kind(host: CrashHost, kind: str, points) -> Tuple[list, float]:
    started = time.monotonic()
    results: list = []
    run_points(host, kind, chosen(points, kind), results)
    if kind == "sigkill":
        killed_agent(host, results)
    return results, time.monotonic() - started


def test_interrupted_deploys_leave_one_complete_generation_and_converge(world):
    import concurrent.futures
    started = time.monotonic()
    hosts, points = prepare(world, len(KINDS))
    lines = [f"prepared {len(hosts)} hosts in {time.monotonic() - started:.0f} s; points: "
             + ", ".join(f"{len(v)} deploying {k}" for k, v in points.items())]
    with concurrent.futures.ThreadPoolExecutor(len(KINDS)) as pool:
        futures = {kind: pool.submit(run_kind, host, kind, points)
                   for kind, host in zip(KINDS, hosts)}
        outcomes = {kind: f.result() for kind, f in futures.items()}
    problems = []
    for kind, (results, seconds) in outcomes.items():
        bad = [r for r in results if r[2]]
        ours = [r for r in results if r[0] == kind]
        lines.append(f"{kind}: {len(ours)} points, {len([r for r in bad if r[0] == kind])} "
                     f"problems, {seconds:.0f} s")
        problems += [f"{k} at {p}: {problem}" for k, p, problem in bad]
    summary = "\n".join(lines)
    print(summary)
    assert not problems, summary + "\n" + "\n".join(problems)
    for kind, (results, _) in outcomes.items():
        assert len([r for r in results if r[0] == kind]) >= (30 if ALL_POINTS else 2 * SAMPLE), \
            (kind, len(results))
