"""User accounts and groups: the executors of the planner's account changes. They create what
a generation declares, bring declared fields of existing accounts in line, and remove only what
lispdeploy itself created (giving back the original fields of accounts it merely modified).
Accounts lispdeploy never managed are never touched. Standard library only."""

from __future__ import annotations

import grp
import os
import pwd
from typing import Any, Dict, List, Optional

from lispdeploy.hostside import created
from lispdeploy.hostside.commands import run
from lispdeploy.hostside.facts import SHADOW
from lispdeploy.hostside.hoststate import HostState


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _user(name: str) -> Optional[pwd.struct_passwd]:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _shadow_hash(name: str) -> Optional[str]:
    try:
        with open(SHADOW, encoding="utf-8") as f:
            for line in f:
                fields = line.split(":")
                if fields[0] == name:
                    return fields[1]
    except OSError:
        return None
    return None


def current_fields(name: str) -> Optional[Dict[str, Any]]:
    """An existing account's fields as the manifest names them, or None."""
    entry = _user(name)
    if entry is None:
        return None
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = str(entry.pw_gid)
    return {"group": group,
            "supplementary-groups": sorted(g.gr_name for g in grp.getgrall()
                                           if name in g.gr_mem),
            "comment": entry.pw_gecos, "home": entry.pw_dir, "shell": entry.pw_shell}


def _usermod_argv(name: str, fields: Dict[str, Any]) -> List[str]:
    argv = ["usermod"]
    if "group" in fields:
        argv += ["-g", fields["group"]]
    if "supplementary-groups" in fields:
        argv += ["-G", ",".join(fields["supplementary-groups"])]
    if "comment" in fields:
        argv += ["-c", fields["comment"]]
    if "home" in fields:
        argv += ["-d", fields["home"]]
    if "shell" in fields:
        argv += ["-s", fields["shell"]]
    return argv + [name]


def add_group(args: Dict[str, Any], context) -> None:
    """groupadd a declared group (nothing if it exists by now)."""
    group = args["group"]
    if not _group_exists(group["name"]):
        argv = ["groupadd"]
        if group.get("system"):
            argv.append("--system")
        if group.get("gid") is not None:
            argv += ["-g", str(group["gid"])]
        run(argv + [group["name"]])
    context.state.record("groups", group["name"], {"created": True})


def add_user(args: Dict[str, Any], context) -> None:
    """useradd a declared user (with its home when it asks for one)."""
    user = args["user"]
    home = user["home"]
    # useradd -m makes the home (with /etc/skel) only when nothing is there: lispdeploy then
    # made it, and records so; a directory that was there is left as it is.
    make = bool(user.get("create-home")) and not os.path.lexists(home)
    if _user(user["name"]) is None:
        argv = ["useradd"]
        if user.get("system"):
            argv.append("--system")
        if user.get("uid") is not None:
            argv += ["-u", str(user["uid"])]
        argv += ["-g", user["group"], "-c", user["comment"], "-d", user["home"],
                 "-s", user["shell"]]
        if user["supplementary-groups"]:
            argv += ["-G", ",".join(user["supplementary-groups"])]
        argv.append("-m" if make else "-M")
        if user.get("password") is not None:
            argv += ["-p", user["password"]]
        if make:
            context.state.record("homes", home, {"user": user["name"]})
        run(argv + [user["name"]])
        if make and os.path.isdir(home):
            created.note(home, "home")  # made by useradd -m
    context.state.record("users", user["name"], {"created": True})
    if user.get("create-home"):
        make_home(user, context.state)


def make_home(user: Dict[str, Any], state: HostState) -> None:
    """Create a user's home directory, owned by them, with the declared permissions. A
    directory lispdeploy did not create (there before, or made by someone else meanwhile) is
    never chowned or chmodded."""
    entry = pwd.getpwnam(user["name"])
    home = user["home"]
    homes = state.data.setdefault("homes", {})
    if home not in homes:
        created.makedirs(os.path.dirname(home))
        # Recorded first (an executor records what it changes before changing it), and
        # forgotten when something is there already: that is not lispdeploy's.
        state.record("homes", home, {"user": user["name"]})
        try:
            os.mkdir(home, 0o700)
        except FileExistsError:
            state.record("homes", home, None)
            return
        created.note(home, "home")
    elif not os.path.isdir(home):
        created.makedirs(home, 0o700, how="home")
    os.chown(home, entry.pw_uid, entry.pw_gid)
    permissions = user.get("home-permissions", "0700")
    os.chmod(user["home"], int(permissions, 8) if isinstance(permissions, str) else permissions)


def change_user(args: Dict[str, Any], context) -> None:
    """Bring an existing account's declared fields (or its home) in line, remembering the
    fields it had the first time lispdeploy changes it."""
    if args.get("home"):
        make_home(args["user"], context.state)
        return
    name = args["user"]
    state: HostState = context.state
    fields = dict(args.get("fields") or {})
    password = args.get("password")
    if state.get("users", name) is None:
        original = current_fields(name) or {}
        if password is not None:
            original["password"] = _shadow_hash(name)
        state.record("users", name, {"created": False, "original": original})
    if fields:
        run(_usermod_argv(name, fields))
    if password is not None:
        run(["usermod", "-p", password, name])


def restore_user(args: Dict[str, Any], context) -> None:
    """Give an account lispdeploy modified back the fields it had before."""
    name = args["user"]
    state: HostState = context.state
    record = state.get("users", name) or {}
    original = dict(record.get("original") or {})
    password = original.pop("password", None)
    if _user(name) is not None:
        current = current_fields(name) or {}
        differing = {k: v for k, v in original.items() if current.get(k) != v}
        if differing:
            run(_usermod_argv(name, differing))
        if password is not None:
            run(["usermod", "-p", password, name])
    state.record("users", name, None)


def remove_user(args: Dict[str, Any], context) -> None:
    """userdel an account lispdeploy created (its home directory stays)."""
    name = args["user"]
    entry = _user(name)
    if entry is not None:
        run(["userdel", name])
        # The home stays (it holds the user's files) but is no longer lispdeploy's: a later
        # account naming it would find it there, and leave it alone.
        if entry.pw_dir in context.state.data.get("homes", {}):
            context.state.record("homes", entry.pw_dir, None)
    context.state.record("users", name, None)


def remove_group(args: Dict[str, Any], context) -> None:
    """groupdel a group lispdeploy created."""
    name = args["group"]
    if _group_exists(name):
        run(["groupdel", name])
    context.state.record("groups", name, None)


def forget_user(args: Dict[str, Any], context) -> None:
    """Drop the record of an account that is no longer on the host."""
    context.state.record("users", args["user"], None)


def forget_group(args: Dict[str, Any], context) -> None:
    """Drop the record of a group that is no longer on the host."""
    context.state.record("groups", args["group"], None)


EXECUTORS = {
    ("group", "add"): add_group,
    ("group", "remove"): remove_group,
    ("group", "forget"): forget_group,
    ("user", "add"): add_user,
    ("user", "change"): change_user,
    ("user", "restore"): restore_user,
    ("user", "remove"): remove_user,
    ("user", "forget"): forget_user,
}
