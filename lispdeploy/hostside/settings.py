"""Host-level settings at run time: the executors that make the planner's setting changes take
effect now (the running host name, generating a missing locale). The files that carry the
settings (/etc/hostname, /etc/hosts, /etc/localtime, /etc/default/locale, /etc/locale.gen,
/etc/default/keyboard) are planned in `hostside.plan` and written like any managed file.
Standard library only."""

from __future__ import annotations

import os
from typing import Any, Dict

from lispdeploy.hostside.commands import run
# (Not from `plan`: the probe checks time zones and should not load the planner.)
from lispdeploy.hostside.facts import (SUPPORTED_LOCALES, ZONEINFO, similar_locales,
                                       supported_lines)


def set_host_name(args: Dict[str, Any], context) -> None:
    """Give the running host its name."""
    run(["hostname", args["host_name"]])


def generate_locales(args: Dict[str, Any], context) -> None:
    """Compile the locales /etc/locale.gen lists; a locale no package provides (it was only
    known once `locales` was installed) is an error naming those that exist."""
    locale = args.get("locale")
    if locale and not os.path.exists(SUPPORTED_LOCALES):
        raise OSError(f"cannot generate locale {locale}: the locales package is not installed"
                      " (add it to the operating system's packages, as %base-packages does)")
    if locale and supported_lines([locale])[locale] is None:
        raise OSError(f"locale {locale} is not one glibc can generate; locales that exist: "
                      + (", ".join(similar_locales(locale)) or "see " + SUPPORTED_LOCALES))
    run(["locale-gen"])


def zone_exists(timezone: str) -> bool:
    """Whether the time zone is a file of the host's zoneinfo (a relative name, never a path
    elsewhere: "/etc/passwd" and "" are not time zones)."""
    if not timezone or timezone.startswith("/") or ".." in timezone.split("/"):
        return False
    path = os.path.normpath(os.path.join(ZONEINFO, timezone))
    return path.startswith(ZONEINFO + "/") and os.path.isfile(path)


EXECUTORS = {
    ("setting", "change", "host-name"): set_host_name,
    ("setting", "add", "locale"): generate_locales,
}
