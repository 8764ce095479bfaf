"""The sections of a system manifest, read off the folded services: /etc files, special files
(outside /etc), accounts, packages and units. Each declaration is checked with the service it came from, so that a
conflict names both services and where the spec declares them.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from lispdeploy.errors import ServiceError
from lispdeploy.hostside.trees import wanted_digest
from lispdeploy.records import describe_value
from lispdeploy.services.core import Folding, Service, ServiceType
from lispdeploy.services.rendering import Renderer, Rendering
from lispdeploy.services.shepherd import ShepherdService, service_units
from lispdeploy.services.sinks import (DEBIAN_SPECIAL_FILES, SystemdUnit, account_service_type,
                                       activation_service_type, etc_file_check, etc_service_type,
                                       profile_service_type, shepherd_root_service_type,
                                       special_file_check, special_file_path,
                                       special_files_service_type)
from lispdeploy.gexp.files import SecretFile
from lispdeploy.store import StoreItem
from lispdeploy.system.accounts import UserAccount, UserGroup
from lispdeploy.system.packages import Package, debian_package

Declaration = Tuple[Service, Any]

VISUDO = "/usr/sbin/visudo"

# Files the deploy writes from the host settings (host-name, timezone, locale, keyboard-layout).
HOST_SETTINGS_FILES = {
    "hostname": "host-name", "timezone": "timezone", "localtime": "timezone",
    "default/locale": "locale", "locale.gen": "locale", "default/keyboard": "keyboard-layout"}


def declarations(folding: Folding, sink: ServiceType) -> List[Declaration]:
    """(service, item) for everything given to `sink`: its own value, then each extension."""
    target = folding.only(sink)
    out: List[Declaration] = [(target, item) for item in target.value]
    for source, contribution in folding.contributions(target):
        if sink is activation_service_type and not isinstance(contribution, (list, tuple)):
            contribution = (contribution,)
        if not isinstance(contribution, (list, tuple)):
            raise ServiceError(f"service '{source.kind.name}' gives {describe_value(contribution)}"
                               f" to {sink.name}-service-type, which expects a list",
                               location=source.location,
                               hint="the extension's procedure must return a list, e.g. "
                                    "(list (list \"motd\" (plain-file \"motd\" \"hi\")))")
        out += [(source, item) for item in contribution]
    return out


def _origin(service: Service) -> str:
    return f"'{service.kind.name}'" + (f" ({service.location})" if service.location else "")


def etc_entries(folding: Folding, renderer: Renderer, secrets: Optional[List] = None,
                locations: Optional[Dict[str, Any]] = None
                ) -> Tuple[List[Dict], List[StoreItem]]:
    """The manifest's "etc" section and the items it needs; the etc-file records whose content
    is a secret-file are added to `secrets` (their entries name the secret, hold no item);
    `locations` gets where the spec declares each file (/etc path -> location)."""
    if secrets is None:
        secrets = []
    if locations is None:
        locations = {}
    seen: Dict[str, Service] = {}
    entries: List[Dict] = []
    items: List[StoreItem] = []
    for source, declaration in declarations(folding, etc_service_type):
        etc = etc_file_check(declaration, location=source.location)
        if etc.path in HOST_SETTINGS_FILES:
            field = HOST_SETTINGS_FILES[etc.path]
            raise ServiceError(f"/etc/{etc.path} is written from the operating-system's {field} "
                               f"field; {_origin(source)} cannot declare it too",
                               location=etc.location or source.location,
                               hint=f"set ({field} ...) in the operating-system instead")
        if etc.path in seen:
            raise ServiceError(f"/etc/{etc.path} is declared twice: by {_origin(seen[etc.path])} "
                               f"and by {_origin(source)}", location=source.location,
                               hint="keep one of them; to change a service's file, change its "
                                    "configuration (modify-services) instead")
        for other, owner in seen.items():
            if etc.path.startswith(other + "/") or other.startswith(etc.path + "/"):
                raise ServiceError(f"/etc/{etc.path} and /etc/{other} cannot both exist (one "
                                   f"is inside the other): declared by {_origin(source)} and "
                                   f"{_origin(owner)}", location=source.location)
        seen[etc.path] = source
        locations["/etc/" + etc.path.lstrip("/")] = etc.location or source.location
        if isinstance(etc.file, SecretFile):
            # No item: the content travels at deploy time, to its destination only.
            secrets.append(etc)
            entries.append({"path": etc.path, "item": None, "secret": etc.file.name,
                            "mode": f"{etc.mode:04o}", "user": etc.user, "group": etc.group,
                            "validate": None, "validate-early": True})
            continue
        item = renderer.item_of(etc.file)
        if not etc.mode & 0o004:
            # A file others may not read keeps that mode in the store too.
            item = item.as_private()
        items.append(item)
        validate = list(etc.validate) if etc.validate else None
        if validate is None and etc.path.startswith("sudoers.d/"):
            # A broken drop-in breaks sudo for everyone: the host checks it first, as it
            # checks /etc/sudoers.
            validate = [VISUDO, "-c", "-f", "{}"]
        entries.append({"path": etc.path, "item": item.path, "mode": f"{etc.mode:04o}",
                        "user": etc.user, "group": etc.group, "validate": validate,
                        "validate-early": etc.validate_early})
    entries.sort(key=lambda e: e["path"])
    return entries, items


def special_file_entries(folding: Folding, renderer: Renderer
                         ) -> Tuple[List[Dict], List[StoreItem]]:
    """The manifest's "files" section (files and directories outside /etc) and its items."""
    if not folding.of_kind(special_files_service_type):
        return [], []
    seen: Dict[str, Service] = {}
    entries: List[Dict] = []
    items: List[StoreItem] = []
    for source, declaration in declarations(folding, special_files_service_type):
        if special_file_path(declaration) in DEBIAN_SPECIAL_FILES:
            continue  # left to Debian; the Guix System notes say so
        special = special_file_check(declaration, location=source.location)
        path = special.path
        if path == "/etc" or path.startswith("/etc/"):
            raise ServiceError(f"{path} is under /etc: {_origin(source)} must give it to "
                               "etc-service-type", location=special.location or source.location,
                               hint="files under /etc are etc-service-type's (etc-file records "
                                    "have owner, mode and validation too)")
        if path in seen:
            raise ServiceError(f"{path} is declared twice: by {_origin(seen[path])} and by "
                               f"{_origin(source)}", location=special.location or source.location,
                               hint="keep one of them")
        for other, owner in seen.items():
            if path.startswith(other + "/") or other.startswith(path + "/"):
                raise ServiceError(f"{path} and {other} cannot both be declared (one is inside "
                                   f"the other): by {_origin(source)} and {_origin(owner)}",
                                   location=special.location or source.location,
                                   hint="declare the directory, with the file inside it")
        seen[path] = source
        if isinstance(special.file, SecretFile):
            raise ServiceError(f"{path}: a secret-file goes to /etc only (an etc-file), never "
                               "into the store", location=special.location or source.location,
                               hint="declare it as an etc-file, e.g. (etc-file (path "
                                    "\"app/key\") (file (secret-file ...))), and point the "
                                    "program at /etc/app/key")
        item = renderer.item_of(special.file)
        directory = item.content is None
        mode = special.mode if special.mode is not None else (
            0o755 if directory or item.executable else 0o644)
        if not directory and not mode & 0o004:
            # A file others may not read keeps that mode in the store too.
            item = item.as_private()
        items.append(item)
        entries.append({"path": path, "item": item.path, "directory": directory,
                        "mode": f"{mode:04o}", "user": special.user, "group": special.group,
                        "digest": wanted_digest(item.entries, mode, special.user,
                                                special.group) if directory else None})
    entries.sort(key=lambda e: e["path"])
    return entries, items


def account_entries(folding: Folding) -> Tuple[List[Dict], List[Dict]]:
    """The manifest's "groups" and "users" sections."""
    groups: Dict[str, Tuple[Service, UserGroup]] = {}
    users: Dict[str, Tuple[Service, UserAccount]] = {}
    for source, record in declarations(folding, account_service_type):
        if isinstance(record, UserGroup):
            table: Dict = groups
        elif isinstance(record, UserAccount):
            table = users
        else:
            raise ServiceError(f"service '{source.kind.name}' gives {describe_value(record)} to "
                               "account-service-type, which expects user-account and "
                               "user-group records", location=source.location)
        if record.name in table:
            first_source, first = table[record.name]
            if first == record:
                continue
            raise ServiceError(f"{record.record_name} '{record.name}' is declared twice, "
                               f"differently: by {_origin(first_source)} and {_origin(source)}",
                               location=record.location or source.location,
                               hint="declare it once")
        table[record.name] = (source, record)
    _unique_ids([g for _, g in groups.values()], "id", "group id")
    _unique_ids([u for _, u in users.values()], "uid", "user id")
    for source, user in users.values():
        for group in (user.group, *user.supplementary_groups):
            if group not in groups:
                raise ServiceError(
                    f"user-account '{user.name}': group '{group}' is not declared",
                    location=user.location or source.location,
                    hint=f"add it to the operating-system's groups: (groups (cons (user-group "
                         f"(name \"{group}\")) %base-groups))")
    return ([_group_json(g) for _, g in groups.values()],
            [_user_json(u) for _, u in users.values()])


def _unique_ids(records: Iterable, field: str, what: str) -> None:
    owners: Dict[int, Any] = {}
    for record in records:
        number = getattr(record, field)
        if number is None:
            continue
        if number in owners:
            raise ServiceError(f"{record.record_name} '{record.name}' has {what} {number}, "
                               f"already given to '{owners[number].name}'",
                               location=record.location or owners[number].location)
        owners[number] = record


def _group_json(group: UserGroup) -> Dict:
    return {"name": group.name, "gid": group.id, "system": group.system,
            "password": group.password}


def _user_json(user: UserAccount) -> Dict:
    return {"name": user.name, "uid": user.uid, "group": user.group,
            "supplementary-groups": list(user.supplementary_groups), "comment": user.comment,
            "home": user.home_directory, "create-home": user.create_home_directory,
            "home-permissions": f"{user.home_directory_permissions:04o}",
            "shell": user.shell, "system": user.system, "password": user.password}


class PackageOrigin:
    """Where the spec asks for a package: its location, the Guix package it stands for, and
    the service that wants it (None for the operating system's own `packages`)."""

    __slots__ = ("location", "guix_name", "service")

    def __init__(self, location=None, guix_name: Optional[str] = None,
                 service: Optional[str] = None):
        self.location = location
        self.guix_name = guix_name
        self.service = service

    def __repr__(self) -> str:
        return f"#<package-origin {self.location} {self.guix_name} {self.service}>"


def _chosen_packages(folding: Folding) -> Dict[str, Tuple[Service, Package]]:
    """Each package once, in the order first declared, with the service that declares it."""
    chosen: Dict[str, Tuple[Service, Package]] = {}
    for source, declaration in declarations(folding, profile_service_type):
        if isinstance(declaration, str):
            package = debian_package(declaration, location=source.location)
        elif isinstance(declaration, Package):
            package = declaration
        else:
            raise ServiceError(f"service '{source.kind.name}' gives {describe_value(declaration)}"
                               " to profile-service-type, which expects packages",
                               location=source.location,
                               hint="give package names such as \"vim\" or "
                                    "(specification->package \"vim\")")
        if package.name in chosen:
            first_source, first = chosen[package.name]
            if first.version and package.version and first.version != package.version:
                raise ServiceError(
                    f"package '{package.name}' is wanted at version {first.version} by "
                    f"{_origin(first_source)} and at {package.version} by {_origin(source)}",
                    location=package.location or source.location, hint="ask for one version")
            if package.version and not first.version:
                chosen[package.name] = (source, package)
            continue
        chosen[package.name] = (source, package)
    return chosen


def package_entries(folding: Folding) -> List[Dict]:
    """The manifest's "packages" section: each package once, in the order first declared."""
    return [{"name": p.name, "version": p.version} for _, p in _chosen_packages(folding).values()]


def package_origins(folding: Folding) -> Dict[str, PackageOrigin]:
    """Package name -> where the spec asks for it (for the deploy's messages about it)."""
    return {name: PackageOrigin(package.location or source.location, package.guix_name,
                                None if source.kind is profile_service_type
                                else source.kind.name)
            for name, (source, package) in _chosen_packages(folding).items()}


def unit_entries(folding: Folding, renderer: Renderer, etc_paths: Set[str]
                 ) -> Tuple[List[Dict], List[StoreItem]]:
    """The manifest's "units" section and the unit files it needs; `etc_paths` are the
    files units may watch (paths under /etc relative to it, special files absolute)."""
    declared: List[Tuple[Service, Any]] = []
    provisions: Dict[str, Tuple[str, Service]] = {}
    for source, unit in declarations(folding, shepherd_root_service_type):
        if isinstance(unit, ShepherdService):
            name, names = unit.unit_name, unit.provision
        elif isinstance(unit, SystemdUnit):
            # A timer and its service share a base name: only the service provides it.
            base = unit.name[:-len(".service")] if unit.name.endswith(".service") else unit.name
            name, names = unit.name, (*unit.provision, base)
        else:
            raise ServiceError(f"service '{source.kind.name}' gives {describe_value(unit)} to "
                               "shepherd-root-service-type, which expects shepherd-service and "
                               "systemd-unit records", location=source.location)
        for provided in names:
            if provided in provisions and provisions[provided][0] != name:
                raise ServiceError(
                    f"'{provided}' is provided twice: by {provisions[provided][0]} "
                    f"({_origin(provisions[provided][1])}) and by {name} ({_origin(source)})",
                    location=getattr(unit, "location", None) or source.location,
                    hint="give each shepherd-service its own provision names")
            provisions[provided] = (name, source)
        declared.append((source, unit))
    provision_units: Dict[str, Optional[str]] = {p: u for p, (u, _) in provisions.items()}

    merged: Dict[str, Tuple[Service, SystemdUnit]] = {}
    for source, declared_unit in declared:
        made = (service_units(declared_unit, provision_units, Rendering(renderer))
                if isinstance(declared_unit, ShepherdService) else [declared_unit])
        for unit in made:
            if unit.name in merged:
                unit = _merge(merged[unit.name], (source, unit))
            merged[unit.name] = (merged.get(unit.name, (source,))[0], unit)

    entries: List[Dict] = []
    items: List[StoreItem] = []
    for source, unit in merged.values():
        for path in (*unit.watch, *unit.reload):
            if path not in etc_paths:
                shown = path if path.startswith("/") else f"/etc/{path}"
                raise ServiceError(f"unit {unit.name} watches {shown}, which no service "
                                   "declares", location=unit.location or source.location,
                                   hint="watch only files given to etc-service-type or "
                                        "special-files-service-type")
        item = None
        if unit.file is not None:
            if f"systemd/system/{unit.name}" in etc_paths:
                raise ServiceError(
                    f"/etc/systemd/system/{unit.name} is the unit file lispdeploy writes for "
                    f"{_origin(source)}; an etc-service-type file cannot replace it",
                    location=unit.location or source.location,
                    hint="change the shepherd-service or systemd-unit record instead")
            item = renderer.item_of(unit.file)
            if item.content is None:
                raise ServiceError(f"unit {unit.name}: its file is a directory",
                                   location=unit.location or source.location)
            items.append(item)
        entries.append({"name": unit.name, "item": item.path if item else None,
                        "enable": unit.enable, "start": unit.start,
                        "watch": sorted(unit.watch), "reload": sorted(unit.reload),
                        "packages": sorted(set(unit.package_names))})
    return entries, items


def _merge(first: Tuple[Service, SystemdUnit], second: Tuple[Service, SystemdUnit]
           ) -> SystemdUnit:
    """Two services may both rely on a unit a package installs (cron.service); they may not
    both write one."""
    (first_source, a), (second_source, b) = first, second
    if a.file is not None or b.file is not None:
        raise ServiceError(f"unit {a.name} is declared twice: by {_origin(first_source)} and by "
                           f"{_origin(second_source)}",
                           location=b.location or second_source.location,
                           hint="keep one of them; each daemon needs its own unit name")
    return a.replace(enable=a.enable or b.enable, start=a.start or b.start,
                     watch=tuple(dict.fromkeys(a.watch + b.watch)),
                     reload=tuple(dict.fromkeys(a.reload + b.reload)),
                     packages=tuple(dict.fromkeys(a.packages + b.packages)),
                     provision=tuple(dict.fromkeys(a.provision + b.provision)))
