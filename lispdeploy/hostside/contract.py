"""The contract between the controller and its hosts: every document that crosses SSH, as typed
records with their JSON form, and the names both ends agree on.

    Manifest        what a generation wants (the system item's content), read on the host
    ProbeRequest    what the controller asks in its one probe round trip ...
    ProbeAnswer     ... and what the host answers: store items it lacks, generations, lock,
                    safety-check reports, and the Facts planning needs
    Facts           files, accounts, packages, units and host settings as they are now
    Change          one planned (or made) change; `hostside.plan.plan` returns them in order
    Outcome         what an activation, a switch or a roll-back did
    Recovery        what the host did about an activation it found interrupted (its journal)
    HostSideError   the base of the host's exceptions; its `kind` travels with the error and
                    the controller recognises kinds (ERROR_KINDS), never class names

A record's JSON keys are its field names with "-" for "_". Decoding is strict: a missing
required key, a key the record does not have, or a value of the wrong type is a
`ContractError` naming where in the document it is. Manifests carry `format`; a host meeting a
manifest newer than it reads (an older host program) says so instead of misreading it.

Runs on hosts and on the controller: standard library only, valid Python 3.9.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, Dict, List, Optional

# Manifest formats: 2 moved provenance out of the system item and gave units their packages
# and the activation its items. Format 1 manifests (older generations) are read by upgrading.
MANIFEST_FORMAT = 2
READABLE_MANIFEST_FORMATS = (1, 2)

# Results of activations and switches (Outcome.result).
DEPLOYED = "deployed"
UNCHANGED = "unchanged"
FAILED = "failed"
RESULTS = (DEPLOYED, UNCHANGED, FAILED)

# Error kinds (HostSideError.kind, and the "kind" of a result document's error).
KIND_PROGRAM = "program"                # staged code raised (any exception of a user's gexp)
KIND_UNDEFINED_NAME = "undefined-name"  # staged code used a name the host does not have
KIND_VALUE_ENCODING = "value-encoding"  # the program's value cannot travel back
KIND_STORE = "store"                    # a store item could not be received or written
KIND_FORMAT = "format"                  # a document this host program cannot read
KIND_LOCKED = "locked"                  # another deploy holds the host's lock
KIND_ACTIVATION = "activation"          # a step of an activation failed
KIND_NO_GENERATION = "no-generation"    # a switch to a generation that does not exist
ERROR_KINDS = (KIND_PROGRAM, KIND_UNDEFINED_NAME, KIND_VALUE_ENCODING, KIND_STORE, KIND_FORMAT,
               KIND_LOCKED, KIND_ACTIVATION, KIND_NO_GENERATION)


class HostSideError(Exception):
    """Base of every exception the host code raises on purpose; `kind` is one of ERROR_KINDS."""

    kind = KIND_PROGRAM

    def __init__(self, message: str, *, kind: Optional[str] = None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class ContractError(HostSideError, ValueError):
    """A document that does not follow the contract (or is of a format this side cannot read)."""

    kind = KIND_FORMAT


def error_kind(error: BaseException) -> str:
    """The kind an exception travels as (see ERROR_KINDS)."""
    if isinstance(error, HostSideError):
        return error.kind
    if isinstance(error, NameError):
        return KIND_UNDEFINED_NAME
    return KIND_PROGRAM


# ---------------------------------------------------------------------------------------------
# Records and their JSON form


def _key(name: str) -> str:
    return name.replace("_", "-")


_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


class Record:
    """Base of the contract's dataclasses: `to_json()` and `from_json(data)`."""

    def to_json(self) -> Dict[str, Any]:
        """The record as JSON-compatible values."""
        return {_key(f.name): _encode(getattr(self, f.name))
                for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, data: Any, where: str = ""):
        """The record `data` (from `to_json`) stands for; ContractError if it does not fit."""
        where = where or _article(cls.__name__)
        if not isinstance(data, dict):
            raise ContractError(f"{where}: expected an object, got {type(data).__name__}")
        hints = _hints(cls)
        fields = {_key(f.name): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ContractError(f"{where}: unknown key {unknown[0]!r}")
        values = {}
        for key, f in fields.items():
            if key in data:
                values[f.name] = _decode(data[key], hints[f.name], f"{where}.{key}")
            elif f.default is dataclasses.MISSING and \
                    f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
                raise ContractError(f"{where}: key {key!r} is missing")
        return cls(**values)

    def replace(self, **changes):
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def _article(name: str) -> str:
    return name[0].lower() + name[1:]


def _encode(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


_SCALARS = {str: "a string", int: "an integer", bool: "a boolean", float: "a number"}


def _decode(data: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return data
    if origin is typing.Union:
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        others = [o for o in options if o is not type(None)]
        return _decode(data, others[0], where)
    if origin in (list, List):
        if not isinstance(data, list):
            raise ContractError(f"{where}: expected a list, got {type(data).__name__}")
        (element,) = typing.get_args(hint)
        return [_decode(v, element, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin in (dict, Dict):
        if not isinstance(data, dict):
            raise ContractError(f"{where}: expected an object, got {type(data).__name__}")
        _, element = typing.get_args(hint)
        return {k: _decode(v, element, f"{where}[{k!r}]") for k, v in data.items()}
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_json(data, where)
    if hint in _SCALARS:
        ok = isinstance(data, hint) and (hint is bool or not isinstance(data, bool)) or (
            hint is float and isinstance(data, int) and not isinstance(data, bool))
        if not ok:
            raise ContractError(f"{where}: expected {_SCALARS[hint]}, got {data!r}")
        return data
    return data


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def canonical_json(document: Dict[str, Any]) -> str:
    """A JSON document as canonical text, as the system item holds a manifest: keys sorted,
    one line (`python3 -m json.tool` shows it indented). Written by json's C encoder in one
    call: an indented dump goes through its pure-Python encoder, ten times slower, which was
    most of the time a `build` of 500 machines took."""
    return _CANONICAL.encode(document) + "\n"


def _list():
    return dataclasses.field(default_factory=list)


def _dict():
    return dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The manifest: what a generation wants


@dataclasses.dataclass
class EtcFile(Record):
    """A file under /etc: its store item, mode (octal text), owner, and the command that
    validates it ("{}" stands for the file), if any. A file is validated by the probe, before
    the deploy changes anything, unless `validate_early` is false (its validator needs what
    the activation program makes: a document root, a first certificate); then the activation
    validates it after its activation program, before any unit starts or reloads. A secret has
    no item: `secret` names it, and its content comes with the activation (never through the
    store)."""
    path: str
    item: Optional[str] = None
    mode: str = "0644"
    user: str = "root"
    group: str = "root"
    validate: Optional[List[str]] = None
    validate_early: bool = True
    secret: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        """The entry's JSON form; `secret` only for a secret, so that every other entry (and
        the system item holding it) stays as it was before secrets existed."""
        out = super().to_json()
        if self.secret is None:
            del out["secret"]
        return out

    @property
    def target(self) -> str:
        """The absolute path on the host."""
        return "/etc/" + self.path.lstrip("/")


@dataclasses.dataclass
class SpecialFile(Record):
    """A file or a whole directory outside /etc (`special-files-service-type`): a copy of its
    store item at an absolute path. For a directory, `mode` is its directories' (files get
    0644, or 0755 when executable in the store), `user` and `group` own everything in it, and
    `digest` is `hostside.trees.tree_digest` of the tree as it must be on disk (what planning
    compares with the host's `TreeFact.digest`)."""
    path: str
    item: str
    directory: bool = False
    mode: str = "0644"
    user: str = "root"
    group: str = "root"
    digest: Optional[str] = None


@dataclasses.dataclass
class Group(Record):
    """A group the system declares."""
    name: str
    gid: Optional[int] = None
    system: bool = False
    password: Optional[str] = None


@dataclasses.dataclass
class User(Record):
    """A user account the system declares (`password` is a crypt hash, or None)."""
    name: str
    group: str
    uid: Optional[int] = None
    supplementary_groups: List[str] = _list()
    comment: str = ""
    home: str = "/"
    create_home: bool = False
    home_permissions: str = "0700"
    shell: str = "/bin/sh"
    system: bool = False
    password: Optional[str] = None


@dataclasses.dataclass
class Package(Record):
    """A package for the host's package manager; `version` pins it (a Debian version, or a
    glob such as "2.10-*")."""
    name: str
    version: Optional[str] = None


@dataclasses.dataclass
class Unit(Record):
    """A systemd unit: the unit file lispdeploy installs (`item`), or None for a package's own
    unit. It restarts when its file, a watched path or one of `packages` changes, and reloads
    (`systemctl reload`) when only paths of `reload` changed. Paths are relative to /etc, or
    absolute for special files."""
    name: str
    item: Optional[str] = None
    enable: bool = True
    start: bool = True
    watch: List[str] = _list()
    reload: List[str] = _list()
    packages: List[str] = _list()


@dataclasses.dataclass
class Activation(Record):
    """The activation program (services' snippets) and the store items the snippets use."""
    program: str
    items: List[str] = _list()


@dataclasses.dataclass
class Keyboard(Record):
    """The keyboard layout of /etc/default/keyboard."""
    name: str
    variant: Optional[str] = None
    model: Optional[str] = None
    options: List[str] = _list()


@dataclasses.dataclass
class Swap(Record):
    """A swap area and its /etc/fstab line: a file (`/swapfile`), made when the host lacks it
    if `size` (bytes) is given, or a device (`/dev/vdb2`, `LABEL=swap`, `UUID=...`)."""
    target: str
    size: Optional[int] = None
    priority: Optional[int] = None
    discard: bool = False


@dataclasses.dataclass
class MappedDevice(Record):
    """A mapped device. `kind` luks: an /etc/crypttab line opening `sources[0]` (a path or
    UUID=...) as /dev/mapper/`targets[0]` at boot, with `key_file` (None: the passphrase is
    asked at boot) and `discard`. raid (`sources` its members, `targets[0]` the array) and
    lvm (`sources[0]` the volume group, `targets` its volumes): verified, never written."""
    kind: str
    targets: List[str]
    sources: List[str]
    key_file: Optional[str] = None
    discard: bool = False


@dataclasses.dataclass
class FileSystem(Record):
    """A declared file system: verified by the safety checks, never mounted or written."""
    mount_point: str
    device: Dict[str, str]
    type: str = "ext4"
    options: Optional[str] = None
    flags: List[str] = _list()
    mount: bool = True
    mount_may_fail: bool = False
    needed_for_boot: bool = False
    check: bool = True
    pseudo: bool = False


@dataclasses.dataclass
class Bootloader(Record):
    """A declared bootloader: its targets are verified, nothing is installed."""
    name: str
    package: Optional[str] = None
    targets: List[str] = _list()


@dataclasses.dataclass
class Manifest(Record):
    """What a system generation wants: the content of its system item."""
    host_name: str
    timezone: str
    locale: str
    format: int = MANIFEST_FORMAT
    keyboard: Optional[Keyboard] = None
    listen_address: Optional[str] = None
    etc: List[EtcFile] = _list()
    files: List[SpecialFile] = _list()
    groups: List[Group] = _list()
    users: List[User] = _list()
    packages: List[Package] = _list()
    units: List[Unit] = _list()
    activation: Optional[Activation] = None
    file_systems: List[FileSystem] = _list()
    bootloader: Optional[Bootloader] = None
    items: List[str] = _list()
    swap: List[Swap] = _list()
    mapped_devices: List[MappedDevice] = _list()

    @classmethod
    def from_json(cls, data: Any, where: str = "manifest"):
        """A manifest of any format this host program reads (see MANIFEST_FORMAT)."""
        if not isinstance(data, dict):
            raise ContractError(f"{where}: expected an object")
        fmt = data.get("format")
        if not isinstance(fmt, int) or fmt not in READABLE_MANIFEST_FORMATS:
            newer = isinstance(fmt, int) and fmt > MANIFEST_FORMAT
            raise ContractError(
                f"{where} has format {fmt!r}, and this host program reads formats "
                f"{', '.join(map(str, READABLE_MANIFEST_FORMATS))}"
                + ("; it was made by a newer lispdeploy: deploy with that version" if newer
                   else ""))
        if fmt == 1:
            data = upgrade_manifest_1(data)
        return super().from_json(data, where)


def upgrade_manifest_1(data: Dict[str, Any]) -> Dict[str, Any]:
    """A format-1 manifest (provenance inside, activation a bare path) in format 2."""
    data = {k: v for k, v in data.items() if k not in ("provenance", "configuration")}
    data["format"] = 2
    if isinstance(data.get("activation"), str):
        data["activation"] = {"program": data["activation"], "items": []}
    return data


def provenance_of_manifest_1(data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The provenance a format-1 manifest held inside itself."""
    return data.get("provenance") if data.get("format") == 1 else None


@dataclasses.dataclass
class Provenance(Record):
    """Where a generation's system came from: recorded with the generation, never part of the
    system item (so that the same system from another path or commit is the same item)."""
    lispdeploy: str = ""
    spec: Optional[Dict[str, Any]] = None      # {"path", "item"}: the spec and its text's item
    git: Optional[Dict[str, Any]] = None       # {"commit", "dirty"}
    # Program item path -> where its gexps were written (hostside.program.SourceMap).
    locations: Dict[str, Any] = _dict()

    @property
    def commit(self) -> Optional[str]:
        """The spec's git commit, if known."""
        return (self.git or {}).get("commit")


# ---------------------------------------------------------------------------------------------
# Facts: the host as it is, in one pass


@dataclasses.dataclass
class FileFact(Record):
    """A path on the host: `kind` is absent, file, symlink, directory or other. `text` is a
    world-readable file's content (for diffs) when it is small UTF-8 text; `mtime` when it
    last changed (seconds since the epoch)."""
    kind: str = "absent"
    sha256: Optional[str] = None
    mode: Optional[int] = None
    user: Optional[str] = None
    group: Optional[str] = None
    target: Optional[str] = None
    text: Optional[str] = None
    mtime: Optional[float] = None


@dataclasses.dataclass
class TreeFact(Record):
    """A path where a generation wants a directory (a special file): `kind` as FileFact's;
    for a directory, `digest` is `hostside.trees.tree_digest` of what is on disk (None when
    it holds more than the gatherer lists), and `differences` name what differs from the
    wanted tree (empty when it matches, or when the wanted tree is not in the host's store
    yet: the digest still decides)."""
    kind: str = "absent"
    digest: Optional[str] = None
    entries: int = 0
    differences: List[str] = _list()


@dataclasses.dataclass
class UserFact(Record):
    """An existing account, fields named as in the manifest. `password` is the SHA-256 of its
    shadow hash (the hash itself never leaves the host), None without a shadow entry."""
    name: str
    uid: int
    group: str
    supplementary_groups: List[str] = _list()
    comment: str = ""
    home: str = ""
    shell: str = ""
    password: Optional[str] = None
    home_exists: bool = False


@dataclasses.dataclass
class GroupFact(Record):
    """An existing group."""
    name: str
    gid: int


@dataclasses.dataclass
class PackageFact(Record):
    """A package as dpkg knows it: installed or not, its version, and when dpkg last unpacked
    it (`changed`, seconds since the epoch: the time of its file list)."""
    name: str
    installed: bool = False
    version: Optional[str] = None
    changed: Optional[float] = None


@dataclasses.dataclass
class UnitFact(Record):
    """A systemd unit now: `load` (loaded, not-found, masked...), `active` (active, inactive,
    failed...), `file_state` (enabled, disabled, static, masked, "" when not found),
    `skipped`: its last start was skipped because a Condition... was not met, and `started`:
    when its running process started (seconds since the epoch; None when it runs none)."""
    name: str
    load: str = "not-found"
    active: str = "inactive"
    file_state: str = ""
    skipped: bool = False
    started: Optional[float] = None

    @property
    def enablement(self) -> str:
        """What `systemctl is-enabled` would say (not-found for a unit that does not exist)."""
        if self.load == "masked" or self.file_state == "masked":
            return "masked"
        if self.load == "not-found":
            return "not-found"
        return self.file_state or "unknown"


@dataclasses.dataclass
class SwapFact(Record):
    """A swap target now: `kind` absent, swap (a file holding a swap area), file (a file
    that does not), device or other; `active` when it is in /proc/swaps; `path` the file
    or device it names."""
    kind: str = "absent"
    active: bool = False
    path: str = ""


@dataclasses.dataclass
class HostSettingsFact(Record):
    """Host-wide settings: the running host name, the compiled locales (normalized), and the
    line of /usr/share/i18n/SUPPORTED for each locale asked about (None: not generatable)."""
    hostname: str = ""
    locales: List[str] = _list()
    supported: Dict[str, Optional[str]] = _dict()


@dataclasses.dataclass
class FactsRequest(Record):
    """What to gather (`hostside.plan.facts_request` derives it from the manifests and the
    host's state)."""
    paths: List[str] = _list()
    users: List[str] = _list()
    groups: List[str] = _list()
    packages: List[str] = _list()
    units: List[str] = _list()
    locales: List[str] = _list()
    bases: List[str] = _list()        # partly managed files: their content before lispdeploy
    item_texts: List[str] = _list()   # store items whose text a diff shows
    swaps: List[str] = _list()        # swap targets (paths, LABEL=, UUID=)
    trees: List[SpecialFile] = _list()   # wanted directories: compared with the disk


@dataclasses.dataclass
class Facts(Record):
    """The host as planning sees it (absent users, groups and packages are simply missing)."""
    files: Dict[str, FileFact] = _dict()
    users: Dict[str, UserFact] = _dict()
    groups: Dict[str, GroupFact] = _dict()
    packages: Dict[str, PackageFact] = _dict()
    units: Dict[str, UnitFact] = _dict()
    host: HostSettingsFact = dataclasses.field(default_factory=HostSettingsFact)
    bases: Dict[str, str] = _dict()
    item_texts: Dict[str, str] = _dict()
    swaps: Dict[str, SwapFact] = _dict()
    trees: Dict[str, TreeFact] = _dict()

    def file(self, path: str) -> FileFact:
        """The fact of `path` (absent if it was not gathered or does not exist)."""
        return self.files.get(path) or FileFact()

    def unit(self, name: str) -> UnitFact:
        """The fact of a unit (not found if it was not gathered)."""
        return self.units.get(name) or UnitFact(name)

    def tree(self, path: str) -> TreeFact:
        """The fact of a wanted directory (absent if it was not gathered)."""
        return self.trees.get(path) or TreeFact()


# ---------------------------------------------------------------------------------------------
# The probe


@dataclasses.dataclass
class ProbeRequest(Record):
    """The probe: which store items to look for, the safety checks to run (check name ->
    its parameters, see hostside.safety), and the manifest to gather planning facts for."""
    items: List[str] = _list()
    checks: Dict[str, Any] = _dict()
    manifest: Optional[Manifest] = None


@dataclasses.dataclass
class OsRelease(Record):
    """/etc/os-release, in short."""
    id: str = "unknown"
    version: str = ""
    name: str = "unknown"


@dataclasses.dataclass
class ProbeAnswer(Record):
    """What the host answers to a probe."""
    machine: str
    os: OsRelease
    python: List[int]
    package_manager: Optional[str] = None
    systemd: bool = False
    missing: List[str] = _list()
    generation: Optional[int] = None
    generations: List[int] = _list()
    system: Optional[str] = None
    provenance: Optional[Provenance] = None
    lock: Optional[str] = None
    checks: Dict[str, Any] = _dict()           # check name -> what the host reports
    current: Optional[Manifest] = None         # the current generation's manifest
    facts: Optional[Facts] = None
    state: Optional[Dict[str, Any]] = None     # hoststate.HostState.public()
    # Interrupted activations the host finished or undid (at this probe, at boot, ...).
    recovered: List[Recovery] = _list()
    # An activation journal still open after the probe: an activation running now (`lock`
    # names it), or one whose recovery failed. The host is then not on a complete generation.
    interrupted: Optional[Dict[str, Any]] = None
    pending: Optional[Pending] = None          # a generation awaiting its confirmation


# ---------------------------------------------------------------------------------------------
# Changes and outcomes


@dataclasses.dataclass
class Change(Record):
    """One change to a host: what kind of thing, what happens to it, its name, a detail for
    people (a diff, fields), whether it is drift (the current generation wants the same, the
    host was changed behind lispdeploy's back), and `args`: what the executor needs, never
    shown in reports."""
    kind: str
    action: str
    name: str
    detail: str = ""
    drift: bool = False
    args: Dict[str, Any] = _dict()

    def shown(self) -> Dict[str, Any]:
        """The change for reports: kind, action, name, and detail and drift when set."""
        out: Dict[str, Any] = {"kind": self.kind, "action": self.action, "name": self.name}
        if self.detail:
            out["detail"] = self.detail
        if self.drift:
            out["drift"] = True
        return out

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.name}"


@dataclasses.dataclass
class Confirmation(Record):
    """The watchdog armed after a deploy (or why none could be)."""
    unit: str = ""
    deadline: float = 0.0
    timeout: float = 0.0
    error: str = ""


@dataclasses.dataclass
class Pending(Record):
    """A generation that awaits its confirmation: the host goes back to `previous` at
    `deadline` (its clock, seconds since the epoch) unless it is confirmed."""
    generation: int
    previous: Optional[int] = None
    deadline: float = 0.0


@dataclasses.dataclass
class Outcome(Record):
    """What an activation, switch or roll-back did. `changes` are Change.shown() entries.
    On failure `generation` is where the host is now (the previous one, after rolling back)."""
    result: str
    generation: Optional[int] = None
    previous: Optional[int] = None
    changes: List[Dict[str, Any]] = _list()
    failed_generation: Optional[int] = None
    step: str = ""
    error: str = ""
    error_kind: str = ""
    rolled_back: Optional[bool] = None
    rollback_changes: List[Dict[str, Any]] = _list()
    rollback_error: str = ""
    confirmation: Optional[Confirmation] = None
    provenance_moved: bool = False
    # Interrupted activations finished or undone before this one began.
    recovered: List[Recovery] = _list()
    # The generation this activation confirmed: it awaited the confirmation of an interrupted
    # deploy, and this deploy reached the host anew.
    confirmed: Optional[int] = None


# Recovery.action
UNDONE = "undone"
FINISHED = "finished"


@dataclasses.dataclass
class Recovery(Record):
    """What the host did about an activation it found interrupted (the journal an activation
    leaves while it runs): which activation (`activation`: activate, switch or repair; the
    generation it was making current and the one before; who began it, when, and the step it
    had begun), where it was found (`found`: probe, boot, activation, watchdog), whether it
    was undone (a new generation: back to the previous one) or finished (a switch to an
    existing generation, a repair), and the `outcome` (its `generation`: where the host is)."""
    activation: str
    generation: Optional[int] = None
    previous: Optional[int] = None
    who: str = ""
    began: str = ""
    step: str = ""
    found: str = ""
    action: str = ""
    date: str = ""
    outcome: Optional[Outcome] = None


def changes_shown(changes: List[Change]) -> List[Dict[str, Any]]:
    """Changes as reports list them."""
    return [c.shown() for c in changes]

