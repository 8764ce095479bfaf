"""Bootloader and keyboard-layout declarations. lispdeploy does not install bootloaders on
ordinary hosts; declared targets are verified by the deploy's safety checks.
"""

from __future__ import annotations

from lispdeploy import checks
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds


_xkb_layout = kinds.within(kinds.xkb_name, lambda text: "it is empty" if not text else None,
                            "an XKB layout name such as \"us\" or \"de\"")


class KeyboardLayout(Record):
    """A keyboard layout: `(keyboard-layout "us" "altgr-intl" #:options '("ctrl:nocaps"))`."""

    record_name = "keyboard-layout"
    fields = (
        Field("name", check=_xkb_layout),
        Field("variant", None, check=checks.optional(kinds.xkb_name)),
        Field("model", None, check=checks.optional(kinds.xkb_name)),
        Field("options", (), check=checks.list_of(kinds.xkb_name, "XKB option strings")),
    )


def keyboard_layout(name, variant=None, *, model=None, options=(), location=None):
    """Guix's positional constructor: `(keyboard-layout NAME [VARIANT] #:model M #:options O)`."""
    return KeyboardLayout(name=name, variant=variant, model=model, options=options,
                          location=location)


class Bootloader(Record):
    """A bootloader kind (`grub-bootloader`, `grub-efi-bootloader`, ...)."""

    record_name = "bootloader"
    fields = (Field("name", check=checks.string),
              Field("package", None, check=checks.optional(checks.string)))


BOOTLOADERS = {
    "grub-bootloader": Bootloader(name="grub", package="grub-pc"),
    "grub-efi-bootloader": Bootloader(name="grub-efi", package="grub-efi-amd64"),
    "grub-efi-removable-bootloader": Bootloader(name="grub-efi-removable",
                                                package="grub-efi-amd64"),
    "grub-efi-netboot-bootloader": Bootloader(name="grub-efi-netboot", package="grub-efi-amd64"),
    "extlinux-bootloader": Bootloader(name="extlinux", package="extlinux"),
    "u-boot-bootloader": Bootloader(name="u-boot", package="u-boot-tools"),
}


def _one_target(value):
    return (value,)


class BootloaderConfiguration(Record):
    """Which bootloader to install where. `target` (one device) is the older spelling of
    `targets`."""

    record_name = "bootloader-configuration"
    fields = (
        Field("bootloader", check=checks.instance_of(Bootloader, "a bootloader such as "
                                                     "grub-bootloader")),
        Field("targets", (), check=checks.list_of(kinds.line, "device paths"),
              aliases={"target": _one_target}),
        Field("menu_entries", (), check=checks.anything),
        Field("default_entry", 0, check=checks.integer),
        Field("timeout", 5, check=checks.integer),
        Field("keyboard_layout", None,
              check=checks.optional(checks.instance_of(KeyboardLayout, "a keyboard-layout"))),
        Field("theme", None, check=checks.anything),
        Field("terminal_outputs", ("gfxterm",), check=checks.anything),
        Field("terminal_inputs", (), check=checks.anything),
        Field("serial_unit", None, check=checks.anything),
        Field("serial_speed", None, check=checks.anything),
    )
