"""Planning an activation, as a pure function: `plan(manifest, facts, state, items)` compares
what a generation wants with the host's facts and lispdeploy's record of what it changed
(`HostState`), and returns the ordered changes. It reads nothing, runs nothing and changes
nothing, so the probe (on the controller, from the facts the host sent), the dry run and the
activation (on the host, from facts it has just gathered) all plan with the same code, and
tests plan from facts written by hand.

    manifest   the generation to reach (None: generation 0, the host as it was)
    facts      contract.Facts, gathered for `facts_request(manifest, state, current)`
    state      the HostState record (originals, accounts, packages and units lispdeploy changed)
    items      store path -> bytes, for the content of the files the manifest wants
    current    the current generation's manifest: a change it wants too is drift (the host was
               changed behind lispdeploy's back); switching generations runs the activation
    already    changes this activation already made (packages installed before re-planning,
               or an interrupted activation's journal) whose restarts are still due
    secrets    /etc path -> content of the manifest's secrets, when known (they never travel
               through the store): a secret whose content is not known is kept as the host has
               it, given its declared owner and mode

Changes come in steps (`STEPS`), in order: packages (apt's sources, keys and pins first, then
the package lists updated when they changed, so that a package of a repository the generation
adds installs with it), accounts, units dropped, files (/etc files, special files, unit files,
host settings; directories given back first and put in place last), runtime settings, the
activation program, units (running units restart or reload before new units start),
accounts dropped, packages dropped. Planning from the facts of a host in any partial state
converges: roll-back is planning the previous generation.
Runs on hosts and on the controller: standard library only.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from lispdeploy.hostside.contract import (Change, EtcFile, Facts, FactsRequest, Group, Manifest,
                                          MappedDevice, Package, SpecialFile, Swap, SwapFact,
                                          Unit, User)
from lispdeploy.hostside.diffs import MASKED, SECRET, as_text, file_diff, unified
from lispdeploy.hostside.facts import ZONEINFO, normalize_locale, password_digest
from lispdeploy.hostside.hoststate import HostState

UNIT_DIR = "/etc/systemd/system"
# apt's configuration: sources, keys and pins are written before packages install.
APT_DIR = "/etc/apt"
HOSTNAME = "/etc/hostname"
HOSTS = "/etc/hosts"
LOCALE_GEN = "/etc/locale.gen"
FSTAB = "/etc/fstab"
CRYPTTAB = "/etc/crypttab"
# Where systemd's generator that reads /etc/crypttab is; Debian 13 ships it in its own
# package, systemd-cryptsetup (Debian 12's systemd has it).
CRYPTTAB_GENERATORS = ("/usr/lib/systemd/system-generators/systemd-cryptsetup-generator",
                       "/lib/systemd/system-generators/systemd-cryptsetup-generator")
SYSTEMD_CRYPTSETUP = "systemd-cryptsetup"
MAPPER_DIR = "/dev/mapper"
SETTINGS_FILES = (HOSTNAME, HOSTS, "/etc/timezone", "/etc/localtime", "/etc/default/locale",
                  LOCALE_GEN, "/etc/default/keyboard")
# Files whose wanted content is made from what they held before lispdeploy.
PARTLY_MANAGED = (HOSTNAME, HOSTS, LOCALE_GEN, FSTAB, CRYPTTAB)
# What `systemctl is-enabled` says of a unit that needs no `systemctl enable`.
ENABLED = ("enabled", "static", "alias", "indirect", "generated")

STEP_PACKAGES = "packages"
STEP_ACCOUNTS = "accounts"
STEP_UNITS_DROPPED = "units-dropped"
STEP_FILES = "files"
STEP_SETTINGS = "settings"
STEP_ACTIVATION = "activation"
STEP_UNITS = "units"
STEP_ACCOUNTS_DROPPED = "accounts-dropped"
STEP_PACKAGES_DROPPED = "packages-dropped"
STEPS = (STEP_PACKAGES, STEP_ACCOUNTS, STEP_UNITS_DROPPED, STEP_FILES, STEP_SETTINGS,
         STEP_ACTIVATION, STEP_UNITS, STEP_ACCOUNTS_DROPPED, STEP_PACKAGES_DROPPED)


class Already:
    """Changes made before this planning whose consequences (restarts) are still due: the
    paths written and the packages installed or changed."""

    def __init__(self, paths: Iterable[str] = (), packages: Iterable[str] = ()):
        self.paths = set(paths)
        self.packages = set(packages)


def unit_path(name: str) -> str:
    """Where lispdeploy writes a unit file it manages."""
    return f"{UNIT_DIR}/{name}"


def watched_path(path: str) -> str:
    """The absolute path of a unit's watched or reloaded path (relative ones are in /etc)."""
    return path if path.startswith("/") else "/etc/" + path


def watched(unit: Unit) -> List[str]:
    """The paths whose change restarts `unit`."""
    return [watched_path(w) for w in unit.watch]


def is_apt_file(path: str) -> bool:
    """Whether `path` is apt's configuration (written in the packages step)."""
    return path.startswith(APT_DIR + "/")


def item_name(path: str) -> str:
    """The name of a store item (`/var/lib/lispdeploy/store/<hash>-<name>` -> `<name>`)."""
    return os.path.basename(path).split("-", 1)[-1]


# ---------------------------------------------------------------------------------------------
# What to gather


def facts_request(manifest: Optional[Manifest], state: HostState,
                  current: Optional[Manifest] = None) -> FactsRequest:
    """The facts planning `manifest` needs (including what lispdeploy's record says it must
    give back, and what marks drift from `current`)."""
    m = manifest
    paths = set(state.originals)
    users, groups, packages, units = (set(state.data.get(k, {})) for k in
                                      ("users", "groups", "packages", "units"))
    locales: List[str] = []
    texts: List[str] = []
    swaps = set(state.data.get("swaps", {}))
    trees: List[SpecialFile] = []
    if m is not None:
        swaps.update(s.target for s in m.swap)
        if m.swap:
            paths.add(FSTAB)
        if luks_devices(m):
            paths.add(CRYPTTAB)
            paths.update(CRYPTTAB_GENERATORS)
            paths.update(f"{MAPPER_DIR}/{d.targets[0]}" for d in luks_devices(m))
            packages.add(SYSTEMD_CRYPTSETUP)
        paths.update(e.target for e in m.etc)
        paths.update(f.path for f in m.files if not f.directory)
        trees = [f for f in m.files if f.directory]
        paths.update(unit_path(u.name) for u in m.units if u.item)
        paths.update(SETTINGS_FILES)
        users.update(u.name for u in m.users)
        # Whether a home lispdeploy would create is there already (then it is not touched).
        paths.update(u.home for u in m.users if u.create_home)
        groups.update(g.name for g in m.groups)
        packages.update(p.name for p in m.packages)
        for u in m.units:
            units.add(u.name)
            packages.update(u.packages)
            paths.update(watched(u))
        locales.append(m.locale)
        if current is not None and current.activation is not None and m.activation is not None:
            texts = [p for p in current.activation.items if p not in m.activation.items]
    return FactsRequest(paths=sorted(paths), users=sorted(users), groups=sorted(groups),
                        packages=sorted(packages), units=sorted(units), locales=locales,
                        bases=list(PARTLY_MANAGED), item_texts=texts, swaps=sorted(swaps),
                        trees=trees)


# ---------------------------------------------------------------------------------------------
# Wanted files


class Wanted:
    """A file (content, mode, owner) or a symbolic link (target) a generation wants at `path`.
    `key` identifies what is wanted without reading content (for drift)."""

    __slots__ = ("path", "content", "item", "target", "mode", "user", "group", "key",
                 "secret")

    def __init__(self, path: str, *, content: Optional[bytes] = None, item: Optional[str] = None,
                 target: Optional[str] = None, mode: int = 0o644, user: str = "root",
                 group: str = "root", key: Any = None, secret: Optional[str] = None):
        self.path = path
        self.content = content
        self.item = item
        self.target = target
        self.mode = mode
        self.user = user
        self.group = group
        self.key = key
        self.secret = secret    # the secret's name: its content is never part of a change

    def args(self) -> Dict[str, Any]:
        """What the file executor needs to put it in place."""
        out: Dict[str, Any] = {"path": self.path, "mode": self.mode, "user": self.user,
                               "group": self.group}
        if self.secret is not None:
            out["secret"] = self.secret
        elif self.target is not None:
            out["target"] = self.target
        elif self.item is not None:
            out["item"] = self.item
        else:
            out["text"] = (self.content or b"").decode("utf-8")
        return out


def _hosts(host_name: str, base: str) -> str:
    lines = base.splitlines()
    short = host_name.split(".")[0]
    entry = f"127.0.1.1\t{host_name}" + (f" {short}" if short != host_name else "")
    out = [entry if line.split()[:1] == ["127.0.1.1"] else line for line in lines]
    if entry not in out:
        out.insert(1 if out and out[0].startswith("127.0.0.1") else 0, entry)
    return "\n".join(out) + "\n"


def sh_quote(text: str) -> str:
    """`text` as one sh word that expands to itself; a value holding a line break or NUL
    cannot be written into a sourced file and is refused."""
    if any(c in text for c in "\n\r\x00"):
        raise ValueError(f"{text!r} cannot be written into a file sourced by sh")
    return "'" + text.replace("'", "'\\''") + "'"


def settings_files(m: Manifest, facts: Facts, state: HostState) -> Dict[str, Wanted]:
    """The files that carry the manifest's host settings (host name, time zone, locale,
    keyboard)."""
    files: Dict[str, Wanted] = {}

    def add(path: str, text: str) -> None:
        files[path] = Wanted(path, content=text.encode(), key=("text", text))

    add(HOSTNAME, m.host_name + "\n")
    add(HOSTS, _hosts(m.host_name, facts.bases.get(HOSTS, "")))
    add("/etc/timezone", m.timezone + "\n")
    target = f"{ZONEINFO}/{m.timezone}"
    files["/etc/localtime"] = Wanted("/etc/localtime", target=target, key=("link", target))
    add("/etc/default/locale", f"LANG={m.locale}\n")
    # Once lispdeploy has added the locale to locale.gen it keeps it there (the locale is then
    # available, which must not make the next generation give the file back).
    if LOCALE_GEN in state.originals or \
            normalize_locale(m.locale) not in facts.host.locales:
        line = facts.host.supported.get(m.locale)
        if line is not None:
            base = facts.bases.get(LOCALE_GEN, "")
            if line not in [existing.strip() for existing in base.splitlines()]:
                add(LOCALE_GEN, base + ("" if base.endswith("\n") or not base else "\n")
                    + line + "\n")
    if m.keyboard is not None:
        k = m.keyboard
        # Sourced by sh (setupcon, keyboard-setup.sh): every value single-quoted.
        add("/etc/default/keyboard",
            f'XKBMODEL={sh_quote(k.model or "pc105")}\n'
            f'XKBLAYOUT={sh_quote(k.name)}\n'
            f'XKBVARIANT={sh_quote(k.variant or "")}\n'
            f'XKBOPTIONS={sh_quote(",".join(k.options))}\n'
            "BACKSPACE='guess'\n")
    return files


def wanted_files(m: Optional[Manifest], facts: Facts, state: HostState,
                 items: Optional[Mapping[str, bytes]],
                 secrets: Optional[Mapping[str, bytes]] = None) -> Dict[str, Wanted]:
    """Every file a generation wants: /etc files, special files that are files, unit files,
    host-setting files. Without `items`, contents are left out (enough to compare what two
    generations want); a secret's content is in `secrets`, when known."""
    if m is None:
        return {}
    files: Dict[str, Wanted] = {}
    for e in [*m.etc, *(f for f in m.files if not f.directory)]:
        target = e.target if isinstance(e, EtcFile) else e.path
        mode = int(e.mode or "0644", 8)
        if isinstance(e, EtcFile) and e.secret is not None:
            files[target] = Wanted(target, content=(secrets or {}).get(target),
                                   mode=mode, user=e.user or "root", group=e.group or "root",
                                   key=("secret", e.secret, mode, e.user, e.group),
                                   secret=e.secret)
            continue
        files[target] = Wanted(target, content=items[e.item] if items is not None else None,
                               item=e.item, mode=mode, user=e.user or "root",
                               group=e.group or "root",
                               key=("item", e.item, mode, e.user, e.group))
    for u in m.units:
        if u.item:
            path = unit_path(u.name)
            files[path] = Wanted(path, content=items[u.item] if items is not None else None,
                                 item=u.item, key=("item", u.item, 0o644, "root", "root"))
    # A file the spec declares itself (hosts-file, say) wins over the one made from settings.
    for path, wanted in settings_files(m, facts, state).items():
        files.setdefault(path, wanted)
    if m.swap:
        text = fstab_text(facts.bases.get(FSTAB, ""), m.swap)
        files.setdefault(FSTAB, Wanted(FSTAB, content=text.encode(), key=("text", text)))
    luks = luks_devices(m)
    if luks:
        text = crypttab_text(facts.bases.get(CRYPTTAB, ""), luks)
        # The host's mode stays (some keep crypttab private).
        fact = facts.file(CRYPTTAB)
        mode = fact.mode if fact.kind == "file" and fact.mode is not None else 0o644
        files.setdefault(CRYPTTAB, Wanted(CRYPTTAB, content=text.encode(), mode=mode,
                                          key=("text", text)))
    return files


def luks_devices(m: Optional[Manifest]) -> List[MappedDevice]:
    """The mapped devices of `m` that are /etc/crypttab lines."""
    return [d for d in (m.mapped_devices if m is not None else ()) if d.kind == "luks"]


def cryptsetup_unit(target: str) -> str:
    """The unit systemd's crypttab generator makes for device `target`: its name escaped as
    `systemd-escape` does (letters, digits, ':', '_' and '.' stay; '/' becomes '-'; anything
    else, and a leading '.', becomes \\xNN)."""
    out = []
    for i, c in enumerate(target):
        if c == "/":
            out.append("-")
        elif (c.isascii() and c.isalnum()) or c in ":_" or (c == "." and i > 0):
            out.append(c)
        else:
            out.extend(f"\\x{b:02x}" for b in c.encode())
    return f"systemd-cryptsetup@{''.join(out)}.service"


def implied_packages(m: Optional[Manifest], facts: Facts, state: HostState) -> List[Package]:
    """The packages a generation needs on this host in particular: systemd-cryptsetup for
    LUKS devices where systemd does not read /etc/crypttab itself (kept while lispdeploy's
    install of it stands, which brought the generator)."""
    if not luks_devices(m) or m is None or any(p.name == SYSTEMD_CRYPTSETUP
                                               for p in m.packages):
        return []
    if SYSTEMD_CRYPTSETUP in state.data.get("packages", {}) or \
            all(facts.file(g).kind == "absent" for g in CRYPTTAB_GENERATORS):
        return [Package(SYSTEMD_CRYPTSETUP)]
    return []


def crypttab_fields(d: MappedDevice) -> List[str]:
    """A LUKS device's /etc/crypttab fields: name, device, key file, options."""
    return [d.targets[0], d.sources[0], d.key_file or "none",
            "luks" + (",discard" if d.discard else "")]


def _same_crypttab_line(fields: List[str], wanted: List[str]) -> bool:
    # "none", "-" and a missing key field all mean: ask for the passphrase.
    def key(f: List[str]) -> str:
        return "none" if len(f) < 3 or f[2] in ("-", "none") else f[2]

    def options(f: List[str]) -> Set[str]:
        return set(f[3].split(",")) if len(f) > 3 else set()
    return fields[:2] == wanted[:2] and key(fields) == key(wanted) and \
        options(fields) == options(wanted)


def crypttab_text(base: str, devices: List[MappedDevice]) -> str:
    """/etc/crypttab as it was before lispdeploy, with a line for each LUKS device: a host
    line for the same name is replaced, unless it already says the same (then it is kept as
    the host wrote it)."""
    wanted = {d.targets[0]: crypttab_fields(d) for d in devices}
    lines, kept = [], set()
    for line in base.splitlines():
        fields = line.split()
        if fields and fields[0] in wanted:
            if fields[0] not in kept and _same_crypttab_line(fields, wanted[fields[0]]):
                kept.add(fields[0])
                lines.append(line)
            continue
        lines.append(line)
    lines += ["\t".join(f) for name, f in wanted.items() if name not in kept]
    return "\n".join(lines) + "\n"


def fstab_line(s: Swap) -> str:
    """A swap area's /etc/fstab line."""
    options = "sw" + (f",pri={s.priority}" if s.priority is not None else "") + \
        (",discard" if s.discard else "")
    return f"{s.target}\tnone\tswap\t{options}\t0\t0"


def fstab_text(base: str, swaps: List[Swap]) -> str:
    """/etc/fstab as it was before lispdeploy, with the swap areas' lines (a line the host
    already had for one of them is replaced by lispdeploy's)."""
    targets = {s.target for s in swaps}
    lines = [line for line in base.splitlines()
             if line.split()[:1] == [] or line.split()[0] not in targets]
    return "\n".join(lines + [fstab_line(s) for s in swaps]) + "\n"


# ---------------------------------------------------------------------------------------------
# The plan


class _Planner:
    def __init__(self, manifest: Optional[Manifest], facts: Facts, state: HostState,
                 items: Mapping[str, bytes], current: Optional[Manifest],
                 already: Optional[Already], secrets: Optional[Mapping[str, bytes]] = None):
        self.m = manifest
        self.facts = facts
        self.state = state
        self.items = items
        self.current = current
        self.already = already or Already()
        self.changes: List[Change] = []
        self.wanted = wanted_files(manifest, facts, state, items, secrets)
        self.current_wanted = wanted_files(current, facts, state, None)
        self.trees = {f.path: f for f in (manifest.files if manifest is not None else ())
                      if f.directory}
        self.current_trees = {f.path: f for f in (current.files if current is not None else ())
                              if f.directory}

    # Drift: the current generation wants the same of this subject as the new one.
    def _same(self, select) -> bool:
        if self.current is None:
            return False
        return select(self.current) == (select(self.m) if self.m is not None else None)

    def add(self, step: str, kind: str, action: str, name: str, detail: str = "",
            drift: bool = False, **args: Any) -> Change:
        change = Change(kind, action, name, detail, drift, dict(args, step=step))
        self.changes.append(change)
        return change

    def run(self) -> List[Change]:
        m = self.m
        self.apt_files()
        self.packages()
        self.accounts()
        self.units_dropped()
        self.swaps_dropped()
        self.directories_given_back()
        self.files()
        self.directories()
        self.settings()
        self.swaps()
        self.mappings()
        if m is not None and m.activation is not None and \
                (self.current is None or self.current != m):
            self.activation()
        self.units()
        self.accounts_dropped()
        self.packages_dropped()
        return self.changes

    # Packages --------------------------------------------------------------------------

    def wanted_packages(self) -> List[Package]:
        """The manifest's packages, and those it implies on this host."""
        if self.m is None:
            return []
        return list(self.m.packages) + implied_packages(self.m, self.facts, self.state)

    def packages(self) -> None:
        implied = {p.name for p in implied_packages(self.current, self.facts, self.state)}
        for p in self.wanted_packages():
            fact = self.facts.packages.get(p.name)
            drift = self._same(lambda m, n=p.name: _package(m, n)) and \
                (p.name in implied or _package(self.current, p.name) is not None)
            if fact is None or not fact.installed:
                self.add(STEP_PACKAGES, "package", "add", p.name,
                         f"version {p.version}" if p.version else "", drift,
                         package=p.name, version=p.version)
            elif p.version and not version_matches(fact.version, p.version):
                self.add(STEP_PACKAGES, "package", "change", p.name,
                         f"version {fact.version} -> {p.version}", drift,
                         package=p.name, version=p.version)

    def packages_dropped(self) -> None:
        wanted = {p.name for p in self.wanted_packages()}
        for name in sorted(self.state.data.get("packages", {})):
            if name in wanted:
                continue
            drift = self._same(lambda m, n=name: _package(m, n))
            fact = self.facts.packages.get(name)
            if fact is not None and fact.installed:
                self.add(STEP_PACKAGES_DROPPED, "package", "remove", name, "", drift,
                         package=name)
            else:
                self.add(STEP_PACKAGES_DROPPED, "package", "forget", name,
                         "no longer installed", drift, package=name)

    # Accounts --------------------------------------------------------------------------

    def accounts(self) -> None:
        if self.m is None:
            return
        for g in self.m.groups:
            if g.name not in self.facts.groups:
                self.add(STEP_ACCOUNTS, "group", "add", g.name,
                         f"gid {g.gid}" if g.gid is not None else "",
                         self._same(lambda m, n=g.name: _group(m, n)), group=g.to_json())
        for u in self.m.users:
            drift = self._same(lambda m, n=u.name: _user(m, n))
            fact = self.facts.users.get(u.name)
            if fact is None:
                user = u.to_json()
                detail = _describe(_declared(u))
                if u.create_home and self._foreign_home(u.home):
                    # A directory lispdeploy did not make is never chowned or chmodded.
                    user["create-home"] = False
                    detail += f"; home {u.home} exists: kept as it is (lispdeploy did not " \
                              "create it)"
                self.add(STEP_ACCOUNTS, "user", "add", u.name, detail, drift, user=user)
                continue
            current = {"group": fact.group, "supplementary-groups": fact.supplementary_groups,
                       "comment": fact.comment, "home": fact.home, "shell": fact.shell}
            differing = {k: v for k, v in _declared(u).items() if current.get(k) != v}
            detail = ", ".join(f"{k}: {_show(current.get(k))} -> {_show(v)}"
                               for k, v in differing.items())
            password = u.password is not None and fact.password != password_digest(u.password)
            if password:
                detail = (detail + ", " if detail else "") + "password changed"
            if differing or password:
                self.add(STEP_ACCOUNTS, "user", "change", u.name, detail, drift,
                         user=u.name, fields=differing,
                         password=u.password if password else None)
            if u.create_home and not fact.home_exists and not self._foreign_home(u.home):
                self.add(STEP_ACCOUNTS, "user", "change", u.name, f"create home {u.home}", drift,
                         home=True, user=u.to_json())

    def _foreign_home(self, home: str) -> bool:
        """Whether `home` is something on the host that lispdeploy did not create."""
        fact = self.facts.files.get(home)
        created = home in self.state.data.get("homes", {})
        return fact is not None and fact.kind != "absent" and not created

    def accounts_dropped(self) -> None:
        m = self.m
        wanted_users = {u.name for u in (m.users if m is not None else ())}
        wanted_groups = {g.name for g in (m.groups if m is not None else ())}
        for name, record in sorted(self.state.data.get("users", {}).items()):
            if name in wanted_users:
                continue
            drift = self._same(lambda m, n=name: _user(m, n))
            if record.get("created"):
                if name in self.facts.users:
                    self.add(STEP_ACCOUNTS_DROPPED, "user", "remove", name,
                             "home directory kept", drift, user=name)
                else:
                    self.add(STEP_ACCOUNTS_DROPPED, "user", "forget", name,
                             "no longer on the host", drift, user=name)
            else:
                self.add(STEP_ACCOUNTS_DROPPED, "user", "restore", name,
                         "give back the fields it had before lispdeploy", drift, user=name)
        for name, record in sorted(self.state.data.get("groups", {}).items()):
            if name in wanted_groups or not record.get("created"):
                continue
            drift = self._same(lambda m, n=name: _group(m, n))
            if name in self.facts.groups:
                self.add(STEP_ACCOUNTS_DROPPED, "group", "remove", name, "", drift, group=name)
            else:
                self.add(STEP_ACCOUNTS_DROPPED, "group", "forget", name,
                         "no longer on the host", drift, group=name)

    # Files -----------------------------------------------------------------------------

    def apt_files(self) -> None:
        """apt's sources, keys and pins, and the package lists updated when they change."""
        changed = self._files(STEP_PACKAGES, is_apt_file)
        if changed:
            self.add(STEP_PACKAGES, "package-lists", "update", "apt",
                     "its sources, keys or pins changed", all(c.drift for c in changed))

    def files(self) -> None:
        self._files(STEP_FILES, lambda path: not is_apt_file(path))

    def _files(self, step: str, select) -> List[Change]:
        """The changes of the files of `select`ed paths: wanted ones put in place, the others
        lispdeploy manages given back."""
        originals = self.state.originals
        made: List[Change] = []
        for path in sorted(p for p in self.wanted if select(p)):
            w = self.wanted[path]
            fact = self.facts.file(path)
            if _matches(w, fact):
                continue
            drift = self.current is not None and \
                getattr(self.current_wanted.get(path), "key", None) == w.key
            action = "add" if path not in originals and fact.kind == "absent" else "change"
            if w.secret is not None and w.content is None and fact.kind != "file":
                # Rolling back or switching to a generation whose secret is gone: its content
                # is nowhere on this host (by design), only the controller can send it again.
                made.append(self.add(
                    step, "file", "unavailable", path,
                    f"secret '{w.secret}' is not on the host: deploy the spec to send it",
                    drift, path=path))
                continue
            if w.secret is not None:
                detail = SECRET
                # A secret's content is in no generation: a different one on the host is the
                # spec's new secret (a rotation) as much as a change behind lispdeploy's back.
                drift = drift and w.content is None
            elif w.target is not None:
                detail = f"-> {w.target}"
            elif fact.kind == "file" and fact.sha256 == _digest(w.content):
                detail = f"mode {fact.mode:04o} -> {w.mode:04o}" if fact.mode != w.mode \
                    else f"owner {fact.user}:{fact.group} -> {w.user}:{w.group}"
            elif fact.kind in ("directory", "other"):
                detail = f"{path} is a {fact.kind} on the host; lispdeploy manages files only"
            elif self._was_private(path):
                detail = MASKED
            else:
                detail = file_diff(path, fact.text, w.content, w.mode,
                                   old_known=fact.kind != "file" or fact.text is not None)
            made.append(self.add(step, "file", action, path, detail, drift, **w.args()))
        for path in sorted(set(originals) - set(self.wanted)):
            original = originals[path]
            if not select(path) or original.get("tree"):
                continue
            fact = self.facts.file(path)
            drift = self.current is not None and path not in self.current_wanted
            if original.get("kind") == "absent":
                if fact.kind == "absent":
                    made.append(self.add(step, "file", "forget", path, "already gone", drift,
                                         path=path))
                    continue
                detail = MASKED if (fact.kind == "file" and fact.mode is not None and
                                    not fact.mode & 0o004) or self._was_private(path) \
                    else unified(path, fact.text, None) if fact.text is not None else ""
                made.append(self.add(step, "file", "remove", path, detail, drift, path=path))
            else:
                made.append(self.add(step, "file", "restore", path,
                                     "give back the file as it was before lispdeploy managed "
                                     "it", drift, path=path))
        return made

    # Directories (special files that are directories) ----------------------------------

    def directories_given_back(self) -> None:
        """Directories lispdeploy put in place that this generation does not want: given
        back before files, so that a path wanted as a file now can take their place."""
        for path, original in sorted(self.state.originals.items()):
            if not original.get("tree") or path in self.trees:
                continue
            drift = self.current is not None and path not in self.current_trees
            if original.get("kind") == "absent":
                if self.facts.file(path).kind == "absent":
                    self.add(STEP_FILES, "directory", "forget", path, "already gone", drift,
                             path=path)
                else:
                    self.add(STEP_FILES, "directory", "remove", path, "", drift, path=path)
            else:
                self.add(STEP_FILES, "directory", "restore", path,
                         "give back what was there before lispdeploy", drift, path=path)

    def directories(self) -> None:
        """Wanted directories whose tree on disk differs (after files: a path that held a
        file lispdeploy managed has it given back first)."""
        for path in sorted(self.trees):
            d = self.trees[path]
            fact = self.facts.tree(path)
            if fact.kind == "directory" and fact.digest is not None and fact.digest == d.digest:
                continue
            before = self.current_trees.get(path)
            drift = before is not None and (before.item, before.digest) == (d.item, d.digest)
            copy = f"a copy of {item_name(d.item)}"
            if fact.kind == "absent" and path not in self.state.originals:
                action, detail = "add", copy
            else:
                action = "change"
                if fact.kind not in ("directory", "absent"):
                    detail = f"{path} is a {fact.kind} on the host: it becomes {copy}"
                elif fact.differences:
                    detail = "; ".join(fact.differences)
                else:
                    detail = f"becomes {copy}"
                if path not in self.state.originals and fact.kind != "absent":
                    detail += " (what the host has there is kept, to be given back)"
            self.add(STEP_FILES, "directory", action, path, detail, drift, path=path,
                     item=d.item, mode=int(d.mode, 8), user=d.user, group=d.group)

    def _was_private(self, path: str) -> bool:
        """Whether the current generation has `path` as a secret or a file others may not
        read: its content then is not shown, whatever the disk or the new generation say."""
        before = self.current_wanted.get(path)
        return before is not None and before.target is None and (
            before.secret is not None or not before.mode & 0o004)

    # Runtime settings ------------------------------------------------------------------

    def settings(self) -> None:
        m = self.m
        host = self.facts.host
        if m is None:
            # Giving back /etc/hostname gives back the running name too.
            if HOSTNAME in self.state.originals:
                name = self.facts.bases.get(HOSTNAME, "").strip()
                if name and host.hostname != name:
                    self.add(STEP_SETTINGS, "setting", "change", "host-name",
                             f"{host.hostname} -> {name}", False, host_name=name)
            return
        if host.hostname != m.host_name:
            self.add(STEP_SETTINGS, "setting", "change", "host-name",
                     f"{host.hostname} -> {m.host_name}",
                     self._same(lambda x: x.host_name), host_name=m.host_name)
        if normalize_locale(m.locale) not in host.locales:
            self.add(STEP_SETTINGS, "setting", "add", "locale", f"generate {m.locale}",
                     self._same(lambda x: x.locale), locale=m.locale)

    # Swap --------------------------------------------------------------------------------

    def swaps(self) -> None:
        for s in (self.m.swap if self.m is not None else ()):
            fact = self.facts.swaps.get(s.target) or SwapFact()
            if fact.active:
                continue
            create = fact.kind == "absent" and s.size is not None
            detail = (f"make a {_size(s.size)} swap file, mkswap, swapon" if create
                      else "swapon")
            self.add(STEP_SETTINGS, "swap", "add", s.target, detail,
                     self._same(lambda m, t=s.target: _swap(m, t)), target=s.target,
                     size=s.size, create=create, priority=s.priority, discard=s.discard)

    def swaps_dropped(self) -> None:
        wanted = {s.target for s in (self.m.swap if self.m is not None else ())}
        for target, record in sorted(self.state.data.get("swaps", {}).items()):
            if target in wanted:
                continue
            detail = "swapoff" + (", delete the file lispdeploy made" if record.get("created")
                                  else "")
            self.add(STEP_UNITS_DROPPED, "swap", "remove", target, detail,
                     self._same(lambda m, t=target: _swap(m, t)), target=target)

    # Mapped devices ----------------------------------------------------------------------

    def mappings(self) -> None:
        """Open now a new LUKS device that has a key file, as its crypttab line says (one
        without a key file asks for its passphrase at boot; a dropped one closes at the next
        boot: lispdeploy never closes a device that may be mounted)."""
        for d in luks_devices(self.m):
            target = d.targets[0]
            if d.key_file is None or self.facts.file(f"{MAPPER_DIR}/{target}").kind != "absent":
                continue
            unit = cryptsetup_unit(target)
            self.add(STEP_SETTINGS, "mapping", "open", target,
                     f"open {d.sources[0]} with key file {d.key_file} (systemctl start {unit})",
                     self._same(lambda m, t=target: _luks(m, t)), target=target, unit=unit)

    # The activation program ------------------------------------------------------------

    def activation(self) -> None:
        m = self.m
        assert m is not None and m.activation is not None
        before = self.current.activation if self.current is not None else None
        kept = set(before.items) if before is not None else set()
        # An item the new generation uses in place of one of the same name is a change.
        old_by_name: Dict[str, List[str]] = {}
        for path in (before.items if before is not None else ()):
            if path not in m.activation.items:
                old_by_name.setdefault(item_name(path), []).append(path)
        for path in m.activation.items:
            if path in kept:
                continue
            name = item_name(path)
            candidates = old_by_name.get(name) or []
            old = candidates.pop(0) if candidates else None
            new_text = as_text(self.items.get(path))
            if old is not None:
                old_text = self.facts.item_texts.get(old)
                detail = unified(name, old_text, new_text) if old_text is not None and \
                    new_text is not None else "(content not shown: not text)"
                self.add(STEP_ACTIVATION, "item", "change", name, detail, False, path=path)
            else:
                detail = unified(name, None, new_text) if new_text is not None else ""
                self.add(STEP_ACTIVATION, "item", "add", name, detail, False, path=path)
        changed = before is not None and before.program != m.activation.program
        uses = ", ".join(item_name(p) for p in m.activation.items)
        detail = ("changed since the current generation" if changed else "") + \
            ((", " if changed else "") + f"uses {uses}" if uses else "")
        self.add(STEP_ACTIVATION, "activation", "run", "activation program", detail, False,
                 program=m.activation.program)

    # Units -----------------------------------------------------------------------------

    def units_dropped(self) -> None:
        wanted = {u.name for u in (self.m.units if self.m is not None else ())}
        for name, original in sorted(self.state.data.get("units", {}).items()):
            if name in wanted:
                continue
            drift = self._same(lambda m, n=name: _unit(m, n))
            self.add(STEP_UNITS_DROPPED, "unit", "stop", name,
                     "give back its state before lispdeploy"
                     if original.get("active") or original.get("enabled") == "enabled" else "",
                     drift, unit=name, original=original)

    def units(self) -> None:
        if self.m is None:
            return
        # Path or package -> whether all that changed it is drift.
        changed: Dict[str, bool] = {p: False for p in self.already.paths}
        for c in self.changes:
            if c.kind in ("file", "directory"):
                changed[c.name] = changed.get(c.name, True) and c.drift
        packages: Dict[str, bool] = {p: False for p in self.already.packages}
        for c in self.changes:
            if c.kind == "package" and c.action in ("add", "change"):
                packages[c.name] = packages.get(c.name, True) and c.drift
        # Units that run already take their new configuration before new units start: a new
        # unit may use what a restarted or reloaded one serves (certbot's challenge location
        # in nginx).
        starts: List[Tuple[str, bool, Dict[str, Any]]] = []
        for u in self.m.units:
            fact = self.facts.unit(u.name)
            enabled = fact.enablement
            active = fact.active == "active"
            reasons = []
            if unit_path(u.name) in changed:
                reasons.append(("its unit file changed", changed[unit_path(u.name)]))
            for path in watched(u):
                if path in changed:
                    reasons.append((f"{path} changed", changed[path]))
            for p in u.packages:
                if p in packages:
                    reasons.append((f"package {p} changed", packages[p]))
            # A restart does all a reload does: a reload only when nothing needs a restart.
            reloads = [(f"{watched_path(w)} changed", changed[watched_path(w)])
                       for w in u.reload if watched_path(w) in changed]
            same = self._same(lambda m, n=u.name: _unit(m, n))
            if active and not reasons:
                reasons = [(r, same) for r in self.predates(u, fact.started)]
            original = {"enabled": enabled, "active": active}
            if enabled == "masked":
                self.add(STEP_UNITS, "unit", "unmask", u.name, "", same, unit=u.name,
                         original=original)
            if u.enable and enabled not in ENABLED:
                self.add(STEP_UNITS, "unit", "enable", u.name, "", same, unit=u.name,
                         original=original)
            if not u.enable and enabled == "enabled":
                self.add(STEP_UNITS, "unit", "disable", u.name, "", same, unit=u.name,
                         original=original)
            if u.start and not active and not (fact.skipped and not (reasons or reloads)):
                starts.append((u.name, same, original))
            elif active and reasons:
                self.add(STEP_UNITS, "unit", "restart", u.name,
                         "; ".join(r for r, _ in reasons),
                         same and all(d for _, d in reasons), unit=u.name, original=original)
            elif active and reloads:
                self.add(STEP_UNITS, "unit", "reload", u.name,
                         "; ".join(r for r, _ in reloads),
                         same and all(d for _, d in reloads), unit=u.name, original=original)
        for name, same, original in starts:
            self.add(STEP_UNITS, "unit", "start", name, "", same, unit=name, original=original)


    def predates(self, u: Unit, started: Optional[float]) -> List[str]:
        """Why the running process of `u` is older than what it runs with: its unit file, a
        watched file or one of its packages changed after it started (an activation cut
        short before its restart, a package upgraded behind lispdeploy's back)."""
        if started is None:
            return []
        inputs = ([unit_path(u.name)] if u.item else []) + watched(u)
        found = [f"its process started before {path} changed" for path in inputs
                 if (self.facts.file(path).mtime or 0) > started]
        for p in u.packages:
            fact = self.facts.packages.get(p)
            if fact is not None and (fact.changed or 0) > started:
                found.append(f"its process started before package {p} was unpacked")
        return found


def plan(manifest: Optional[Manifest], facts: Facts, state: HostState,
         items: Mapping[str, bytes], *, current: Optional[Manifest] = None,
         already: Optional[Already] = None,
         secrets: Optional[Mapping[str, bytes]] = None) -> List[Change]:
    """The ordered changes that make the host match `manifest` (see the module docstring)."""
    return _Planner(manifest, facts, state, items, current, already, secrets).run()


def restarts(changes: Iterable[Change]) -> List[str]:
    """The units a plan restarts."""
    return [c.name for c in changes if c.kind == "unit" and c.action == "restart"]


def reloads(changes: Iterable[Change]) -> List[str]:
    """The units a plan reloads."""
    return [c.name for c in changes if c.kind == "unit" and c.action == "reload"]


def starts(changes: Iterable[Change]) -> List[str]:
    """The units a plan starts."""
    return [c.name for c in changes if c.kind == "unit" and c.action == "start"]


# ---------------------------------------------------------------------------------------------
# Helpers


def _swap(m: Optional[Manifest], target: str) -> Optional[Swap]:
    return next((s for s in (m.swap if m is not None else ()) if s.target == target), None)


def _luks(m: Optional[Manifest], target: str) -> Optional[MappedDevice]:
    return next((d for d in luks_devices(m) if d.targets[0] == target), None)


def _size(size: Optional[int]) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def version_matches(installed: Optional[str], wanted: str) -> bool:
    """Whether an installed version satisfies a pin (exact, or a glob such as "2.10-*")."""
    if installed is None:
        return False
    return installed == wanted or fnmatch.fnmatchcase(installed, wanted)


def _digest(content: Optional[bytes]) -> Optional[str]:
    return hashlib.sha256(content).hexdigest() if content is not None else None


def _matches(w: Wanted, fact) -> bool:
    if w.target is not None:
        return fact.kind == "symlink" and fact.target == w.target
    if w.secret is not None and w.content is None:
        # A secret whose content is not known here: what the host has is kept.
        return fact.kind == "file" and fact.mode == w.mode and \
            (fact.user, fact.group) == (w.user, w.group)
    return (fact.kind == "file" and fact.sha256 == _digest(w.content) and fact.mode == w.mode
            and (fact.user, fact.group) == (w.user, w.group))


def _declared(u: User) -> Dict[str, Any]:
    return {"group": u.group, "supplementary-groups": sorted(u.supplementary_groups),
            "comment": u.comment, "home": u.home, "shell": u.shell}


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "(" + " ".join(value) + ")"
    return repr(value)


def _describe(fields: Dict[str, Any]) -> str:
    return ", ".join(f"{k} {_show(v)}" for k, v in fields.items())


def _by_name(entries, name: str):
    for e in entries:
        if e.name == name:
            return e
    return None


def _package(m: Optional[Manifest], name: str) -> Optional[Package]:
    return _by_name(m.packages, name) if m is not None else None


def _group(m: Optional[Manifest], name: str) -> Optional[Group]:
    return _by_name(m.groups, name) if m is not None else None


def _user(m: Optional[Manifest], name: str) -> Optional[User]:
    return _by_name(m.users, name) if m is not None else None


def _unit(m: Optional[Manifest], name: str) -> Optional[Unit]:
    return _by_name(m.units, name) if m is not None else None


def changed_paths(changes: Iterable[Change]) -> Set[str]:
    """The paths a plan's file and directory changes write or remove."""
    return {c.name for c in changes if c.kind in ("file", "directory")}


def by_step(changes: Iterable[Change]) -> List[Tuple[str, List[Change]]]:
    """The changes grouped by step, in the order of STEPS (empty steps included)."""
    groups: Dict[str, List[Change]] = {s: [] for s in STEPS}
    for c in changes:
        groups[c.args.get("step", STEP_FILES)].append(c)
    return [(s, groups[s]) for s in STEPS]
