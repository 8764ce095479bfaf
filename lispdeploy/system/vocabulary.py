"""The spec names of the system layer: `operating-system`, accounts, file systems, bootloader,
keyboard layouts, packages and their `%base-*` lists."""

from __future__ import annotations

from lispdeploy.system.accounts import BASE_GROUPS, BASE_USER_ACCOUNTS, UserAccount, UserGroup
from lispdeploy.system.bootloader import (BOOTLOADERS, BootloaderConfiguration, KeyboardLayout,
                                          keyboard_layout)
from lispdeploy.system.file_systems import (BASE_FILE_SYSTEMS, FileSystem, FileSystemLabel,
                                            Uuid)
from lispdeploy.system.operating_system import OperatingSystem, SUDOERS_SPECIFICATION
from lispdeploy.system.packages import (BASE_PACKAGES, Package, package_variables,
                                        specification_to_package,
                                        specification_to_package_output)
from lispdeploy.system import guix_system
from lispdeploy.vocabulary import Vocabulary


def _label(label, *, location=None):
    """`(file-system-label "name")`."""
    return FileSystemLabel(label=label, location=location)


def _uuid(string, kind="dce", *, location=None):
    """`(uuid "1234-ABCD" ['fat])`."""
    return Uuid(string=string, type=kind, location=location)


SPEC_VOCABULARY = (Vocabulary(
    records=(OperatingSystem, UserAccount, UserGroup, FileSystem, BootloaderConfiguration,
             Package) + guix_system.RECORDS,
    procedures={
        "keyboard-layout": keyboard_layout,
        "file-system-label": _label,
        "uuid": _uuid,
        "specification->package": specification_to_package,
        "specification->package+output": specification_to_package_output,
        **guix_system.PROCEDURES,
    },
    values={
        **package_variables(),
        **guix_system.VALUES,
        "%base-user-accounts": BASE_USER_ACCOUNTS,
        "%base-groups": BASE_GROUPS,
        "%base-file-systems": BASE_FILE_SYSTEMS,
        "%base-packages": BASE_PACKAGES,
        "%sudoers-specification": SUDOERS_SPECIFICATION,
        "keyboard-layout?": lambda v: isinstance(v, KeyboardLayout),
        **BOOTLOADERS,
    },
    modules=(("gnu", "system"), ("gnu", "system", "accounts"), ("gnu", "system", "shadow"),
             ("gnu", "system", "file-systems"), ("gnu", "system", "keyboard"),
             ("gnu", "system", "uuid"), ("gnu", "system", "mapped-devices"), ("gnu", "bootloader"), ("gnu", "bootloader", "grub")),
),)
