"""The essential services of an operating system: the ones Guix derives from the
`operating-system` record itself (`operating-system-default-essential-services`), which every
system has whatever its `services` field says.

    system-service-type          the root
    host-settings-service-type   host-name, timezone, locale, keyboard-layout
    etc-service-type             /etc/sudoers (mode 0440, checked with `visudo -c -f` on the
                                 host before it is put in place), /etc/hosts when `hosts-file`
                                 is given, /etc/issue when `issue` is given
    account-service-type         the `groups` and `users` fields
    activation-service-type      (empty; services add to it)
    shepherd-root-service-type   (empty; services add units to it)
    profile-service-type         the `packages` field

`file-systems` and `bootloader` are not services: the deploy's safety checks verify them
against the host, and lispdeploy never mounts them, writes their /etc/fstab lines or
reinstalls a bootloader (swap's fstab lines and LUKS devices' crypttab lines are the
manifest's swap and mapped-devices sections).

A spec may replace this list with the `essential-services` field, as in Guix.
"""

from __future__ import annotations

from typing import Tuple

from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import PlainFile
from lispdeploy.services.core import Service, services_check
from lispdeploy.services.sinks import (EtcFile, HostSettings, OperatingSystemEtcFile, account_service_type,
                                       activation_service_type, etc_service_type,
                                       host_settings_service_type, profile_service_type,
                                       shepherd_root_service_type, system_service_type)
from lispdeploy.system.guix_system import luks_packages
from lispdeploy.system.operating_system import OperatingSystem
from lispdeploy.system.packages import Package

VISUDO = "/usr/sbin/visudo"


def operating_system_etc_files(os: OperatingSystem) -> Tuple[EtcFile, ...]:
    """The /etc files the operating-system record declares itself."""
    sudoers = os.sudoers_file
    files = [OperatingSystemEtcFile(path="sudoers", file=sudoers, mode=0o440,
                     validate=(VISUDO, "-c", "-f", "{}"),
                     location=sudoers.location or os.location)]
    if os.hosts_file is not None:
        files.append(EtcFile(path="hosts", file=os.hosts_file,
                             location=os.hosts_file.location or os.location))
    if os.issue is not None:
        files.append(EtcFile(path="issue", file=PlainFile(name="issue", content=os.issue),
                             location=os.location))
    return tuple(files)


def _packages(os: OperatingSystem) -> Tuple:
    """The `packages` field, the packages of login shells given as package files, and
    cryptsetup when a LUKS device is mapped."""
    # A package named by a string or a Guix variable has no location of its own: messages
    # about it (apt does not know it) point at the field that names it.
    where = os.field_location("packages")
    packages = [p if p.location is not None else p.replace(location=where)
                for p in os.packages]
    names = {p.name for p in packages}
    for user in os.users:
        package = getattr(user.shell, "package", None)
        if package is not None and package.name not in names:
            if package.location is None:
                package = package.replace(location=user.field_location("shell"))
            packages.append(package)
            names.add(package.name)
    for name, location in luks_packages(os):
        if name not in names:
            packages.append(Package(name=name, location=location))
            names.add(name)
    return tuple(packages)


def operating_system_default_essential_services(os: OperatingSystem) -> Tuple[Service, ...]:
    """The services every system has, built from `os` (see the module docstring)."""
    where = os.location
    settings = HostSettings(host_name=os.host_name, timezone=os.timezone, locale=os.locale,
                            keyboard_layout=os.keyboard_layout, location=where)
    return (
        Service(kind=system_service_type, value={}, location=where),
        Service(kind=host_settings_service_type, value=settings, location=where),
        Service(kind=etc_service_type, value=operating_system_etc_files(os), location=where),
        Service(kind=account_service_type, value=tuple(os.groups) + tuple(os.users),
                location=where),
        Service(kind=activation_service_type, value=(), location=where),
        Service(kind=shepherd_root_service_type, value=(), location=where),
        Service(kind=profile_service_type, value=_packages(os), location=where),
    )


def operating_system_services(os: OperatingSystem) -> Tuple[Service, ...]:
    """Every service of `os`: its essential services, then its `services` field."""
    essential = os.essential_services
    if essential is None:
        essential = operating_system_default_essential_services(os)
    else:
        try:
            essential = services_check(essential)
        except TypeError as e:
            raise ServiceError(f"operating-system: field 'essential-services' expects {e}",
                               location=os.location) from None
    return tuple(essential) + tuple(os.services)
