"""User accounts and groups, and the base ones every system has (`%base-user-accounts`,
`%base-groups`).
"""

from __future__ import annotations

import posixpath
import re

from lispdeploy import checks
from lispdeploy.errors import SpecError
from lispdeploy.records import Field, Record, Thunk
from lispdeploy.services import kinds

_NAME = re.compile(r"^[a-z_][a-z0-9_-]*\$?$")

# Directories lispdeploy never makes a user's home (creating, chowning, chmodding it): the
# file system's own, and lispdeploy's. A home may be *inside* most of them (/home/ada,
# /srv/git, /var/lib/app), but not inside the trees listed in SYSTEM_TREES.
SYSTEM_DIRECTORIES = frozenset((
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr",
    "/var", "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/tmp", "/var/mail",
    "/var/www", "/usr/local", "/nonexistent", "/var/lib/lispdeploy"))
SYSTEM_TREES = ("/bin/", "/boot/", "/dev/", "/etc/", "/lib/", "/lib32/", "/lib64/", "/libx32/",
                "/proc/", "/run/", "/sbin/", "/sys/", "/usr/", "/var/lib/lispdeploy/")


_account_name = kinds.within(
    kinds.account_name, lambda text: "it is longer than 32" if len(text) > 32 else None,
    "a user or group name (lower-case letters, digits, '-' and '_')")


def _home_problem(text: str):
    problem = kinds.passwd_path._test(text)
    if problem:
        return problem
    normal = posixpath.normpath(text)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    if normal != text:
        return f"write \"{normal}\""
    return None


_home = kinds.FieldKind("home", "a normalized absolute path without spaces or ':'",
                        _home_problem)


def _id(value):
    number = checks.integer(value)
    if not 0 <= number < 2 ** 32 - 1:
        raise TypeError("an id from 0 to 4294967294")
    return number


class _Shell(kinds.FieldKind):
    """A login shell: a path /etc/passwd can hold; a package's file, (file-append zsh
    "/bin/zsh"), keeps its package (see PackagePath)."""

    def __call__(self, value):
        text = super().__call__(value)
        return value if hasattr(value, "package") else text


_shell = _Shell("passwd-path", kinds.passwd_path.what, kinds.passwd_path._test,
                doc=kinds.passwd_path.doc)


class UserGroup(Record):
    """A group of users (`/etc/group` entry)."""

    record_name = "user-group"
    fields = (
        Field("name", check=_account_name),
        Field("password", None, check=checks.optional(kinds.crypt_hash)),
        Field("id", None, check=checks.optional(_id, "a group id")),
        Field("system", False, check=checks.boolean, spec_name="system?"),
    )


class UserAccount(Record):
    """A user account (`/etc/passwd` entry), with its primary and supplementary groups."""

    record_name = "user-account"
    fields = (
        Field("name", check=_account_name),
        Field("password", None, check=checks.optional(kinds.crypt_hash, "a crypt(3) hash")),
        Field("uid", None, check=checks.optional(_id, "a user id")),
        Field("group", "users", check=_account_name, doc="the primary group's name"),
        Field("supplementary_groups", (), check=checks.list_of(_account_name, "group names")),
        Field("comment", "", check=kinds.passwd_field),
        Field("home_directory", Thunk(lambda u: "/root" if u.name == "root" else f"/home/{u.name}"),
              check=_home),
        Field("create_home_directory", True, check=checks.boolean,
              spec_name="create-home-directory?"),
        Field("home_directory_permissions", 0o700, check=kinds.mode),
        Field("shell", "/bin/bash", check=_shell,
              doc="a path, or (file-append PACKAGE \"/bin/zsh\"), whose package is installed"),
        Field("system", False, check=checks.boolean, spec_name="system?"),
    )

    def _validate(self):
        home = self.home_directory
        if not self.create_home_directory or (self.name == "root" and home == "/root"):
            return
        if home in SYSTEM_DIRECTORIES or home.startswith(SYSTEM_TREES):
            raise SpecError(
                f"user-account '{self.name}': home-directory {home} is a system directory, "
                "which lispdeploy will not create or give to a user",
                location=self.location,
                hint=f"give the user a home of its own such as \"/home/{self.name}\", or add "
                     "(create-home-directory? #f) if the account only needs the path")


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
