"""Building a machine's system on the controller (Guix's `guix system build`): fold its
services, render every /etc file and unit, make the activation program, and describe the
whole generation in a manifest (`lispdeploy.hostside.contract.Manifest`), the *system item*
`/var/lib/lispdeploy/store/<hash>-system`: host settings, /etc files, special files
elsewhere, accounts, packages, units (with the packages whose change restarts them and the
files whose change restarts or reloads them), the activation program and the items its
snippets use, declared file systems and bootloader (verified, never written), and every
store path the system needs.

Provenance (the spec's path and text, its git commit) is not part of the system item: it
travels with the deploy and is recorded with the generation, so that the same system deployed
from another path, spelling or commit is the same item, and a deploy of it is `unchanged`.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.runtime import runtime_item
from lispdeploy.hostside.contract import MANIFEST_FORMAT, Manifest, canonical_json
from lispdeploy.hostside.program import SourceMap
from lispdeploy.services.core import Folding
from lispdeploy.services.rendering import Renderer
from lispdeploy.services.sinks import HostSettings, system_service_type
from lispdeploy.store import StoreItem, closure
from lispdeploy.system.activation import activation_program
from lispdeploy.system.essential import operating_system_services
from lispdeploy.system.file_systems import FileSystem, FileSystemLabel, Uuid
from lispdeploy.system.guix_system import mapped_device_entries, swap_entries
from lispdeploy.system.manifest import (PackageOrigin, account_entries, etc_entries,
                                        package_entries, package_origins,
                                        special_file_entries, unit_entries)
from lispdeploy.system.provenance import provenance


class SystemClosure:
    """A built system: the system item, every item it needs, its manifest (`manifest`, the
    JSON form; `manifest_record`, the typed record), and the provenance of this build with the
    items it needs (the spec's text), which are not part of the system. `package_origins`
    says where the spec asks for each package (for the deploy's messages)."""

    def __init__(self, item: StoreItem, items: List[StoreItem], manifest: Dict[str, Any],
                 provenance: Optional[Dict[str, Any]] = None,
                 provenance_items: Optional[List[StoreItem]] = None,
                 secrets: Optional[Dict[str, Any]] = None,
                 etc_locations: Optional[Dict[str, Any]] = None,
                 package_origins: Optional[Dict[str, PackageOrigin]] = None):
        self.item = item
        self.items = items
        self.manifest = manifest
        self.provenance = provenance
        self.provenance_items = list(provenance_items or ())
        # /etc path -> secret-file whose content the deploy reads and sends to that path only.
        self.secrets = dict(secrets or {})
        # /etc path -> where the spec declares it (problems the host finds name that line).
        self.etc_locations = dict(etc_locations or {})
        self.package_origins = dict(package_origins or {})
        self._record: Optional[Manifest] = None

    @property
    def manifest_record(self) -> Manifest:
        """The manifest as the typed record, decoded (strictly) when first asked for: a deploy
        plans with it; `build` only needs the item."""
        if self._record is None:
            self._record = Manifest.from_json(self.manifest)
        return self._record

    @property
    def host_name(self) -> str:
        """The host name the system gives its machine."""
        return self.manifest["host-name"]

    def contents(self) -> Dict[str, bytes]:
        """Store path -> content of every file item (what planning reads)."""
        return {i.path: i.content for i in self.items if i.content is not None}

    def __repr__(self) -> str:
        return f"#<system {self.host_name} {self.item.path}>"


def build_system(machine, *, spec_path: Optional[str] = None, spec_text: Optional[str] = None,
                 listen_address: Optional[str] = None,
                 lowerer: Optional[Lowerer] = None,
                 origin: Optional[Tuple[Dict[str, Any], List[StoreItem]]] = None
                 ) -> SystemClosure:
    """Build the system of `machine` (see the module docstring). `listen_address` is the
    address listening services bind to when the spec names none (given by container
    environments); `lowerer` may be shared between the machines of one spec. `origin` is
    `provenance(spec_path, spec_text)` when the caller has it already (the same for every
    machine of a spec: git need not be asked again)."""
    operating_system = machine.operating_system
    folding = Folding(operating_system_services(operating_system))
    root = folding.value_of(folding.only(system_service_type))
    settings: HostSettings = root["host"][0]
    renderer = Renderer(lowerer, listen_address=listen_address)

    secret_files: List = []
    etc_locations: Dict[str, Any] = {}
    etc, etc_items = etc_entries(folding, renderer, secret_files, etc_locations)
    files, file_items = special_file_entries(folding, renderer)
    groups, users = account_entries(folding)
    units, unit_items = unit_entries(folding, renderer, {e["path"] for e in etc}
                                     | {f["path"] for f in files})
    activation = activation_program(folding, renderer)
    origin, origin_items = origin or provenance(spec_path, spec_text)
    origin = dict(origin)  # shared by the spec's machines; each adds its own locations

    top = etc_items + file_items + unit_items + ([activation] if activation else [])
    manifest: Dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "host-name": settings.host_name,
        "timezone": settings.timezone,
        "locale": settings.locale,
        "keyboard": _keyboard(settings.keyboard_layout),
        "listen-address": listen_address,
        "etc": etc,
        "files": files,
        "groups": groups,
        "users": users,
        "packages": package_entries(folding),
        "units": units,
        # The items its snippets use (the host runtime it runs with is in `items`, not here).
        "activation": {"program": activation.path,
                       "items": [r.path for r in activation.references
                                 if r.path != runtime_item().path]}
        if activation else None,
        "file-systems": [_file_system(fs) for fs in operating_system.file_systems],
        "bootloader": _bootloader(operating_system.bootloader),
        "swap": swap_entries(operating_system),
        "mapped-devices": mapped_device_entries(operating_system),
        # In the order of the system item's own closure (its references are sorted by path).
        "items": [item.path for item in closure(sorted(top, key=lambda i: i.path))],
    }
    # The manifest as built is the record's JSON form (tests/systems.py `checked` checks it):
    # the item is written from it without decoding it first. It holds password hashes: root
    # only reads it on the host.
    item = StoreItem("system", content=canonical_json(manifest).encode(), references=top,
                     private=True)
    items = closure([item])
    # Where the programs' gexps were written: provenance, recorded with the generation so that
    # errors on the host name spec lines; never part of an item.
    paths = {i.path for i in items}
    origin["locations"] = {path: _absolute(source_map.to_json()) for path, source_map
                           in sorted(renderer.lowerer.source_maps.items()) if path in paths}
    return SystemClosure(item, items, manifest, origin, origin_items,
                         {e.path: e.file for e in secret_files}, etc_locations,
                         package_origins=package_origins(folding))


def _absolute(source_map: Dict[str, Any]) -> Dict[str, Any]:
    """A source map naming files by absolute path: provenance must not depend on how the spec
    was spelled on the command line (`x.hy`, `./x.hy`)."""
    def file(name: str) -> str:
        return name if name.startswith("<") else os.path.abspath(name)

    def location(text: str) -> str:
        name, sep, rest = text.partition(":")
        return file(name) + sep + rest if sep and rest[:1].isdigit() else text
    return {"gexps": {k: [file(f), line, lines] for k, (f, line, lines)
                      in source_map["gexps"].items()},
            "snippets": [location(s) for s in source_map["snippets"]]}


def source_map_of(system: SystemClosure, program: Optional[str]) -> SourceMap:
    """The source map of one of the system's programs (empty if it has none)."""
    return SourceMap.of(((system.provenance or {}).get("locations") or {}).get(program))


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
