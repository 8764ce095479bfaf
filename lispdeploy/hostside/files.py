"""Putting files in place (/etc files, special files, unit files, host settings) and giving
them back: the executors of the planner's file changes. The original of a path is remembered
the first time lispdeploy changes it and given back when no generation wants the path any
more. Each executor is idempotent: run again after an interruption, it gives the same result.
Directories are `hostside.trees`'. Standard library only."""

from __future__ import annotations

import grp
import os
import pwd
import tempfile
from typing import Any, Dict

from lispdeploy.hostside import created
from lispdeploy.hostside.hoststate import HostState


def _owner(user: str, group: str):
    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


def write_file(path: str, content: bytes, mode: int, uid: int, gid: int) -> None:
    """Replace `path` atomically with `content` (temporary file, fsync, rename)."""
    directory = os.path.dirname(path)
    created.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".lispdeploy-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def write_link(path: str, target: str) -> None:
    """Make `path` a symbolic link to `target`, atomically."""
    directory = os.path.dirname(path)
    created.makedirs(directory, 0o755)
    tmp = os.path.join(directory, f".lispdeploy-{os.getpid()}-{os.path.basename(path)}")
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def install(args: Dict[str, Any], context) -> None:
    """Put a wanted file or link in place (see plan.Wanted.args), remembering the original."""
    path = args["path"]
    state: HostState = context.state
    if "secret" in args:
        install_secret(args, context)
        return
    state.remember_original(path)
    if "target" in args:
        write_link(path, args["target"])
        return
    content = context.read_item(args["item"]) if "item" in args else args["text"].encode()
    write_file(path, content, args["mode"], *_owner(args["user"], args["group"]))


def install_secret(args: Dict[str, Any], context) -> None:
    """Put a secret at its destination, from the content the controller sent (in memory), or
    give the content the host has its declared owner and mode. What the destination held
    before lispdeploy first managed it is remembered (root's only) to be given back; a secret
    lispdeploy itself wrote is kept in memory only while this activation may roll back."""
    path = args["path"]
    state: HostState = context.state
    state.remember_original(path)
    content = context.secrets.get(path)
    current = _read(path)
    if current is not None and path not in context.replaced_secrets:
        context.replaced_secrets[path] = current
    if content is None:
        if current is None:
            raise FileNotFoundError(f"the content of secret '{args['secret']}' was not sent")
        content = current
    write_file(path, content, args["mode"], *_owner(args["user"], args["group"]))


def _read(path: str):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def unavailable(args: Dict[str, Any], context) -> None:
    """A secret the host does not have and was not sent: nothing can be done here (the plan
    says so; the next deploy of the spec sends it)."""


def restore(args: Dict[str, Any], context) -> None:
    """Give a path back as it was before lispdeploy first managed it."""
    path = args["path"]
    state: HostState = context.state
    original = state.originals.get(path)
    if original is None:
        return
    kind = original["kind"]
    if kind == "absent":
        if os.path.lexists(path):
            os.unlink(path)
    elif kind == "symlink":
        write_link(path, original["target"])
    else:
        with open(original["backup"], "rb") as f:
            content = f.read()
        write_file(path, content, original["mode"], original["uid"], original["gid"])
    state.forget_original(path)


def forget(args: Dict[str, Any], context) -> None:
    """Stop managing a path that is already as it was before lispdeploy."""
    context.state.forget_original(args["path"])


EXECUTORS = {
    ("file", "add"): install,
    ("file", "change"): install,
    ("file", "remove"): restore,
    ("file", "restore"): restore,
    ("file", "forget"): forget,
    ("file", "unavailable"): unavailable,
}
