"""Garbage collection on a host: delete old generations (never the current one, nor the newest
`keep`) and the store items no remaining generation refers to (through its manifest or the
specs its provenance records). Standard library only."""

from __future__ import annotations

import os
import shutil
from typing import Any, Dict, List, Optional, Set

from lispdeploy.hostside import generations
from lispdeploy.hostside.store import STORE_DIR


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
    return live


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
    return {"generations-deleted": doomed, "items-deleted": deleted, "bytes-freed": freed,
            "generations-kept": sorted(kept)}


def _size(path: str) -> int:
    if os.path.isdir(path) and not os.path.islink(path):
        return sum(os.path.getsize(os.path.join(root, f))
                   for root, _, files in os.walk(path) for f in files)
    return os.lstat(path).st_size
