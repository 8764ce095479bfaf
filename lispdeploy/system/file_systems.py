"""File systems an operating system declares. lispdeploy does not rewrite /etc/fstab on
ordinary hosts: declared file systems are verified by the deploy's safety checks.
"""

from __future__ import annotations

import re

from lispdeploy import checks
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds


class FileSystemLabel(Record):
    """A device named by its file-system label: `(file-system-label "root")`."""

    record_name = "file-system-label"
    fields = (Field("label", check=kinds.line),)


class Uuid(Record):
    """A device named by its UUID: `(uuid "1234-ABCD")`."""

    record_name = "uuid"
    fields = (Field("string", check=checks.string), Field("type", "dce", check=checks.string))

    def _validate(self):
        if not re.fullmatch(r"[0-9A-Fa-f-]+", self.string):
            from lispdeploy.errors import SpecError
            raise SpecError(f"uuid: '{self.string}' is not a UUID", location=self.location)


_device = checks.either(kinds.line, checks.instance_of(FileSystemLabel, ""),
                        checks.instance_of(Uuid, ""),
                        what="a device path, (file-system-label ...) or (uuid ...)")

PSEUDO_FILE_SYSTEM_TYPES = frozenset((
    "binfmt_misc", "cgroup", "cgroup2", "debugfs", "devpts", "devtmpfs", "efivarfs", "fusectl",
    "hugetlbfs", "overlay", "proc", "securityfs", "sysfs", "tmpfs", "mqueue", "pstore",
    "configfs", "tracefs", "bpf", "autofs", "none"))


class FileSystem(Record):
    """A file system to be mounted: device, mount point and type."""

    record_name = "file-system"
    fields = (
        Field("mount_point", check=kinds.absolute_path),
        Field("device", check=_device),
        Field("type", check=kinds.word),
        Field("flags", (), check=checks.list_of(kinds.word, "flag names")),
        Field("options", None, check=checks.optional(kinds.line)),
        Field("mount", True, check=checks.boolean, spec_name="mount?"),
        Field("mount_may_fail", False, check=checks.boolean, spec_name="mount-may-fail?"),
        Field("needed_for_boot", False, check=checks.boolean, spec_name="needed-for-boot?"),
        Field("check", True, check=checks.boolean, spec_name="check?"),
        Field("skip_check_if_clean", True, check=checks.boolean,
              spec_name="skip-check-if-clean?"),
        Field("repair", "preen", check=checks.anything),
        Field("create_mount_point", False, check=checks.boolean, spec_name="create-mount-point?"),
        Field("dependencies", (), check=checks.anything, doc="accepted, unused"),
        Field("shepherd_requirements", (), check=checks.anything, doc="accepted, unused"),
    )

    @property
    def pseudo(self) -> bool:
        """Whether this is a pseudo, network or bind file system, which safety checks skip."""
        return (self.type in PSEUDO_FILE_SYSTEM_TYPES or self.type.startswith(("nfs", "cifs"))
                or "bind-mount" in self.flags)


BASE_FILE_SYSTEMS = (
    FileSystem(mount_point="/dev/pts", device="none", type="devpts", check=False,
               options="gid=5,mode=620"),
    FileSystem(mount_point="/dev/shm", device="tmpfs", type="tmpfs", check=False,
               flags=("no-suid", "no-dev"), options="size=50%"),
    FileSystem(mount_point="/sys/fs/cgroup", device="cgroup", type="cgroup2", check=False),
)
