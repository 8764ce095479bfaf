"""The probe: everything a deploy needs to know about a host, gathered in one round trip.

Architecture, OS and package manager, Python version, which store items are missing, the
current generation and its provenance, who holds the deploy lock, and the safety checks of the
system to deploy (declared file systems and bootloader targets exist, the time zone exists,
the locale is available or can be generated, configuration files that have a validator pass
it). Runs on hosts: standard library only.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from typing import Any, Dict, List

from lispdeploy.hostside import generations, packages, settings, store
from lispdeploy.hostside.commands import exists, run


def _os_release() -> Dict[str, str]:
    info: Dict[str, str] = {}
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key:
                    info[key] = value.strip('"')
    except OSError:
        pass
    return {"id": info.get("ID", "unknown"), "version": info.get("VERSION_ID", ""),
            "name": info.get("PRETTY_NAME", info.get("NAME", "unknown"))}


def _device_exists(device: Dict[str, str]) -> bool:
    """Whether a device given as {"path": ...}, {"label": ...} or {"uuid": ...} exists."""
    if "path" in device:
        return os.path.exists(device["path"])
    kind = "label" if "label" in device else "uuid"
    try:
        names = os.listdir(f"/dev/disk/by-{kind}")
    except OSError:
        return False
    wanted = device[kind] if kind == "label" else device[kind].lower()
    return any((n if kind == "label" else n.lower()) == wanted for n in names)


def _shown(device: Dict[str, str]) -> str:
    if "path" in device:
        return device["path"]
    kind = "label" if "label" in device else "uuid"
    return f"with {kind} {device[kind]}"


def _check(name: str, ok: bool, message: str = "", hint: str = "") -> Dict[str, Any]:
    return {"check": name, "ok": ok, "message": message, "hint": hint}


def safety_checks(request: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The checks of the system to deploy, each with its result."""
    results = []
    for fs in request.get("file-systems", ()):
        if not _device_exists(fs["device"]):
            results.append(_check(
                "file-system", False,
                f"device {_shown(fs['device'])} of file system {fs['mount-point']} not found",
                "declare the host's real device (see lsblk -f on the host), or set "
                "(safety-checks? #f) in its machine-ssh-configuration"))
    for target in request.get("bootloader-targets", ()):
        if not os.path.exists(target):
            results.append(_check("bootloader", False, f"bootloader target {target} not found",
                                  "declare the host's boot disk in bootloader-configuration"))
    results.extend(_setting_checks(request))
    # A checker may need what a package the activation installs provides (the daemon it
    # runs, the user it runs as): while the system has packages to install, configuration
    # files are checked by the activation, once they are installed (before any is written).
    versions = packages.installed_versions() if request.get("validations") else {}
    pending = [p for p in request.get("packages", ()) if p not in versions]
    for validation in request.get("validations", ()):
        if pending:
            results.append(_check(
                "validate", True, f"/etc/{validation['path']}: checked during activation, "
                                  f"after {', '.join(pending)} are installed"))
        else:
            results.append(_validate(validation))
    return results


def _setting_checks(request: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The time zone exists and the locale can be generated, now or once the packages that
    provide them (tzdata, locales) are installed by the activation."""
    results = []
    # Requests of controllers that predate "packages" could not say: assume they install.
    installing = set(request.get("packages", ("tzdata", "locales")))
    timezone = request.get("timezone")
    if timezone and not settings.zone_exists(timezone):
        if not os.path.isdir(settings.ZONEINFO) and "tzdata" in installing:
            results.append(_check("timezone", True, f"time zone '{timezone}': checked after "
                                                    "tzdata is installed"))
        else:
            results.append(_check(
                "timezone", False, f"time zone '{timezone}' is not in {settings.ZONEINFO}"
                + ("" if os.path.isdir(settings.ZONEINFO) else " (tzdata is not installed, "
                   "and the system does not install it)"),
                "use a name such as \"Europe/Paris\" (timedatectl list-timezones)"
                if os.path.isdir(settings.ZONEINFO) else
                "add tzdata to the operating system's packages (%base-packages has it)"))
    locale = request.get("locale")
    if locale and settings.normalize_locale(locale) not in settings.available_locales() \
            and settings.supported_line(locale) is None:
        if not os.path.exists(settings.SUPPORTED_LOCALES):
            if "locales" in installing:
                results.append(_check("locale", True, f"locale '{locale}': checked after "
                                                      "locales is installed"))
            else:
                results.append(_check(
                    "locale", False, f"locale '{locale}' cannot be generated here: the locales "
                                     "package is not installed, and the system does not "
                                     "install it",
                    "add locales to the operating system's packages (%base-packages has it), "
                    "or use \"C.UTF-8\", which needs no package"))
        else:
            results.append(_check(
                "locale", False, f"locale '{locale}' is neither available nor generatable here",
                "locales that exist: " + ", ".join(settings.similar_locales(locale))
                + f" (all of them: {settings.SUPPORTED_LOCALES})"))
    return results


def _validate(validation: Dict[str, Any]) -> Dict[str, Any]:
    argv = list(validation["argv"])
    path = "/etc/" + validation["path"]
    if not exists(argv[0]):
        return _check("validate", True, f"{path}: {argv[0]} is not installed yet; checked "
                                        "during activation, after packages are installed")
    with tempfile.NamedTemporaryFile(prefix="lispdeploy-check-", delete=False) as f:
        f.write(validation["content"].encode() if isinstance(validation["content"], str)
                else validation["content"])
        tmp = f.name
    try:
        result = run([tmp if a == "{}" else a for a in argv], check=False)
    finally:
        os.unlink(tmp)
    if result.returncode == 127:
        # The checker is there but runs a program that is not (a wrapper exec'ing the daemon
        # of a package the activation installs): the activation checks again after installing.
        return _check("validate", True, f"{path}: its checker needs a program that is not "
                                        "installed yet; checked during activation")
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().replace(tmp, path)
        return _check("validate", False, f"{path} is invalid: {detail}",
                      "fix the service's configuration in the spec")
    return _check("validate", True, f"{path} is valid")


def probe(request: Dict[str, Any]) -> Dict[str, Any]:
    """The host's facts and the safety checks of `request` (see the module docstring)."""
    current = generations.current()
    provenance: Dict[str, Any] = {}
    system = None
    if current is not None:
        system = generations.system_of(current)
        try:
            provenance = (generations.manifest_of(current) or {}).get("provenance") or {}
        except (OSError, ValueError):
            provenance = {}
    return {
        "machine": platform.machine(),
        "os": _os_release(),
        "package-manager": packages.package_manager(),
        "python": list(sys.version_info[:3]),
        "missing": store.missing(request.get("items", ())),
        "generation": current,
        "generations": generations.numbers(),
        "system": system,
        "provenance": provenance,
        "lock": generations.holder(),
        "systemd": os.path.isdir("/run/systemd/system"),
        "checks": safety_checks(request) if request.get("safety-checks", True) else [],
    }
