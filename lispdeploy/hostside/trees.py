"""Whole directories an activation puts in place (special files that are directories: a web
site, say): a store directory copied to its path with the declared owner, group and mode,
compared with the disk, and given back as it was when no generation wants it any more.

A tree is installed beside its path (`.lispdeploy-new-NAME`) and renamed into place, so that
readers see the old tree or the new one, never half of one. The first time lispdeploy takes a
path, what was there (a directory, a file, a link, or nothing) is moved (or copied, across
file systems) to the originals directory and recorded with `"tree": true` in the host state;
restoring puts it back. Directories get the declared mode; files in them 0644, or 0755 when
executable in the store; everything the declared owner and group.

Runs on hosts: standard library only, imports nothing of lispdeploy outside this package.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
from typing import Dict, Iterator, List, Optional, Tuple

from lispdeploy.hostside.changes import Change
from lispdeploy.hostside.hoststate import ORIGINALS_DIR, HostState


class DesiredTree:
    """A directory that a generation wants at `path`: a copy of the store directory `item`."""

    __slots__ = ("path", "item", "mode", "user", "group")

    def __init__(self, path: str, item: str, *, mode: int = 0o755, user: str = "root",
                 group: str = "root"):
        self.path = path
        self.item = item
        self.mode = mode
        self.user = user
        self.group = group

    def owner(self) -> Tuple[int, int]:
        """(uid, gid) of the wanted owner, looked up on this host."""
        return pwd.getpwnam(self.user).pw_uid, grp.getgrnam(self.group).gr_gid


def _walk(root: str) -> Iterator[Tuple[str, os.stat_result]]:
    """(relative path, lstat) of everything under `root`, parents first, sorted."""
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        relative = os.path.relpath(directory, root)
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(directory, name)
            yield (os.path.normpath(os.path.join(relative, name)), os.lstat(path))


def _file_mode(source_mode: int) -> int:
    return 0o755 if source_mode & 0o111 else 0o644


def differences(desired: DesiredTree) -> List[str]:
    """What differs between the tree on disk and the one wanted (empty: it matches)."""
    try:
        uid, gid = desired.owner()
    except KeyError as e:
        return [f"owner {desired.user}:{desired.group} does not exist yet ({e})"]
    try:
        top = os.lstat(desired.path)
    except FileNotFoundError:
        return ["missing"]
    if not os.path.isdir(desired.item):
        # A dry run: the generation's items were not sent.
        return [f"would become a copy of {desired.item}"]
    if not stat.S_ISDIR(top.st_mode):
        return ["not a directory"]
    out = []
    if stat.S_IMODE(top.st_mode) != desired.mode or (top.st_uid, top.st_gid) != (uid, gid):
        out.append(".: mode or owner")
    wanted = dict(_walk(desired.item))
    present = dict(_walk(desired.path))
    for name in sorted(set(wanted) | set(present)):
        if name not in present:
            out.append(f"{name}: missing")
            continue
        if name not in wanted:
            out.append(f"{name}: not in the generation")
            continue
        want, have = wanted[name], present[name]
        if stat.S_IFMT(want.st_mode) != stat.S_IFMT(have.st_mode):
            out.append(f"{name}: kind")
            continue
        mode = desired.mode if stat.S_ISDIR(want.st_mode) else _file_mode(want.st_mode)
        if stat.S_IMODE(have.st_mode) != mode or (have.st_uid, have.st_gid) != (uid, gid):
            out.append(f"{name}: mode or owner")
        elif stat.S_ISREG(want.st_mode) and not _same_content(
                os.path.join(desired.item, name), os.path.join(desired.path, name), want, have):
            out.append(f"{name}: content")
    return out


def _same_content(a: str, b: str, sa: os.stat_result, sb: os.stat_result) -> bool:
    if sa.st_size != sb.st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            chunk = fa.read(1 << 16)
            if chunk != fb.read(1 << 16):
                return False
            if not chunk:
                return True


def _copy(desired: DesiredTree, target: str) -> None:
    uid, gid = desired.owner()
    os.mkdir(target, 0o700)
    for name, st in _walk(desired.item):
        source, path = os.path.join(desired.item, name), os.path.join(target, name)
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(path, 0o700)
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(source), path)
            os.lchown(path, uid, gid)
            continue
        else:
            shutil.copyfile(source, path)
        os.chown(path, uid, gid)
        os.chmod(path, desired.mode if stat.S_ISDIR(st.st_mode) else _file_mode(st.st_mode))
    # Directories last: the tree stays writable for root while it is filled.
    os.chown(target, uid, gid)
    os.chmod(target, desired.mode)


def _backup_path(state: HostState, path: str) -> str:
    return os.path.join(state.root, ORIGINALS_DIR, "tree" + path.replace("/", "%"))


def remember_original(path: str, state: HostState) -> None:
    """Move what `path` holds out of the way, to the originals, the first time lispdeploy takes
    it (nothing to do when it is managed already)."""
    if path in state.originals:
        return
    if not os.path.lexists(path):
        state.originals[path] = {"kind": "absent", "tree": True}
        state.save()
        return
    backup = _backup_path(state, path)
    os.makedirs(os.path.dirname(backup), mode=0o700, exist_ok=True)
    if os.path.lexists(backup):
        _remove(backup)
    try:
        os.rename(path, backup)
    except OSError:
        # Another file system: copy with owners and modes, then remove.
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.copytree(path, backup, symlinks=True, copy_function=_copy_with_owner)
            _copy_owner(path, backup)
        else:
            _copy_with_owner(path, backup)
        _remove(path)
    state.originals[path] = {"kind": "moved", "backup": backup, "tree": True}
    state.save()


def _copy_owner(source: str, target: str) -> None:
    st = os.lstat(source)
    os.lchown(target, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(target, stat.S_IMODE(st.st_mode))


def _copy_with_owner(source: str, target: str, *, follow_symlinks: bool = True) -> str:
    shutil.copy2(source, target, follow_symlinks=False)
    _copy_owner(source, target)
    return target


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def install(desired: DesiredTree, state: HostState) -> None:
    """Put the wanted tree at its path: filled beside it, then renamed into place."""
    parent = os.path.dirname(desired.path)
    os.makedirs(parent, mode=0o755, exist_ok=True)
    name = os.path.basename(desired.path)
    new = os.path.join(parent, f".lispdeploy-new-{name}")
    old = os.path.join(parent, f".lispdeploy-old-{name}")
    for leftover in (new, old):
        _remove(leftover)
    _copy(desired, new)
    remember_original(desired.path, state)
    if os.path.lexists(desired.path):
        os.rename(desired.path, old)
    os.rename(new, desired.path)
    _remove(old)


def restore(path: str, state: HostState) -> None:
    """Give `path` back as it was before lispdeploy first took it."""
    original = state.originals.get(path)
    if original is None:
        return
    if original["kind"] == "absent":
        _remove(path)
    else:
        _remove(path)
        backup = original["backup"]
        try:
            os.rename(backup, path)
        except OSError:
            if os.path.isdir(backup) and not os.path.islink(backup):
                shutil.copytree(backup, path, symlinks=True, copy_function=_copy_with_owner)
                _copy_owner(backup, path)
            else:
                _copy_with_owner(backup, path)
            _remove(backup)
    state.originals.pop(path, None)
    state.save()


def is_tree(path: str, state: HostState) -> bool:
    """Whether lispdeploy manages `path` as a tree."""
    return bool(state.originals.get(path, {}).get("tree"))


def tree_changes(desired: Dict[str, DesiredTree], state: HostState,
                 files_wanted: Optional[set] = None) -> List[Change]:
    """Changes that put every wanted tree in place and give back the trees no longer wanted
    (`files_wanted`: paths now wanted as plain files, which their own changes take over)."""
    changes = []
    for path in sorted(desired):
        tree = desired[path]
        found = differences(tree)
        if not found:
            continue
        action = "add" if found == ["missing"] and path not in state.originals else "change"
        detail = ("a copy of " + tree.item if action == "add"
                  else "; ".join(found[:5]) + (f"; {len(found) - 5} more" if len(found) > 5
                                               else ""))
        changes.append(Change("directory", action, path, lambda t=tree: install(t, state),
                              detail))
    for path in sorted(p for p in state.originals
                       if is_tree(p, state) and p not in desired):
        if files_wanted and path in files_wanted:
            continue
        original = state.originals[path]
        action = "remove" if original["kind"] == "absent" else "restore"
        detail = "" if action == "remove" else "give back what was there before lispdeploy"
        changes.append(Change("directory", action, path, lambda p=path: restore(p, state),
                              detail))
    return changes
