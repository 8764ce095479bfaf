"""Provenance of a system: the spec it was built from (its text, as a store item, and its
path) and, when the spec is in a git work tree, the commit and whether the tree had
uncommitted changes. The deploy records it on the host and compares commits to refuse
downgrades.

Nothing here depends on the time or the user, so the same spec at the same commit always
gives the same provenance (and the same system).
"""

from __future__ import annotations

import os
import subprocess
from typing import Dict, List, Optional, Tuple

from lispdeploy import __version__
from lispdeploy.gexp.files import store_name
from lispdeploy.store import StoreItem


def spec_item(spec_path: Optional[str], spec_text: str) -> StoreItem:
    """The spec's text as a store item named after its file."""
    name = os.path.basename(spec_path) if spec_path else "spec.hy"
    try:
        name = store_name(name)
    except TypeError:
        name = "spec.hy"
    # A spec may hold passwords and keys in its text: root only reads it on the host.
    return StoreItem(name, content=spec_text.encode("utf-8"), private=True)


def git_state(path: str) -> Optional[Dict]:
    """{"commit", "dirty"} of the git work tree holding `path`, or None outside one (or
    without git). Dirty: a tracked file has uncommitted changes, or `path` is not tracked."""
    directory = os.path.dirname(os.path.abspath(path))
    commit = _git(directory, "rev-parse", "--verify", "-q", "HEAD")
    if commit is None:
        return None
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    tracked = _git(directory, "ls-files", "--error-unmatch", "--", os.path.abspath(path))
    return {"commit": commit, "dirty": bool(status) or tracked is None}


def _git(directory: str, *args: str) -> Optional[str]:
    try:
        result = subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True,
                                timeout=30, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0",
                                                 "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip()


def provenance(spec_path: Optional[str], spec_text: Optional[str]
               ) -> Tuple[Dict, List[StoreItem]]:
    """The manifest's "provenance" section and the items it needs."""
    if spec_text is None and spec_path is not None:
        with open(spec_path, encoding="utf-8") as f:
            spec_text = f.read()
    section: Dict = {"lispdeploy": __version__, "spec": None, "git": None}
    items: List[StoreItem] = []
    if spec_text is not None:
        item = spec_item(spec_path, spec_text)
        items.append(item)
        section["spec"] = {"path": os.path.abspath(spec_path) if spec_path else None,
                           "item": item.path}
    if spec_path is not None:
        section["git"] = git_state(spec_path)
    return section, items
