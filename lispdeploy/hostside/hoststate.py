"""What lispdeploy has changed on a host, so that any generation, including generation 0 (the
host as it was), can be restored: the original of every path it manages, the accounts it
created or modified, the packages it installed, the units whose state it changed.

Kept in /var/lib/lispdeploy/state.json, rewritten atomically after every change so that an
interrupted activation leaves an accurate record. Runs on hosts: standard library only.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Dict, Optional

ROOT = "/var/lib/lispdeploy"
STATE_FILE = "state.json"
ORIGINALS_DIR = "originals"
FORMAT = 1


def secure_root(root: str = ROOT) -> None:
    """lispdeploy's directory on the host: traversable by others (services run as other users
    read public store items by path), readable by root only; its state, originals and
    generations (whose manifests hold password hashes) root's only."""
    os.makedirs(root, mode=0o711, exist_ok=True)
    for path, mode in ((root, 0o711), (os.path.join(root, "profiles"), 0o700),
                       (os.path.join(root, ORIGINALS_DIR), 0o700),
                       (os.path.join(root, STATE_FILE), 0o600),
                       (os.path.join(root, "lock"), 0o600)):
        try:
            if os.stat(path).st_mode & 0o7777 != mode:
                os.chmod(path, mode)
        except FileNotFoundError:
            pass


def write_atomically(path: str, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data`: a temporary file in the same directory, fsync, rename."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".lispdeploy-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


class HostState:
    """The record of lispdeploy's changes on this host (see the module docstring)."""

    def __init__(self, root: Optional[str] = ROOT, data: Optional[Dict[str, Any]] = None):
        self.root = root
        self.path = os.path.join(root, STATE_FILE) if root else None
        # homes: the home directories lispdeploy created (the only ones it chowns or chmods).
        self.data: Dict[str, Any] = {"format": FORMAT, "originals": {}, "users": {},
                                     "groups": {}, "packages": {}, "units": {}, "homes": {},
                                     "swaps": {}}
        if data is not None:
            self.data.update(json.loads(json.dumps(data)))
        elif self.path and os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                loaded = json.load(f)
            self.data.update(loaded)

    @classmethod
    def of(cls, data: Optional[Dict[str, Any]]) -> "HostState":
        """A record held in memory only (what a probe answered, a planner test's state)."""
        return cls(None, data or {})

    def public(self) -> Dict[str, Any]:
        """The record as it may leave the host: the original password hashes of accounts
        lispdeploy modified are left out (planning does not need them)."""
        data = json.loads(json.dumps(self.data))
        for record in data.get("users", {}).values():
            original = record.get("original")
            if isinstance(original, dict) and "password" in original:
                original["password"] = None
        return data

    def save(self) -> None:
        """Write the record atomically (a record held in memory is not written)."""
        if self.root is None or self.path is None:
            return
        os.makedirs(self.root, mode=0o711, exist_ok=True)
        write_atomically(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode(),
                         0o600)

    # Paths -------------------------------------------------------------------------------

    @property
    def originals(self) -> Dict[str, Dict[str, Any]]:
        """Managed path -> what it held before lispdeploy first managed it."""
        return self.data["originals"]

    def remember_original(self, path: str) -> None:
        """Record what `path` holds now, unless it is already managed."""
        if path in self.originals:
            return
        record: Dict[str, Any]
        if os.path.islink(path):
            record = {"kind": "symlink", "target": os.readlink(path)}
        elif os.path.isfile(path):
            st = os.stat(path)
            backups = os.path.join(self.root, ORIGINALS_DIR)
            os.makedirs(backups, mode=0o700, exist_ok=True)
            backup = os.path.join(backups, path.strip("/").replace("/", "%"))
            with open(path, "rb") as f:
                write_atomically(backup, f.read(), 0o600)
            record = {"kind": "file", "backup": backup, "mode": st.st_mode & 0o7777,
                      "uid": st.st_uid, "gid": st.st_gid}
        elif os.path.exists(path):
            raise OSError(f"{path} is a directory; lispdeploy manages files only")
        else:
            record = {"kind": "absent"}
        self.originals[path] = record
        self.save()

    def forget_original(self, path: str) -> None:
        """Drop the record of `path` (after restoring it) and its backup."""
        record = self.originals.pop(path, None)
        if record and record.get("backup") and os.path.exists(record["backup"]):
            os.unlink(record["backup"])
        self.save()

    # Accounts, packages, units -----------------------------------------------------------

    def record(self, kind: str, name: str, value: Optional[Dict[str, Any]]) -> None:
        """Set (or with None, drop) the record of a user, group, package or unit."""
        table = self.data[kind]
        if value is None:
            table.pop(name, None)
        else:
            table[name] = value
        self.save()

    def get(self, kind: str, name: str) -> Optional[Dict[str, Any]]:
        """The record of a user, group, package or unit, if lispdeploy changed it."""
        return self.data[kind].get(name)
