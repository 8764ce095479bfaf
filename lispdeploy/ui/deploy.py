"""Showing deploys: live progress per host (the phase each host is in and what it sends),
the closing table (host, result, generation, changes, time), each failure with its step and
roll-back, the dry run's diff, and generation listings.

On a terminal the progress is one line per host, redrawn in place; otherwise (CI logs, pipes)
each phase change is a line of its own. Everything goes to stderr but the table, the diff and
the listings, which go to stdout.
"""

from __future__ import annotations

import sys
import threading
from typing import Dict, List, Sequence

import click

from lispdeploy.deploy.pool import HostResult
from lispdeploy.report import FAILED, NOT_TOUCHED, HostReport
from lispdeploy.ui.hosts import HostReporter


class DeployProgress(HostReporter):
    """Pool reporter that also shows each host's phase (see the module docstring)."""

    def __init__(self, names: Sequence[str], *, verbose: bool, live: bool = None):
        super().__init__(names, show_output=verbose, verbose=verbose)
        self.names = list(names)
        self.live = sys.stderr.isatty() if live is None else live
        self.phases: Dict[str, str] = {n: "waiting" for n in names}
        self._drawn = 0
        self._phase_lock = threading.Lock()

    def wave_started(self, number: int, total: int, names: Sequence[str]) -> None:
        """Show that a wave of a rolling deploy begins (and which hosts wait for later)."""
        with self._phase_lock:
            for name in names:
                self.phases[name] = "waiting"
            if not self.live:
                click.echo(f"wave {number} of {total}: {', '.join(names)}", err=True)
        if self.live:
            with self._phase_lock:
                self._redraw()

    def host_started(self, name: str) -> None:
        """Show that work on the host begins."""
        self.host_phase(name, "starting")

    def host_phase(self, name: str, phase: str) -> None:
        """Show the host's new phase."""
        with self._phase_lock:
            self.phases[name] = phase
            if self.live:
                self._redraw()
            else:
                click.echo(f"{name.ljust(self.width)}  {phase}", err=True)

    def host_finished(self, result: HostResult) -> None:
        """Show the host's end: done or failed, and its time."""
        super().host_finished(result)
        report = result.value if result.ok else None
        failed = not result.ok or (isinstance(report, HostReport) and report.result == FAILED)
        self.host_phase(result.name, f"{'failed' if failed else 'done'} "
                                     f"({result.seconds:.1f} s)")

    def finished_line(self, result: HostResult) -> str:
        """With -v: what the host's connections did, the confirmation's included."""
        return verbose_line(result)

    def _redraw(self) -> None:
        if self._drawn:
            click.echo(f"\x1b[{self._drawn}A", nl=False, err=True)
        for name in self.names:
            click.echo(f"\x1b[2K{name.ljust(self.width)}  {self.phases[name]}", err=True)
        self._drawn = len(self.names)


def verbose_line(result: HostResult) -> str:
    """What -v says of a host's connections: `deployed in 1.20 s (2 connections, 3 round
    trips; sent 41.2 KB: requests 36.0 KB, of which items 8.1 KB; received 9.3 KB)`."""
    report = result.value if result.ok else None
    what = report.result if isinstance(report, HostReport) else (
        "done" if result.ok else "failed")
    traffic = result.traffic
    return (f"{result.name}: {what} in {result.seconds:.2f} s "
            f"({_count(result.connections, 'connection')}, "
            f"{_count(result.round_trips, 'round trip')}; sent {_size(traffic['sent'])}: "
            f"requests {_size(traffic['requests'])}, of which items "
            f"{_size(traffic['items'])}; received {_size(traffic['received'])})")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _size(n: int) -> str:
    return f"{n} B" if n < 1000 else f"{n / 1000:.1f} KB"


def _generation(report: HostReport) -> str:
    """The generation a host is on ("-" if it was never reached), with the one it came from."""
    if report.result in (FAILED, NOT_TOUCHED) and report.system is None:
        return "-"
    generation = report.generation or 0
    if report.result in ("deployed", "switched") and (report.previous or 0) != generation:
        return f"{report.previous or 0} -> {generation}"
    return str(generation)


def _changes(report: HostReport) -> str:
    if report.plan is not None:
        n = len(report.plan.get("changes", ()))
        return f"{n} to make" if n else "none"
    if report.result == FAILED:
        return "rolled back" if report.rolled_back else (
            "roll-back failed" if report.rolled_back is False else "none")
    n = len(report.changes)
    text = f"{n}" if n else "none"
    done = ([f"restarted {', '.join(report.restarted)}"] if report.restarted else []) + (
        [f"reloaded {', '.join(report.reloaded)}"] if report.reloaded else [])
    if done:
        text += f" ({'; '.join(done)})"
    if report.extra.get("provenance-moved"):
        text += " (provenance moved)"
    return text


def table(reports: List[HostReport]) -> str:
    """The closing table: host, result, generation, changes, time."""
    rows = [("HOST", "RESULT", "GENERATION", "CHANGES", "TIME")]
    for r in reports:
        rows.append((r.host, r.result, _generation(r), _changes(r), f"{r.seconds:.1f} s"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) if i < 4 else cell
                               for i, cell in enumerate(row)).rstrip() for row in rows)


def failures(reports: List[HostReport]) -> str:
    """Each failed host's error: step, message, hint."""
    out = []
    for r in reports:
        if r.error is None:
            continue
        step = f" ({r.error['step']})" if r.error.get("step") else ""
        where = f"{r.error['location']}: " if r.error.get("location") else ""
        text = f"{r.host}: {where}error{step}: {r.error['message']}"
        if r.error.get("hint"):
            text += f"\nhint: {r.error['hint']}"
        out.append(text)
    return "\n".join(out)


def warnings(reports: List[HostReport]) -> str:
    """Each host's warnings."""
    return "\n".join(f"{r.host}: warning: {w}" for r in reports for w in r.warnings)


def interrupted(stopped) -> str:
    """What happens next on each host after Ctrl-C stopped a deploy."""
    width = max((len(h.host) for h in stopped.hosts), default=0)
    return "\n".join(["interrupted:"] + [f"  {h.host.ljust(width)}  {h.text}"
                                         for h in stopped.hosts])


def stopped(rollout) -> str:
    """Why a rolling deploy stopped, and the hosts it did not touch."""
    return (f"{rollout.stopped}\nnot touched (still on their generation): "
            f"{', '.join(rollout.not_touched)}")


def summary(reports: List[HostReport], what: str) -> str:
    """`deploy: 2 of 3 hosts succeeded; failed: web-3`."""
    failed = [r.host for r in reports if r.result == FAILED]
    untouched = [r.host for r in reports if r.result == NOT_TOUCHED]
    done = len(reports) - len(failed) - len(untouched)
    text = f"{what}: {done} of {len(reports)} host" \
           f"{'' if len(reports) == 1 else 's'} succeeded"
    text += f"; failed: {', '.join(failed)}" if failed else ""
    return text + (f"; not touched: {', '.join(untouched)}" if untouched else "")


def dry_run(reports: List[HostReport]) -> str:
    """What a deploy would change on each host: diffs of files, accounts, packages, units,
    the items the activation uses; drift (what changed behind lispdeploy's back) marked."""
    out = []
    for r in reports:
        if r.plan is None:
            if r.result != FAILED:
                out.append(f"{r.host}: no change (the host already runs this system)")
            continue
        changes = r.plan.get("changes", [])
        current = r.generation or 0
        created = r.plan.get("create")
        if created:
            details = ", ".join(f"{k} {', '.join(v) if isinstance(v, list) else v}"
                                for k, v in created.items() if k not in ("kind", "name"))
            out.append(f"{r.host}: would create {created.get('kind', 'a host')} "
                       f"{created.get('name', '')}" + (f" ({details})" if details else ""))
            where = f"generation 0 -> 1, for the new host, planned on {r.plan['planned-on']}"
        elif r.plan.get("system-unchanged"):
            where = f"generation {current}, the system the host runs"
        else:
            where = f"generation {current} -> {r.plan.get('generation', current + 1)}"
        count = f"{len(changes)} change{'' if len(changes) == 1 else 's'}"
        if r.plan.get("drift"):
            count += f", {r.plan['drift']} of them drift"
        out.append(f"{r.host}: {count} ({where})")
        for c in changes:
            detail = c.get("detail", "")
            mark = " (drift: changed on the host, not by lispdeploy)" if c.get("drift") else ""
            if "\n" in detail:
                out.append(f"  {c['action']} {c['kind']} {c['name']}{mark}")
                out.extend("    " + line for line in detail.rstrip("\n").splitlines())
            else:
                out.append(f"  {c['action']} {c['kind']} {c['name']}"
                           + (f": {detail}" if detail else "") + mark)
        if r.plan.get("provenance-moved"):
            out.append("  provenance moved: the same system, deployed from another spec path "
                       "or commit (recorded, nothing else changes)")
        if r.plan.get("awaiting-confirmation") is not None:
            out.append(f"  generation {r.plan['awaiting-confirmation']} awaits the confirmation "
                       "of an interrupted deploy: a deploy confirms it (else the host goes "
                       "back by itself)")
        if r.plan.get("restart"):
            out.append(f"  services that would restart: {', '.join(r.plan['restart'])}")
        if r.plan.get("reload"):
            out.append(f"  services that would reload: {', '.join(r.plan['reload'])}")
    return "\n".join(out)


def generation_listing(reports: List[HostReport]) -> str:
    """Each host's generations: number, date, spec commit, current."""
    out = []
    for r in reports:
        if r.result == FAILED:
            continue
        out.append(f"{r.host}:")
        listing = r.extra.get("generations", [])
        if not listing:
            out.append("  no generations (the host is as it was before lispdeploy)")
        for g in listing:
            git = (g.get("provenance") or {}).get("git") or {}
            commit = git.get("commit", "")[:12] or "-"
            if git.get("dirty"):
                commit += " (dirty)"
            mark = "  (current)" if g.get("current") else ""
            out.append(f"  {g['number']:>4}  {g['date']}  commit {commit}{mark}")
    return "\n".join(out)
