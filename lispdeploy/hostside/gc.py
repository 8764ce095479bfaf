"""Garbage collection on a host: delete old generations (never the current one, nor the newest
`keep`) and the store items no remaining generation refers to (through its manifest or the
specs its provenance records), but the host runtime this program runs on; the host agent
program that lispdeploy-recover.service runs at boot, and the one an open activation journal
names, are kept too; then the compiled runtimes of the code cache whose runtime item is gone.
Standard library only."""

from __future__ import annotations

import os
import shutil
from typing import Any, Dict, List, Optional, Set, Tuple

from lispdeploy.hostside import generations
from lispdeploy.hostside.store import STORE_DIR

# Where `bundle` keeps compiled runtimes: `<runtime item's name>-<bytecode magic>` (bundle
# spells the path itself: it is pasted into programs and imports nothing).
RUNTIME_CACHE = "/var/lib/lispdeploy/runtime-cache"


def live_items(excluding=()) -> Set[str]:
    """Store paths referred to by the generations (but those `excluding`): their system items
    and everything their manifests list."""
    live: Set[str] = set()
    for number in generations.numbers():
        if number in excluding:
            continue
        system = generations.system_of(number)
        live.add(system)
        for record in generations.provenance_records(number):
            spec = (record.get("provenance") or {}).get("spec") or {}
            if spec.get("item"):
                live.add(spec["item"])
        try:
            manifest = generations.read_manifest_json(system)
        except (OSError, ValueError):
            continue
        live.update(manifest.get("items", ()))
    live.update(_agents())
    return live


def _agents() -> Set[str]:
    """The host agent programs something may still run (at boot, to recover)."""
    from lispdeploy.hostside import agent, journal
    found = set()
    try:
        found.add(os.readlink(agent.AGENT_LINK))
    except OSError:
        pass
    try:
        opened = journal.Journal.read()
    except ValueError:
        opened = None
    if opened is not None and opened.agent:
        found.add(opened.agent)
    return found


def collect(keep: int, *, dry_run: bool = False, extra_roots: Optional[List[str]] = None
            ) -> Dict[str, Any]:
    """Delete generations older than the newest `keep` (the current one always stays) and
    unreferenced store items; return what was (or would be) deleted and the bytes freed."""
    current = generations.current()
    numbers = generations.numbers()
    kept = set(numbers[-keep:]) if keep > 0 else set()
    if current is not None:
        kept.add(current)
    doomed = [n for n in numbers if n not in kept]
    if not dry_run:
        for n in doomed:
            generations.remove(n)
    live = live_items(excluding=doomed)
    live.update(extra_roots or ())
    running = running_runtime()
    if running is not None:
        # Newer than every generation after an upgrade of lispdeploy: the next deploy needs it.
        live.add(running)
    deleted: List[str] = []
    freed = 0
    try:
        names = sorted(os.listdir(STORE_DIR))
    except FileNotFoundError:
        names = []
    for name in names:
        path = os.path.join(STORE_DIR, name)
        if path in live or name.startswith("."):
            continue
        freed += _size(path)
        deleted.append(path)
        if not dry_run:
            if os.path.isdir(path) and not os.path.islink(path):
                for root, dirs, _ in os.walk(path):
                    for d in dirs:
                        os.chmod(os.path.join(root, d), 0o755)
                os.chmod(path, 0o755)
                shutil.rmtree(path)
            else:
                os.unlink(path)
    compiled, cache_bytes = collect_runtime_cache(live, dry_run=dry_run)
    return {"generations-deleted": doomed, "items-deleted": deleted,
            "bytes-freed": freed + cache_bytes, "generations-kept": sorted(kept),
            "runtime-cache-deleted": compiled}


def running_runtime() -> Optional[str]:
    """The store path of the host runtime this code was loaded from, or None (run from
    elsewhere: a test, a checkout)."""
    here = os.path.abspath(__file__)
    prefix = STORE_DIR.rstrip("/") + "/"
    if not here.startswith(prefix):
        return None
    return prefix + here[len(prefix):].split("/", 1)[0]


def collect_runtime_cache(live: Set[str], *, dry_run: bool = False,
                          cache_dir: str = RUNTIME_CACHE, store_dir: str = STORE_DIR
                          ) -> Tuple[List[str], int]:
    """Delete the compiled runtimes (and leftovers of interrupted writes) whose runtime item
    is not in `live`; (paths deleted, bytes freed)."""
    try:
        names = sorted(os.listdir(cache_dir))
    except OSError:
        return [], 0
    deleted: List[str] = []
    freed = 0
    for name in names:
        path = os.path.join(cache_dir, name)
        # "<hash>-lispdeploy-runtime-<magic>" or, being written, "<that>.<pid>.tmp".
        item = name.split(".", 1)[0].rpartition("-")[0]
        if name.endswith(".tmp") or os.path.join(store_dir, item) not in live:
            try:
                freed += os.lstat(path).st_size
                if not dry_run:
                    os.unlink(path)
            except OSError:
                continue
            deleted.append(path)
    return deleted, freed


def _size(path: str) -> int:
    if os.path.isdir(path) and not os.path.islink(path):
        return sum(os.path.getsize(os.path.join(root, f))
                   for root, _, files in os.walk(path) for f in files)
    return os.lstat(path).st_size
