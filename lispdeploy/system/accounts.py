"""User accounts and groups, and the base ones every system has (`%base-user-accounts`,
`%base-groups`).
"""

from __future__ import annotations

import re

from lispdeploy import checks
from lispdeploy.errors import SpecError
from lispdeploy.records import Field, Record, Thunk

_NAME = re.compile(r"^[a-z_][a-z0-9_-]*\$?$")


def _account_name(value):
    name = checks.string(value)
    if not _NAME.match(name) or len(name) > 32:
        raise TypeError("a user or group name (lower-case letters, digits, '-' and '_')")
    return name


def _shell(value):
    # A package's file, (file-append zsh "/bin/zsh"), keeps its package (see PackagePath).
    if isinstance(value, str) and hasattr(value, "package"):
        return value
    return checks.string(value)


class UserGroup(Record):
    """A group of users (`/etc/group` entry)."""

    record_name = "user-group"
    fields = (
        Field("name", check=_account_name),
        Field("password", None, check=checks.optional(checks.string)),
        Field("id", None, check=checks.optional(checks.integer, "a group id")),
        Field("system", False, check=checks.boolean, spec_name="system?"),
    )


class UserAccount(Record):
    """A user account (`/etc/passwd` entry), with its primary and supplementary groups."""

    record_name = "user-account"
    fields = (
        Field("name", check=_account_name),
        Field("password", None, check=checks.optional(checks.string, "a crypt(3) hash")),
        Field("uid", None, check=checks.optional(checks.integer, "a user id")),
        Field("group", "users", check=_account_name, doc="the primary group's name"),
        Field("supplementary_groups", (), check=checks.list_of(_account_name, "group names")),
        Field("comment", "", check=checks.string),
        Field("home_directory", Thunk(lambda u: "/root" if u.name == "root" else f"/home/{u.name}"),
              check=checks.string),
        Field("create_home_directory", True, check=checks.boolean,
              spec_name="create-home-directory?"),
        Field("home_directory_permissions", 0o700, check=checks.integer),
        Field("shell", "/bin/bash", check=_shell,
              doc="a path, or (file-append PACKAGE \"/bin/zsh\"), whose package is installed"),
        Field("system", False, check=checks.boolean, spec_name="system?"),
    )

    def _validate(self):
        if not self.home_directory.startswith("/"):
            raise SpecError(f"user-account '{self.name}': home-directory must be an absolute path",
                            location=self.location)


# Guix's %base-groups, then the Debian base groups a spec is likely to name (sudo, adm, ...).
# A group without an id gets the host's existing id, or a new one when it is missing.
BASE_GROUPS = (UserGroup(name="root", id=0, system=True),) + tuple(
    UserGroup(name=name, system=True)
    for name in ("wheel", "users", "nogroup", "tty", "dialout", "kmem", "input", "video",
                 "audio", "netdev", "lp", "disk", "floppy", "cdrom", "tape", "kvm",
                 "adm", "sudo", "staff", "www-data", "systemd-journal"))

BASE_USER_ACCOUNTS = (
    UserAccount(name="root", uid=0, group="root", comment="System administrator",
                home_directory="/root", system=True),
)
