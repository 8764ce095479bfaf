"""The `operating-system` record: everything a machine should be.

Fields follow Guix's names and defaults. Fields Guix has for booting a Guix System kernel
(`kernel`, `initrd`, `firmware`, ...) are accepted so that Guix declarations load unchanged,
and shown by `describe`, but an ordinary host keeps its own kernel and boot set-up: lispdeploy
verifies `bootloader` and `file-systems` in its safety checks and does not rewrite them.
"""

from __future__ import annotations

from lispdeploy import checks
from lispdeploy.gexp.files import PlainFile, file_like_check
from lispdeploy.records import Field, Record
from lispdeploy.services.base import BASE_SERVICES
from lispdeploy.services import kinds
from lispdeploy.services.core import services_check
from lispdeploy.system.accounts import BASE_GROUPS, BASE_USER_ACCOUNTS, UserAccount, UserGroup
from lispdeploy.system.bootloader import BootloaderConfiguration, KeyboardLayout
from lispdeploy.system.file_systems import BASE_FILE_SYSTEMS, FileSystem
from lispdeploy.system.packages import BASE_PACKAGES, package_check

# Guix's two lines, then what Debian servers rely on: its defaults (a PATH with the sbin
# directories), group sudo (cloud images put their first user there), and the rules packages
# and administrators drop in /etc/sudoers.d. See docs/services.md.
SUDOERS_SPECIFICATION = PlainFile(name="sudoers", content=(
    "root ALL=(ALL) ALL\n"
    "%wheel ALL=(ALL) ALL\n"
    "\n"
    "# Debian's defaults, kept by lispdeploy's %sudoers-specification:\n"
    "Defaults env_reset\n"
    "Defaults mail_badpass\n"
    'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
    "%sudo ALL=(ALL:ALL) ALL\n"
    "@includedir /etc/sudoers.d\n"))


def _host_name_problem(name: str):
    labels = name.split(".")
    if not name or len(name) > 253 or not all(
            0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-"
            and all(c.isascii() and c.isalnum() or c == "-" for c in label)
            for label in labels):
        return "it is not one"
    return None


_host_name = kinds.within(kinds.word, _host_name_problem,
                          "a host name (letters, digits and '-', dot-separated)")


_accepted = checks.anything

class OperatingSystem(Record):
    """What a machine runs: host settings, accounts, packages and services."""

    record_name = "operating-system"
    fields = (
        Field("host_name", check=_host_name),
        Field("timezone", "Etc/UTC", check=kinds.timezone),
        Field("locale", "en_US.utf8", check=kinds.locale_name),
        Field("keyboard_layout", None,
              check=checks.optional(checks.instance_of(KeyboardLayout, "a keyboard-layout"))),
        Field("bootloader", None, check=checks.optional(checks.instance_of(
            BootloaderConfiguration, "a (bootloader-configuration ...)"))),
        Field("file_systems", BASE_FILE_SYSTEMS, check=checks.list_of(
            checks.instance_of(FileSystem, ""), "file-system records")),
        Field("users", BASE_USER_ACCOUNTS, check=checks.list_of(
            checks.instance_of(UserAccount, ""), "user-account records")),
        Field("groups", BASE_GROUPS, check=checks.list_of(
            checks.instance_of(UserGroup, ""), "user-group records")),
        Field("packages", BASE_PACKAGES, check=checks.list_of(package_check, "packages")),
        Field("services", BASE_SERVICES, check=services_check),
        Field("sudoers_file", SUDOERS_SPECIFICATION, check=file_like_check),
        Field("hosts_file", None, check=checks.optional(file_like_check)),
        Field("issue", None, check=checks.optional(kinds.raw)),
        Field("label", None, check=checks.optional(kinds.line)),
        Field("kernel", None, check=_accepted),
        Field("kernel_arguments", (), check=_accepted),
        Field("kernel_loadable_modules", (), check=_accepted),
        Field("initrd", None, check=_accepted),
        Field("initrd_modules", (), check=_accepted),
        Field("firmware", (), check=_accepted),
        Field("mapped_devices", (), check=_accepted),
        Field("swap_devices", (), check=_accepted),
        Field("skeletons", (), check=_accepted),
        Field("locale_definitions", (), check=_accepted),
        Field("name_service_switch", None, check=_accepted),
        Field("pam_services", (), check=_accepted),
        Field("setuid_programs", (), check=_accepted),
        Field("privileged_programs", (), check=_accepted),
        Field("essential_services", None, check=_accepted),
    )


def operating_system_check(value):
    """An operating-system record."""
    if isinstance(value, OperatingSystem):
        return value
    raise TypeError("an (operating-system ...)")
