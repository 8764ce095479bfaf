"""Whole directories an activation puts in place (special files that are directories: a web
site, say): a store directory copied to its path with the declared owner, group and mode,
compared with the disk, and given back as it was when no generation wants it any more.

Comparing: a tree is described by its *listing* (one entry per directory, file and link:
relative path, kind, mode, owner, group, and a file's SHA-256 or a link's target) and its
*digest*, the SHA-256 of the canonical listing. The controller computes the digest a
generation wants from the store item (`wanted_digest`, recorded in the manifest); facts
gathering computes the digest of what is on disk (`tree_fact`); planning compares the two.
Directories get the declared mode; files 0644, or 0755 when executable in the store;
everything the declared owner and group.

Changing (the executors of the planner's directory changes): a tree is filled beside its path
(`.lispdeploy-new-NAME`) and renamed into place, so that readers see the old tree or the new
one, never half of one. The first time lispdeploy takes a path, what was there (a directory, a
file, a link, or nothing) is recorded with `"tree": true` in the host state, then moved (or
copied, across file systems) to the originals directory; restoring puts it back. Every
executor can be run again after an interruption and gives the same result: the record is
written before the disk changes, and a record whose backup is missing means the move to or
from the originals did not happen or has finished (the path holds the original).

Runs on hosts: standard library only.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil
import stat
from typing import Any, Dict, Iterable, List, Optional, Tuple

from lispdeploy.hostside import created
from lispdeploy.hostside.contract import SpecialFile, TreeFact
from lispdeploy.hostside.hoststate import ORIGINALS_DIR, HostState

# Larger trees are not listed (their digest is None: planning then replaces them).
MAX_ENTRIES = 50000
# How many differences a fact names.
MAX_DIFFERENCES = 10

# (relative path, kind "d"/"f"/"l"/"o", mode, user, group, SHA-256 or link target)
Entry = Tuple[str, str, int, str, str, str]


def file_mode(executable: bool) -> int:
    """The mode of a file in an installed tree."""
    return 0o755 if executable else 0o644


def tree_digest(listing: Iterable[Entry]) -> str:
    """The digest of a listing (in any order)."""
    h = hashlib.sha256()
    for rel, kind, mode, user, group, data in sorted(listing):
        h.update(os.fsencode(rel) + b"\0" + "\0".join(
            (kind, f"{mode:04o}", user, group, data)).encode("utf-8", "surrogateescape")
            + b"\n")
    return h.hexdigest()


def item_listing(entries: Iterable[Tuple[str, bytes, bool]], mode: int, user: str,
                 group: str) -> List[Entry]:
    """The listing of a store directory's entries ((path, content, executable), as the
    controller holds them) installed with `mode`, `user` and `group`."""
    listing: Dict[str, Entry] = {".": (".", "d", mode, user, group, "")}
    for path, content, executable in entries:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            listing[parent] = (parent, "d", mode, user, group, "")
        listing[path] = (path, "f", file_mode(executable), user, group,
                         hashlib.sha256(content).hexdigest())
    return list(listing.values())


def wanted_digest(entries: Iterable[Tuple[str, bytes, bool]], mode: int, user: str,
                  group: str) -> str:
    """The digest a store directory has once installed (what the manifest records)."""
    return tree_digest(item_listing(entries, mode, user, group))


def _name(table, number: int) -> str:
    try:
        return table(number)[0]
    except KeyError:
        return str(number)


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _walk(root: str):
    """(relative path, full path) of everything under `root`, parents first, sorted."""
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        relative = os.path.relpath(directory, root)
        for name in sorted(dirs + files):
            yield (os.path.normpath(os.path.join(relative, name)), os.path.join(directory, name))


def disk_listing(root: str, limit: Optional[int] = None) -> Optional[List[Entry]]:
    """The listing of the directory at `root` as it is (None when it has more than `limit`
    entries, MAX_ENTRIES by default)."""
    limit = MAX_ENTRIES if limit is None else limit
    out: List[Entry] = []

    def entry(rel: str, path: str) -> Entry:
        st = os.lstat(path)
        owner = (stat.S_IMODE(st.st_mode), _name(pwd.getpwuid, st.st_uid),
                 _name(grp.getgrgid, st.st_gid))
        if stat.S_ISDIR(st.st_mode):
            return (rel, "d", *owner, "")
        if stat.S_ISLNK(st.st_mode):
            return (rel, "l", 0, *owner[1:], os.readlink(path))
        if stat.S_ISREG(st.st_mode):
            return (rel, "f", *owner, _sha256(path))
        return (rel, "o", *owner, "")

    out.append(entry(".", root))
    for rel, path in _walk(root):
        if len(out) >= limit:
            return None
        out.append(entry(rel, path))
    return out


def store_listing(item: str, mode: int, user: str, group: str) -> List[Entry]:
    """The listing of the store directory `item` once installed (as `item_listing`)."""
    out: List[Entry] = [(".", "d", mode, user, group, "")]
    for rel, path in _walk(item):
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            out.append((rel, "d", mode, user, group, ""))
        else:
            out.append((rel, "f", file_mode(bool(st.st_mode & 0o111)), user, group,
                        _sha256(path)))
    return out


def differences(wanted: List[Entry], present: List[Entry]) -> List[str]:
    """What differs between two listings, for people: `NAME: missing`, `NAME: content`..."""
    want = {e[0]: e for e in wanted}
    have = {e[0]: e for e in present}
    out = []
    for rel in sorted(set(want) | set(have)):
        a, b = want.get(rel), have.get(rel)
        if b is None:
            out.append(f"{rel}: missing")
        elif a is None:
            out.append(f"{rel}: not in the generation")
        elif a[1] != b[1]:
            out.append(f"{rel}: kind")
        elif a[2:5] != b[2:5]:
            out.append(f"{rel}: mode or owner")
        elif a[5] != b[5]:
            out.append(f"{rel}: content")
    return out


def tree_fact(wanted: SpecialFile, root: str = "/") -> TreeFact:
    """What the path of a wanted directory holds now (under `root`: an image's files), and
    what differs from the wanted tree when its store item is on this host."""
    path = os.path.join(root, wanted.path.lstrip("/"))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return TreeFact("absent")
    except OSError:
        return TreeFact("other")
    if stat.S_ISLNK(st.st_mode):
        return TreeFact("symlink")
    if not stat.S_ISDIR(st.st_mode):
        return TreeFact("file" if stat.S_ISREG(st.st_mode) else "other")
    listing = disk_listing(path)
    if listing is None:
        return TreeFact("directory", None, MAX_ENTRIES)
    fact = TreeFact("directory", tree_digest(listing), len(listing))
    item = os.path.join(root, wanted.item.lstrip("/"))
    if fact.digest != wanted.digest and os.path.isdir(item):
        found = differences(store_listing(item, int(wanted.mode, 8), wanted.user,
                                          wanted.group), listing)
        fact.differences = found[:MAX_DIFFERENCES] + (
            [f"{len(found) - MAX_DIFFERENCES} more"] if len(found) > MAX_DIFFERENCES else [])
    return fact


# ---------------------------------------------------------------------------------------------
# The executors


def _owner(user: str, group: str) -> Tuple[int, int]:
    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


def _copy(item: str, target: str, mode: int, uid: int, gid: int) -> None:
    os.mkdir(target, 0o700)
    for rel, source in _walk(item):
        path = os.path.join(target, rel)
        st = os.lstat(source)
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(path, 0o700)
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(source), path)
            os.lchown(path, uid, gid)
            continue
        else:
            shutil.copyfile(source, path)
        os.chown(path, uid, gid)
        if not stat.S_ISDIR(st.st_mode):
            os.chmod(path, file_mode(bool(st.st_mode & 0o111)))
    # Directories last, deepest first: the tree stays writable for root while it is filled.
    for directory, _dirs, _files in sorted(os.walk(target), key=lambda w: -len(w[0])):
        os.chown(directory, uid, gid)
        os.chmod(directory, mode)


def _backup_path(state: HostState, path: str) -> str:
    return os.path.join(state.root or "/", ORIGINALS_DIR, "tree" + path.replace("/", "%"))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _copy_owner(source: str, target: str) -> None:
    st = os.lstat(source)
    os.lchown(target, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(target, stat.S_IMODE(st.st_mode))


def _copy_with_owner(source: str, target: str, *, follow_symlinks: bool = True) -> str:
    shutil.copy2(source, target, follow_symlinks=False)
    _copy_owner(source, target)
    return target


def _move(source: str, target: str) -> None:
    """Rename `source` to `target`; across file systems, copy (with owners and modes) to a
    temporary name beside `target`, rename that, then remove `source`."""
    try:
        os.rename(source, target)
        return
    except OSError:
        pass
    partial = target + ".partial"
    _remove(partial)
    if os.path.isdir(source) and not os.path.islink(source):
        shutil.copytree(source, partial, symlinks=True, copy_function=_copy_with_owner)
        _copy_owner(source, partial)
    else:
        _copy_with_owner(source, partial)
    os.rename(partial, target)
    _remove(source)


def remember_original(path: str, state: HostState) -> None:
    """Record what `path` holds and move it to the originals, the first time lispdeploy takes
    it (nothing to do when that is done already)."""
    original = state.originals.get(path)
    if original is None:
        if not os.path.lexists(path):
            state.originals[path] = {"kind": "absent", "tree": True}
            state.save()
            return
        original = {"kind": "moved", "backup": _backup_path(state, path), "tree": True}
        state.originals[path] = original
        state.save()
    if original.get("kind") != "moved" or os.path.lexists(original["backup"]) or \
            not os.path.lexists(path):
        return
    # Recorded, not moved yet (or given back by an interrupted restore): the path holds the
    # original.
    os.makedirs(os.path.dirname(original["backup"]), mode=0o700, exist_ok=True)
    _move(path, original["backup"])


def install(args: Dict[str, Any], context) -> None:
    """Put the wanted tree at its path: filled beside it, then renamed into place."""
    path, item, mode = args["path"], args["item"], args["mode"]
    uid, gid = _owner(args["user"], args["group"])
    parent = os.path.dirname(path)
    created.makedirs(parent, 0o755)  # a failed generation's parents are tidied away
    name = os.path.basename(path)
    new = os.path.join(parent, f".lispdeploy-new-{name}")
    old = os.path.join(parent, f".lispdeploy-old-{name}")
    for leftover in (new, old):
        _remove(leftover)
    _copy(item, new, mode, uid, gid)
    remember_original(path, context.state)
    if os.path.lexists(path):
        os.rename(path, old)
    os.rename(new, path)
    _remove(old)


def restore(args: Dict[str, Any], context) -> None:
    """Give a path back as it was before lispdeploy first took it."""
    path = args["path"]
    state: HostState = context.state
    original = state.originals.get(path)
    if original is None:
        return
    if original["kind"] == "absent":
        _remove(path)
    elif os.path.lexists(original["backup"]):
        _remove(path)
        _move(original["backup"], path)
    # else: the backup was moved back already (an interrupted restore).
    state.originals.pop(path, None)
    state.save()


def forget(args: Dict[str, Any], context) -> None:
    """Stop managing a path that is already as it was before lispdeploy (absent)."""
    context.state.originals.pop(args["path"], None)
    context.state.save()


def is_tree(original: Dict[str, Any]) -> bool:
    """Whether a record of the host state's originals is a directory's."""
    return bool(original.get("tree"))


EXECUTORS = {
    ("directory", "add"): install,
    ("directory", "change"): install,
    ("directory", "remove"): restore,
    ("directory", "restore"): restore,
    ("directory", "forget"): forget,
}
