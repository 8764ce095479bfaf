"""Gathering the facts planning needs, in one pass over the host: files (read directly, for
their digest, mode, owner and, when world-readable, their text), accounts (/etc/passwd,
/etc/group and /etc/shadow read once), packages (/var/lib/dpkg/status parsed once, never a
dpkg-query per package), units (one `systemctl show` for all of them), and host settings (the
running host name, the compiled locales, the generatable ones), and the directories a
generation wants (special files: each compared with its tree by `hostside.trees`).

`gather(request, state)` answers a `contract.FactsRequest`; `hostside.plan` works on what it
returns and on nothing else. Runs on hosts: standard library only.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import socket
import stat
import struct
import time
from typing import Dict, Iterable, List, Optional

from lispdeploy.hostside.commands import exists, run
from lispdeploy.hostside.contract import (Facts, FactsRequest, FileFact, GroupFact,
                                          HostSettingsFact, PackageFact, UnitFact, UserFact)
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.swap import swap_facts
from lispdeploy.hostside.trees import tree_fact

DPKG_STATUS = "/var/lib/dpkg/status"
SHADOW = "/etc/shadow"
SUPPORTED_LOCALES = "/usr/share/i18n/SUPPORTED"
ZONEINFO = "/usr/share/zoneinfo"
LOCALE_DIR = "/usr/lib/locale"
# glibc's locale-archive header magic (locarchive.h: AR_MAGIC).
_ARCHIVE_MAGIC = 0xde020109
# Larger files are compared by digest only; their diff is not shown.
MAX_TEXT = 256 * 1024
_UNIT_PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState", "ConditionResult",
                    "ConditionTimestampMonotonic", "MainPID", "ExecMainStartTimestampMonotonic",
                    "ActiveEnterTimestampMonotonic")
DPKG_INFO = "/var/lib/dpkg/info"


def gather(request: FactsRequest, state: HostState) -> Facts:
    """The facts `request` asks for (see the module docstring)."""
    users, groups = account_facts(request.users, request.groups)
    return Facts(files={p: file_fact(p) for p in sorted(set(request.paths))},
                 users=users, groups=groups,
                 packages=package_facts(request.packages),
                 units=unit_facts(request.units),
                 host=host_settings(request.locales),
                 bases={p: base_text(p, state) for p in request.bases},
                 item_texts=item_texts(request.item_texts),
                 swaps=swap_facts(request.swaps),
                 trees={t.path: tree_fact(t) for t in request.trees})


def _name(table, number: int) -> str:
    try:
        return table(number)[0]
    except KeyError:
        return str(number)


def file_fact(path: str) -> FileFact:
    """What `path` is now; never follows a final symbolic link."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return FileFact("absent")
    except OSError:
        return FileFact("other")
    owner = dict(mode=stat.S_IMODE(st.st_mode), user=_name(pwd.getpwuid, st.st_uid),
                 group=_name(grp.getgrgid, st.st_gid))
    if stat.S_ISLNK(st.st_mode):
        return FileFact("symlink", target=os.readlink(path), mtime=st.st_mtime)
    if stat.S_ISDIR(st.st_mode):
        return FileFact("directory", **owner)
    if not stat.S_ISREG(st.st_mode):
        return FileFact("other", **owner)
    with open(path, "rb") as f:
        content = f.read()
    text = None
    if st.st_mode & 0o004 and len(content) <= MAX_TEXT:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    return FileFact("file", sha256=hashlib.sha256(content).hexdigest(), text=text,
                    mtime=st.st_mtime, **owner)


def _shadow() -> Dict[str, str]:
    hashes = {}
    try:
        with open(SHADOW, encoding="utf-8") as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if len(fields) > 1:
                    hashes[fields[0]] = fields[1]
    except OSError:
        pass
    return hashes


def password_digest(crypt_hash: str) -> str:
    """How facts carry a password hash: its SHA-256, so that the hash never leaves the host."""
    return hashlib.sha256(crypt_hash.encode()).hexdigest()


def account_facts(users: Iterable[str], groups: Iterable[str]):
    """(users, groups): the facts of those of `users` and `groups` that exist."""
    wanted_users, wanted_groups = set(users), set(groups)
    all_groups = grp.getgrall()
    by_gid = {g.gr_gid: g.gr_name for g in all_groups}
    user_facts: Dict[str, UserFact] = {}
    if wanted_users:
        shadow = _shadow()
        memberships: Dict[str, List[str]] = {}
        for g in all_groups:
            for member in g.gr_mem:
                memberships.setdefault(member, []).append(g.gr_name)
        for entry in pwd.getpwall():
            if entry.pw_name not in wanted_users or entry.pw_name in user_facts:
                continue
            crypt_hash = shadow.get(entry.pw_name)
            user_facts[entry.pw_name] = UserFact(
                name=entry.pw_name, uid=entry.pw_uid,
                group=by_gid.get(entry.pw_gid, str(entry.pw_gid)),
                supplementary_groups=sorted(memberships.get(entry.pw_name, ())),
                comment=entry.pw_gecos, home=entry.pw_dir, shell=entry.pw_shell,
                password=password_digest(crypt_hash) if crypt_hash is not None else None,
                home_exists=os.path.isdir(entry.pw_dir))
    group_facts = {g.gr_name: GroupFact(g.gr_name, g.gr_gid) for g in all_groups
                   if g.gr_name in wanted_groups}
    return user_facts, group_facts


def package_facts(names: Iterable[str], status_file: str = DPKG_STATUS,
                  info_dir: Optional[str] = DPKG_INFO) -> Dict[str, PackageFact]:
    """The packages among `names` that dpkg knows, from one read of its status file (and,
    with `info_dir`, when each installed one was last unpacked: its file list's time)."""
    wanted = set(names)
    found: Dict[str, PackageFact] = {}
    if not wanted:
        return found
    try:
        with open(status_file, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return found
    for stanza in text.split("\n\n"):
        fields = parse_stanza(stanza, wanted)
        if fields is None:
            continue
        name = fields["Package"]
        # Status is "want flag status": "install ok installed", "hold ok installed", ...
        installed = fields.get("Status", "").split()[-1:] == ["installed"]
        known = found.get(name)
        # A package of several architectures (libc6, libc6:i386): installed if any is.
        if known is None or (installed and not known.installed):
            found[name] = PackageFact(name, installed=installed,
                                      version=fields.get("Version") if installed else None,
                                      changed=_unpacked(info_dir, name, fields.get(
                                          "Architecture")) if installed else None)
    return found


def _unpacked(info_dir: Optional[str], name: str, architecture: Optional[str]
              ) -> Optional[float]:
    if info_dir is None:
        return None
    for list_name in (f"{name}.list", f"{name}:{architecture}.list"):
        try:
            return os.stat(os.path.join(info_dir, list_name)).st_mtime
        except OSError:
            continue
    return None


def parse_stanza(stanza: str, wanted: Optional[set] = None) -> Optional[Dict[str, str]]:
    """The fields of one stanza of dpkg's status file (only of a package in `wanted`)."""
    if not stanza.startswith("Package: "):
        stanza = stanza.lstrip("\n")
        if not stanza.startswith("Package: "):
            return None
    first, _, rest = stanza.partition("\n")
    name = first[len("Package: "):].strip()
    if wanted is not None and name not in wanted:
        return None
    fields = {"Package": name}
    for line in rest.split("\n"):
        if line[:1] in (" ", "\t") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        if key in ("Status", "Version", "Architecture"):
            fields[key] = value.strip()
    return fields


def unit_facts(names: Iterable[str]) -> Dict[str, UnitFact]:
    """The state of every unit in `names`, from one `systemctl show`."""
    names = list(dict.fromkeys(names))
    if not names:
        return {}
    if not os.path.isdir("/run/systemd/system") or not exists("systemctl"):
        return {n: UnitFact(n) for n in names}
    result = run(["systemctl", "show", "--property=" + ",".join(_UNIT_PROPERTIES), "--"]
                 + names, check=False)
    blocks = [b for b in result.stdout.split("\n\n") if b.strip()]
    facts: Dict[str, UnitFact] = {}
    for name, block in zip(names, blocks):
        facts[name] = parse_unit(name, block)
    for name in names[len(blocks):]:
        facts[name] = UnitFact(name)
    return facts


def parse_unit(name: str, block: str) -> UnitFact:
    """A unit's fact from its block of `systemctl show` output."""
    props = {}
    for line in block.splitlines():
        key, _, value = line.partition("=")
        props[key.strip()] = value.strip()
    condition_checked = props.get("ConditionTimestampMonotonic", "0") not in ("", "0")
    active = props.get("ActiveState", "inactive") or "inactive"
    return UnitFact(name, load=props.get("LoadState", "not-found") or "not-found",
                    active=active, file_state=props.get("UnitFileState", ""),
                    skipped=(active == "inactive" and condition_checked
                             and props.get("ConditionResult") == "no"),
                    started=_started(props) if active == "active" else None)


def _started(props: Dict[str, str]) -> Optional[float]:
    """When the unit's running process started (its main process, else when the unit became
    active), on the wall clock: systemd gives monotonic microseconds."""
    key = "ExecMainStartTimestampMonotonic" if props.get("MainPID", "0") not in ("", "0") \
        else "ActiveEnterTimestampMonotonic"
    try:
        monotonic = int(props.get(key) or 0)
    except ValueError:
        return None
    if monotonic <= 0:
        return None
    return time.time() - (time.monotonic() - monotonic / 1e6)


def normalize_locale(name: str) -> str:
    """glibc's spelling of a locale name for comparison: `en_US.UTF-8` -> `en_us.utf8`."""
    language, _, codeset = name.partition(".")
    codeset, _, modifier = codeset.partition("@")
    text = language + ("." + codeset.lower().replace("-", "") if codeset else "")
    return (text + ("@" + modifier if modifier else "")).lower()


def available_locales() -> List[str]:
    """Locales compiled on the host, normalized: what `locale -a` lists, read from glibc's
    files (the archive and the locale directories) without running it; `locale -a` only when
    the archive is in a format this does not know."""
    names = compiled_locales("/")
    if names is None:
        result = run(["locale", "-a"], check=False)
        return sorted({normalize_locale(n) for n in result.stdout.split()})
    return names


def compiled_locales(root: str) -> Optional[List[str]]:
    """The locales compiled under `root` (C, POSIX, those in glibc's locale-archive and the
    locale directories of /usr/lib/locale), normalized; None when the archive is in a format
    this does not know."""
    directory = os.path.join(root, LOCALE_DIR.lstrip("/"))
    names = archive_locales(os.path.join(directory, "locale-archive"))
    if names is None:
        return None
    try:
        entries = os.listdir(directory)
    except OSError:
        entries = []
    names.update(e for e in entries
                 if os.path.isfile(os.path.join(directory, e, "LC_IDENTIFICATION")))
    names.update(("C", "POSIX"))
    return sorted({normalize_locale(n) for n in names})


def archive_locales(path: str) -> Optional[set]:
    """The locale names in glibc's locale-archive (an empty set when there is none), or None
    if it is not an archive this understands. Its header: magic, serial, then the offset, use
    and size of the name hash table, whose entries are (hash, name offset, record offset)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return set()
    except OSError:
        return None
    if len(data) < 20 or struct.unpack_from("=I", data, 0)[0] != _ARCHIVE_MAGIC:
        return None
    table, _used, size = struct.unpack_from("=III", data, 8)
    names = set()
    try:
        for index in range(size):
            _hash, name, record = struct.unpack_from("=III", data, table + 12 * index)
            if name and record:
                names.add(data[name:data.index(b"\0", name)].decode("ascii", "replace"))
    except (struct.error, ValueError):
        return None
    return names


def supported_lines(names: Iterable[str], path: str = SUPPORTED_LOCALES
                    ) -> Dict[str, Optional[str]]:
    """For each locale name, the line of /usr/share/i18n/SUPPORTED (or `path`) that
    generates it (None when there is none), from one read of the file."""
    wanted = {normalize_locale(n): n for n in names}
    found: Dict[str, Optional[str]] = {n: None for n in wanted.values()}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if fields and normalize_locale(fields[0]) in wanted:
                    name = wanted[normalize_locale(fields[0])]
                    if found[name] is None:
                        found[name] = line.strip()
    except OSError:
        pass
    return found


def host_settings(locales: Iterable[str]) -> HostSettingsFact:
    """The running host name and, when `locales` are asked about, the locale facts."""
    locales = list(locales)
    return HostSettingsFact(hostname=socket.gethostname(),
                            locales=available_locales() if locales else [],
                            supported=supported_lines(locales))


def read_text(path: str) -> str:
    """A file's text ("" when it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def base_text(path: str, state: HostState) -> str:
    """What a partly managed file held before lispdeploy first changed it (its content now,
    if lispdeploy never did; "" if it did not exist or was not a file)."""
    original = state.originals.get(path)
    if original is None:
        return read_text(path)
    if original.get("kind") != "file":
        return ""
    return read_text(original["backup"])


def item_texts(paths: Iterable[str]) -> Dict[str, str]:
    """The text of small UTF-8 store items (for the diff of an item that changed)."""
    texts = {}
    for path in paths:
        try:
            if os.path.getsize(path) > MAX_TEXT:
                continue
            with open(path, "rb") as f:
                texts[path] = f.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return texts


# ---------------------------------------------------------------------------------------------
# Facts of a host that does not exist yet, from the files of its image


def gather_image(request: FactsRequest, root: str, host_name: str,
                 written: Optional[Dict[str, str]] = None) -> Facts:
    """The facts a fresh host booted from the files under `root` (an image, or the file
    system a container host is an overlay of) would have: read from those files, never from
    a running system. `written`: files (path -> text, mode 0644, root's) the environment
    writes when it creates the host (/etc/hostname, ...). Units are as systemd would start
    them at boot (enabled units running); the host name is the one the host gets."""
    written = dict(written or {})

    def under(path: str) -> str:
        return os.path.join(root, path.lstrip("/"))

    def fact(path: str) -> FileFact:
        if path in written:
            data = written[path].encode()
            return FileFact("file", sha256=hashlib.sha256(data).hexdigest(), mode=0o644,
                            user="root", group="root", text=written[path])
        # Owners are named by the controller's accounts (an image's root files are root's).
        return file_fact(under(path))

    def base(path: str) -> str:
        return written[path] if path in written else read_text(under(path))

    files = {p: fact(p) for p in sorted(set(request.paths))}
    users, groups = _accounts_from_files(root, request.users, request.groups)
    return Facts(files=files, users=users, groups=groups,
                 packages=package_facts(request.packages, under(DPKG_STATUS), None),
                 units=image_units(request.units, root),
                 host=HostSettingsFact(
                     hostname=host_name,
                     locales=image_locales(root) if request.locales else [],
                     supported=supported_lines(request.locales, under(SUPPORTED_LOCALES))),
                 bases={p: base(p) for p in request.bases},
                 item_texts={},
                 trees={t.path: tree_fact(t, root) for t in request.trees})


def _read_table(path: str) -> List[List[str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n").split(":") for line in f if line.strip()]
    except OSError:
        return []


def _accounts_from_files(root: str, users: Iterable[str], groups: Iterable[str]):
    passwd = _read_table(os.path.join(root, "etc/passwd"))
    group = _read_table(os.path.join(root, "etc/group"))
    shadow = {row[0]: row[1] for row in _read_table(os.path.join(root, "etc/shadow"))
              if len(row) > 1}
    by_gid = {row[2]: row[0] for row in group if len(row) > 2}
    memberships: Dict[str, List[str]] = {}
    for row in group:
        for member in (row[3].split(",") if len(row) > 3 and row[3] else ()):
            memberships.setdefault(member, []).append(row[0])
    wanted_users, wanted_groups = set(users), set(groups)
    user_facts = {}
    for row in passwd:
        if len(row) < 7 or row[0] not in wanted_users or row[0] in user_facts:
            continue
        home = row[5]
        user_facts[row[0]] = UserFact(
            name=row[0], uid=int(row[2]), group=by_gid.get(row[3], row[3]),
            supplementary_groups=sorted(memberships.get(row[0], ())), comment=row[4],
            home=home, shell=row[6],
            password=password_digest(shadow[row[0]]) if row[0] in shadow else None,
            home_exists=os.path.isdir(os.path.join(root, home.lstrip("/"))))
    group_facts = {row[0]: GroupFact(row[0], int(row[2])) for row in group
                   if len(row) > 2 and row[0] in wanted_groups and row[2].isdigit()}
    return user_facts, group_facts


_UNIT_DIRS = ("etc/systemd/system", "run/systemd/system", "usr/local/lib/systemd/system",
              "lib/systemd/system", "usr/lib/systemd/system")


def image_units(names: Iterable[str], root: str) -> Dict[str, UnitFact]:
    """Units as a host booted from `root` would have them: found or not, masked, enabled
    (a link in a .wants or .requires directory), static (no [Install] section); enabled
    units are taken to run after boot."""
    facts = {}
    for name in names:
        unit_file = None
        for directory in _UNIT_DIRS:
            candidate = os.path.join(root, directory, name)
            if os.path.lexists(candidate):
                unit_file = candidate
                break
        if unit_file is None:
            facts[name] = UnitFact(name)
            continue
        if os.path.islink(unit_file) and os.readlink(unit_file) == "/dev/null":
            facts[name] = UnitFact(name, "masked", "inactive", "masked")
            continue
        wanted = False
        etc = os.path.join(root, "etc/systemd/system")
        try:
            for entry in os.listdir(etc):
                if entry.endswith((".wants", ".requires")) and \
                        os.path.lexists(os.path.join(etc, entry, name)):
                    wanted = True
                    break
        except OSError:
            pass
        text = read_text(unit_file if not os.path.islink(unit_file) else os.path.join(
            root, os.readlink(unit_file).lstrip("/")))
        if wanted:
            state = "enabled"
        elif "[Install]" not in text:
            state = "static"
        else:
            state = "disabled"
        facts[name] = UnitFact(name, "loaded", "active" if wanted else "inactive", state)
    return facts


def image_locales(root: str) -> List[str]:
    """The locales an image has compiled, read from its files as on a host (an archive this
    does not understand counts as holding none: those locales show as missing)."""
    names = compiled_locales(root)
    return names if names is not None else ["c", "posix"]


def similar_locales(name: str, count: int = 4) -> List[str]:
    """Locales of /usr/share/i18n/SUPPORTED spelt like `name`, same language first."""
    try:
        with open(SUPPORTED_LOCALES, encoding="utf-8") as f:
            names = [line.split()[0] for line in f if line.split()]
    except OSError:
        return []
    by_normal = {normalize_locale(n): n for n in names}
    wanted = normalize_locale(name)
    language = wanted.split(".")[0].split("_")[0]
    import difflib  # (only for this hint: not on every probe)
    close = difflib.get_close_matches(wanted, list(by_normal), n=count * 2, cutoff=0.5)
    close.sort(key=lambda n: (not n.startswith(language), "utf8" not in n))
    return [by_normal[n] for n in close[:count]]
