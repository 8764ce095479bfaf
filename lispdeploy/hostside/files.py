"""Files an activation puts in place (/etc files, special files, unit files, host settings):
desired content
and mode, compared with what is on disk; the original of a path is remembered the first time
lispdeploy changes it and given back when no generation wants the path any more.
Standard library only."""

from __future__ import annotations

import grp
import os
import pwd
import tempfile
from typing import Dict, List, Optional

from lispdeploy.hostside.changes import Change, file_diff
from lispdeploy.hostside.hoststate import HostState


class DesiredFile:
    """A file (content, mode) or a symbolic link (target) that a generation wants at `path`."""

    __slots__ = ("path", "content", "mode", "link_target", "user", "group")

    def __init__(self, path: str, *, content: Optional[bytes] = None, mode: int = 0o644,
                 link_target: Optional[str] = None, user: str = "root", group: str = "root"):
        self.path = path
        self.content = content
        self.mode = mode
        self.link_target = link_target
        self.user = user
        self.group = group

    def owner(self):
        """(uid, gid) of the wanted owner, looked up on this host."""
        return pwd.getpwnam(self.user).pw_uid, grp.getgrnam(self.group).gr_gid


def _actual(path: str):
    """('symlink', target) | ('file', content, mode, uid, gid) | ('absent',) | ('other',)."""
    if os.path.islink(path):
        return ("symlink", os.readlink(path))
    if os.path.isfile(path):
        with open(path, "rb") as f:
            st = os.stat(path)
            return ("file", f.read(), st.st_mode & 0o7777, st.st_uid, st.st_gid)
    if os.path.exists(path):
        return ("other",)
    return ("absent",)


def matches(desired: DesiredFile) -> bool:
    """Whether the path already holds what is desired."""
    actual = _actual(desired.path)
    if desired.link_target is not None:
        return actual == ("symlink", desired.link_target)
    if actual[0] != "file" or actual[1] != desired.content or actual[2] != desired.mode:
        return False
    try:
        return (actual[3], actual[4]) == desired.owner()
    except KeyError:
        return False


def file_changes(desired: Dict[str, DesiredFile], state: HostState) -> List[Change]:
    """Changes that put every desired file in place and give back what is no longer wanted."""
    changes = []
    for path in sorted(desired):
        d = desired[path]
        if matches(d):
            continue
        actual = _actual(path)
        old = actual[1] if actual[0] == "file" else None
        action = "add" if path not in state.originals and actual[0] == "absent" else "change"
        if d.link_target is not None:
            detail = f"-> {d.link_target}"
        else:
            detail = file_diff(path, old, d.content, d.mode)
            if old == d.content and actual[0] == "file":
                detail = f"mode {actual[2]:04o} -> {d.mode:04o}" if actual[2] != d.mode \
                    else f"owner -> {d.user}:{d.group}"
        changes.append(Change("file", action, path, lambda d=d: install(d, state), detail))
    for path in sorted(set(state.originals) - set(desired)):
        original = state.originals[path]
        if original.get("tree"):
            continue            # a directory: hostside.trees gives it back
        actual = _actual(path)
        old = actual[1] if actual[0] == "file" else None
        if original["kind"] == "absent":
            detail = file_diff(path, old, None, actual[2] if actual[0] == "file" else 0o644)
            action = "remove"
        else:
            action = "restore"
            detail = "give back the file as it was before lispdeploy managed it"
        changes.append(Change("file", action, path, lambda p=path: restore(p, state), detail))
    return changes


def install(desired: DesiredFile, state: HostState) -> None:
    """Put a desired file or link in place atomically, remembering the original first."""
    state.remember_original(desired.path)
    directory = os.path.dirname(desired.path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    if desired.link_target is not None:
        tmp = os.path.join(directory, f".lispdeploy-{os.getpid()}-{os.path.basename(desired.path)}")
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(desired.link_target, tmp)
        os.replace(tmp, desired.path)
        return
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".lispdeploy-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(desired.content)
            f.flush()
            os.fsync(f.fileno())
        os.chown(tmp, *desired.owner())
        os.chmod(tmp, desired.mode)
        os.replace(tmp, desired.path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def restore(path: str, state: HostState) -> None:
    """Give `path` back as it was before lispdeploy first managed it."""
    original = state.originals.get(path)
    if original is None:
        return
    kind = original["kind"]
    if kind == "absent":
        if os.path.lexists(path):
            os.unlink(path)
    elif kind == "symlink":
        install(DesiredFile(path, link_target=original["target"]), state)
    else:
        with open(original["backup"], "rb") as f:
            content = f.read()
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".lispdeploy-")
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chown(tmp, original["uid"], original["gid"])
        os.chmod(tmp, original["mode"])
        os.replace(tmp, path)
    state.forget_original(path)
