"""User accounts and groups on a host: create what a generation declares, bring declared
fields of existing accounts in line, and remove only what lispdeploy itself created (giving
back the original fields of accounts it merely modified). Accounts lispdeploy never managed
are never touched. Standard library only."""

from __future__ import annotations

import grp
import os
import pwd
from typing import Any, Dict, List, Optional

from lispdeploy.hostside.changes import Change
from lispdeploy.hostside.commands import run
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


def _supplementary_groups(name: str) -> List[str]:
    return sorted(g.gr_name for g in grp.getgrall() if name in g.gr_mem)


def _shadow_hash(name: str) -> Optional[str]:
    try:
        with open("/etc/shadow", encoding="utf-8") as f:
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
    return {"group": grp.getgrgid(entry.pw_gid).gr_name if _gid_known(entry.pw_gid) else
            str(entry.pw_gid),
            "supplementary-groups": _supplementary_groups(name),
            "comment": entry.pw_gecos, "home": entry.pw_dir, "shell": entry.pw_shell}


def _gid_known(gid: int) -> bool:
    try:
        grp.getgrgid(gid)
        return True
    except KeyError:
        return False


def _declared(user: Dict[str, Any]) -> Dict[str, Any]:
    return {"group": user["group"], "supplementary-groups": sorted(user["supplementary-groups"]),
            "comment": user["comment"], "home": user["home"], "shell": user["shell"]}


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


def account_changes(groups: List[Dict[str, Any]], users: List[Dict[str, Any]],
                    state: HostState) -> List[Change]:
    """Changes that create and update declared groups and users (removals: see
    `account_removals`)."""
    changes: List[Change] = []
    for group in groups:
        if not _group_exists(group["name"]):
            changes.append(Change("group", "add", group["name"],
                                  lambda g=group: _add_group(g, state),
                                  f"gid {group['gid']}" if group.get("gid") is not None else ""))
    for user in users:
        fields = current_fields(user["name"])
        if fields is None:
            changes.append(Change("user", "add", user["name"], lambda u=user: _add_user(u, state),
                                  _describe(_declared(user))))
            continue
        wanted = _declared(user)
        differing = {k: v for k, v in wanted.items() if fields.get(k) != v}
        if user.get("password") is not None and _shadow_hash(user["name"]) != user["password"]:
            differing["password"] = user["password"]
        if differing:
            detail = ", ".join(f"{k}: {_show(fields.get(k))} -> {_show(v)}"
                               for k, v in differing.items() if k != "password")
            if "password" in differing:
                detail = (detail + ", " if detail else "") + "password changed"
            changes.append(Change("user", "change", user["name"],
                                  lambda u=user, d=differing: _modify_user(u, d, state), detail))
        if user.get("create-home") and not os.path.isdir(user["home"]):
            changes.append(Change("user", "change", user["name"],
                                  lambda u=user: _make_home(u), f"create home {user['home']}"))
    return changes


def account_removals(groups: List[Dict[str, Any]], users: List[Dict[str, Any]],
                     state: HostState) -> List[Change]:
    """Changes that remove the accounts lispdeploy created and no generation wants any more,
    and give back the fields of accounts it modified."""
    changes: List[Change] = []
    wanted_users = {u["name"] for u in users}
    wanted_groups = {g["name"] for g in groups}
    for name, record in sorted(state.data["users"].items()):
        if name in wanted_users:
            continue
        if record.get("created"):
            if _user(name) is not None:
                changes.append(Change("user", "remove", name, lambda n=name: _del_user(n, state),
                                      "home directory kept"))
            else:
                state.record("users", name, None)
        else:
            changes.append(Change("user", "restore", name,
                                  lambda n=name, r=record: _restore_user(n, r, state),
                                  "give back the fields it had before lispdeploy"))
    for name, record in sorted(state.data["groups"].items()):
        if name not in wanted_groups and record.get("created"):
            changes.append(Change("group", "remove", name, lambda n=name: _del_group(n, state)))
    return changes


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "(" + " ".join(value) + ")"
    return repr(value)


def _describe(fields: Dict[str, Any]) -> str:
    return ", ".join(f"{k} {_show(v)}" for k, v in fields.items())


def _add_group(group: Dict[str, Any], state: HostState) -> None:
    argv = ["groupadd"]
    if group.get("system"):
        argv.append("--system")
    if group.get("gid") is not None:
        argv += ["-g", str(group["gid"])]
    run(argv + [group["name"]])
    state.record("groups", group["name"], {"created": True})


def _add_user(user: Dict[str, Any], state: HostState) -> None:
    argv = ["useradd"]
    if user.get("system"):
        argv.append("--system")
    if user.get("uid") is not None:
        argv += ["-u", str(user["uid"])]
    argv += ["-g", user["group"], "-c", user["comment"], "-d", user["home"], "-s", user["shell"]]
    if user["supplementary-groups"]:
        argv += ["-G", ",".join(user["supplementary-groups"])]
    argv.append("-m" if user.get("create-home") else "-M")
    if user.get("password") is not None:
        argv += ["-p", user["password"]]
    run(argv + [user["name"]])
    state.record("users", user["name"], {"created": True})
    if user.get("create-home"):
        _make_home(user)


def _make_home(user: Dict[str, Any]) -> None:
    entry = pwd.getpwnam(user["name"])
    os.makedirs(user["home"], mode=0o700, exist_ok=True)
    os.chown(user["home"], entry.pw_uid, entry.pw_gid)
    # The manifest writes modes as octal strings ("0700"), as it does for /etc files.
    permissions = user.get("home-permissions", "0700")
    os.chmod(user["home"], int(permissions, 8) if isinstance(permissions, str) else permissions)


def _modify_user(user: Dict[str, Any], differing: Dict[str, Any], state: HostState) -> None:
    if state.get("users", user["name"]) is None:
        original = current_fields(user["name"])
        if "password" in differing:
            original["password"] = _shadow_hash(user["name"])
        state.record("users", user["name"], {"created": False, "original": original})
    fields = {k: v for k, v in differing.items() if k != "password"}
    if fields:
        run(_usermod_argv(user["name"], fields))
    if "password" in differing:
        run(["usermod", "-p", differing["password"], user["name"]])


def _restore_user(name: str, record: Dict[str, Any], state: HostState) -> None:
    original = dict(record.get("original") or {})
    password = original.pop("password", None)
    if _user(name) is not None:
        current = current_fields(name)
        differing = {k: v for k, v in original.items() if current.get(k) != v}
        if differing:
            run(_usermod_argv(name, differing))
        if password is not None:
            run(["usermod", "-p", password, name])
    state.record("users", name, None)


def _del_user(name: str, state: HostState) -> None:
    run(["userdel", name])
    state.record("users", name, None)


def _del_group(name: str, state: HostState) -> None:
    if _group_exists(name):
        run(["groupdel", name])
    state.record("groups", name, None)
