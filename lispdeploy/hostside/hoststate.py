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


def write_atomically(path: str, data: bytes, mode: int = 0o644) -> None:
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
        self.data: Dict[str, Any] = {"format": FORMAT, "originals": {}, "users": {},
                                     "groups": {}, "packages": {}, "units": {}, "swaps": {}}
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
        os.makedirs(self.root, mode=0o755, exist_ok=True)
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
