"""Building a machine's system on the controller (Guix's `guix system build`): fold its
services, render every /etc file and unit, make the activation program, and describe the
whole generation in a manifest, the *system item* `/var/lib/lispdeploy/store/<hash>-system`.

The manifest (JSON, keys sorted) is what the deploy applies:

    format          1
    host-name, timezone, locale
    keyboard        {"name", "variant", "model", "options"} or null
    listen-address  the address services were bound to (container hosts), or null
    etc             [{"path" (under /etc), "item", "mode" ("0644"), "user", "group",
                      "validate" (argv with "{}" for the new file, or null)}]
    groups          [{"name", "gid", "system", "password"}]
    users           [{"name", "uid", "group", "supplementary-groups", "comment", "home",
                      "create-home", "home-permissions", "shell", "system", "password"}]
    packages        [{"name", "version"}]
    units           [{"name", "item" (null: the package's own unit), "enable", "start",
                      "watch" (etc paths whose change restarts it)}]
    activation      the activation program's item, or null
    file-systems    [{"mount-point", "device": {"path"|"label"|"uuid": ...}, "type",
                      "options", "flags", "mount", "mount-may-fail", "needed-for-boot",
                      "check", "pseudo"}] (verified by safety checks, never written)
    bootloader      {"name", "package", "targets"} or null (verified, never installed)
    provenance      {"lispdeploy", "spec": {"path", "item"} or null,
                      "git": {"commit", "dirty"} or null}
    configuration   a hash of everything above but provenance: equal for two builds
                    that differ only in where the spec came from
    items           every store path the system needs (references first)

Builds are reproducible: the same spec (at the same commit) gives the same items.
Imports services, store, gexp and the system layer; never spec, remote or environments.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Optional

from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.services.core import Folding
from lispdeploy.services.rendering import Renderer
from lispdeploy.services.sinks import HostSettings, system_service_type
from lispdeploy.store import StoreItem, closure
from lispdeploy.system.activation import activation_program
from lispdeploy.system.essential import operating_system_services
from lispdeploy.system.file_systems import FileSystem, FileSystemLabel, Uuid
from lispdeploy.system.manifest import (account_entries, etc_entries, package_entries,
                                        unit_entries)
from lispdeploy.system.provenance import provenance

MANIFEST_FORMAT = 1


class SystemClosure:
    """A built system: the manifest item, every item it needs, and the manifest itself."""

    def __init__(self, item: StoreItem, items: List[StoreItem], manifest: Dict[str, Any],
                 secrets: Optional[Dict[str, Any]] = None):
        self.item = item
        self.items = items
        self.manifest = manifest
        # /etc path -> secret-file whose content the deploy reads and sends to that path only.
        self.secrets = dict(secrets or {})

    @property
    def host_name(self) -> str:
        """The host name the system gives its machine."""
        return self.manifest["host-name"]

    def __repr__(self) -> str:
        return f"#<system {self.host_name} {self.item.path}>"


def build_system(machine, *, spec_path: Optional[str] = None, spec_text: Optional[str] = None,
                 listen_address: Optional[str] = None,
                 lowerer: Optional[Lowerer] = None) -> SystemClosure:
    """Build the system of `machine` (see the module docstring). `listen_address` is the
    address listening services bind to when the spec names none (given by container
    environments); `lowerer` may be shared between the machines of one spec."""
    os = machine.operating_system
    folding = Folding(operating_system_services(os))
    root = folding.value_of(folding.only(system_service_type))
    settings: HostSettings = root["host"][0]
    renderer = Renderer(lowerer, listen_address=listen_address)

    secret_files: List = []
    etc, etc_items = etc_entries(folding, renderer, secret_files)
    groups, users = account_entries(folding)
    units, unit_items = unit_entries(folding, renderer, {e["path"] for e in etc})
    activation = activation_program(folding, renderer)
    origin, origin_items = provenance(spec_path, spec_text)

    manifest: Dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "host-name": settings.host_name,
        "timezone": settings.timezone,
        "locale": settings.locale,
        "keyboard": _keyboard(settings.keyboard_layout),
        "listen-address": listen_address,
        "etc": etc,
        "groups": groups,
        "users": users,
        "packages": package_entries(folding),
        "units": units,
        "activation": activation.path if activation else None,
        "file-systems": [_file_system(fs) for fs in os.file_systems],
        "bootloader": _bootloader(os.bootloader),
    }
    manifest["configuration"] = hashlib.sha256(_canonical(manifest)).hexdigest()
    manifest["provenance"] = origin
    top = etc_items + unit_items + ([activation] if activation else []) + origin_items
    # In the order of the system item's own closure (its references are sorted by path).
    manifest["items"] = [item.path for item in closure(sorted(top, key=lambda i: i.path))]
    # The manifest holds password hashes: root only reads it on the host.
    item = StoreItem("system", content=_canonical(manifest), references=top, private=True)
    return SystemClosure(item, closure([item]), manifest,
                         {e.path: e.file for e in secret_files})


def _canonical(document: Dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _keyboard(layout) -> Optional[Dict[str, Any]]:
    if layout is None:
        return None
    return {"name": layout.name, "variant": layout.variant, "model": layout.model,
            "options": list(layout.options)}


def _device(device) -> Dict[str, str]:
    if isinstance(device, FileSystemLabel):
        return {"label": device.label}
    if isinstance(device, Uuid):
        return {"uuid": device.string}
    return {"path": device}


def _file_system(fs: FileSystem) -> Dict[str, Any]:
    return {"mount-point": fs.mount_point, "device": _device(fs.device), "type": fs.type,
            "options": fs.options, "flags": list(fs.flags), "mount": fs.mount,
            "mount-may-fail": fs.mount_may_fail, "needed-for-boot": fs.needed_for_boot,
            "check": fs.check, "pseudo": fs.pseudo}


def _bootloader(config) -> Optional[Dict[str, Any]]:
    if config is None:
        return None
    return {"name": config.bootloader.name, "package": config.bootloader.package,
            "targets": list(config.targets)}
