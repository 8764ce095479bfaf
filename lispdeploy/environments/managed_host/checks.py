"""The deploy's checks, in one place.

Before connecting, every group a user refers to must be declared (`check_declared_groups`).
Then the safety checks, `SAFETY_CHECKS`, each one object: what to ask the host in the probe
(`request`, None when there is nothing to ask; the host half is `hostside.safety`), how to
judge what the host reported together with the probe's other answers (`judge`), and what to
tell the user (the problems' messages and hints). Checks marked `optional` (*: the device
checks) are skipped when a machine's configuration says `(safety-checks? #f)`.

    ssh-lockout      the new sshd would refuse the user lispdeploy connects as
    architecture     the host's `uname -m` matches the machine's `system`
    package-manager  packages are declared and the host has apt
    systemd          the host runs systemd
    lock             nobody else is deploying
    file-systems *   declared file systems' devices exist (not in containers)
    bootloader *     declared bootloader targets exist (not in containers)
    timezone         the time zone exists in the host's zoneinfo
    locale           the locale is compiled or can be generated
    keyboard         the keyboard layout, variant, model and options are in the host's XKB
                     rules (a warning when the host has none)
    accounts         declared uids and gids agree with the host's existing accounts
    etc-directories  no declared /etc file is a directory on the host
    validate         configuration files with a validator (visudo, nginx -t...) pass it
                     (but those marked validate-early? #f, which the activation checks)
    downgrade        the spec's commit descends from the one the host runs
                     (`allow-downgrades?`)
    packages         apt can install every declared package as declared (name, version),
                     after fetching the package lists of a host that has none
    swap             swap can be turned on: not a container, the file exists or has a size,
                     an existing file holds a swap area, a device exists
    mapped-devices   mapped devices can be: not a container; for LUKS, the host's systemd
                     reads /etc/crypttab, or apt can install systemd-cryptsetup, which the
                     activation then installs (Debian 13 ships the generator there)
    mapped-device-sources *  each LUKS device exists, holds a LUKS header, is not opened (by
                     the host's crypttab or otherwise) under another name, its key file
                     exists and opens it; RAID arrays and LVM volumes exist
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from lispdeploy.environments.deploy_options import MACHINE_ARCHITECTURES
from lispdeploy.errors import DeployError, SpecError
from lispdeploy.hostside.contract import Manifest, ProbeAnswer
from lispdeploy.system.guix_system import swap_target
from lispdeploy.system.operating_system import OperatingSystem


class Problem:
    """A check that failed: a message and a hint, fatal unless it is a warning; `location`:
    where the spec declares what failed, when one place does."""

    __slots__ = ("message", "hint", "warning", "location")

    def __init__(self, message: str, hint: str = "", warning: bool = False, location=None):
        self.message = message
        self.hint = hint
        self.warning = warning
        self.location = location    # where the spec declares what the problem is about

    def to_json(self) -> Dict[str, Any]:
        """The problem for reports."""
        return {"message": self.message, "hint": self.hint, "warning": self.warning,
                "location": str(self.location) if self.location is not None else None}


class CheckContext:
    """What the checks know of the deploy: the system being deployed and its machine, and
    where the spec asks for each package (`package_origins`, name -> PackageOrigin)."""

    def __init__(self, *, manifest: Manifest, contents: Mapping[str, bytes],
                 operating_system: Optional[OperatingSystem] = None, system: str = "x86_64-linux",
                 container: bool = False, safety_checks: bool = True,
                 allow_downgrades: bool = False, user: str = "root",
                 provenance: Optional[Dict[str, Any]] = None, spec_path: Optional[str] = None,
                 package_origins: Optional[Mapping[str, Any]] = None,
                 etc_locations: Optional[Mapping[str, Any]] = None):
        self.manifest = manifest
        self.contents = contents
        self.operating_system = operating_system
        self.system = system
        self.container = container
        self.safety_checks = safety_checks
        self.allow_downgrades = allow_downgrades
        self.user = user
        self.provenance = provenance or {}
        self.spec_path = spec_path
        # /etc path -> where the spec declares that file: problems about it are located there.
        self.etc_locations = dict(etc_locations or {})
        self.package_origins = package_origins or {}


Judge = Callable[[ProbeAnswer, Any, CheckContext], List[Problem]]


class SafetyCheck:
    """One check: its name, what it asks the host, how it judges the answer."""

    def __init__(self, name: str, judge: Judge,
                 request: Optional[Callable[[CheckContext], Any]] = None,
                 optional: bool = False, needs_host: bool = True):
        self.name = name
        self.judge = judge
        self.request = request
        self.optional = optional
        # False: judged from the spec alone (also for a host that does not exist yet).
        self.needs_host = needs_host

    def __repr__(self) -> str:
        return f"#<safety-check {self.name}>"


def check_declared_groups(os_: OperatingSystem) -> None:
    """Every group a user refers to must be declared in the operating system's groups."""
    declared = {g.name for g in os_.groups}
    for user in os_.users:
        for group in (user.group, *user.supplementary_groups):
            if group not in declared:
                raise SpecError(
                    f"user '{user.name}' refers to group '{group}', which the operating system "
                    "does not declare", location=user.location,
                    hint=f"add (user-group (name \"{group}\")) to the operating-system's groups, "
                         "e.g. (groups (cons (user-group (name \"" + group + "\")) "
                         "%base-groups))")


# ---------------------------------------------------------------------------------------------
# The checks


def _ssh_lockout(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    from lispdeploy.services.ssh import openssh_service_type
    for s in (ctx.operating_system.services if ctx.operating_system is not None else ()):
        if s.kind is not openssh_service_type:
            continue
        config = s.value
        if ctx.user == "root" and config.permit_root_login is False:
            return [Problem(
                "the new system's sshd refuses root logins (openssh-configuration "
                "permit-root-login is #f, Guix's default), and lispdeploy reaches this host as "
                "root: the deploy would cut itself off",
                "add (permit-root-login 'prohibit-password) to the openssh-configuration, or "
                "deploy as another user with sudo: (user \"deploy\") in machine-ssh-configuration")]
        if not config.public_key_authentication:
            return [Problem(
                "the new system's sshd refuses public keys (public-key-authentication? #f), "
                "which is how lispdeploy logs in: the deploy would cut itself off",
                "keep (public-key-authentication? #t)")]
    return []


def _architecture(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    expected = MACHINE_ARCHITECTURES.get(ctx.system)
    if expected is not None and answer.machine not in expected:
        return [Problem(f"incorrect target system ('{ctx.system}' was given, while the host "
                        f"reports '{answer.machine}')",
                        "set (system ...) in the machine's configuration to the host's "
                        "architecture")]
    return []


def _package_manager(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if ctx.manifest.packages and answer.package_manager is None:
        return [Problem(f"the host runs {answer.os.name}, which has no package manager "
                        "lispdeploy can drive (apt)",
                        "deploy to Debian or Ubuntu hosts, or declare no packages")]
    return []


def _systemd(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if not answer.systemd:
        return [Problem("the host does not run systemd, which lispdeploy's services use",
                        "deploy to a host booted with systemd")]
    return []


def _lock(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if answer.lock:
        return [locked_problem(answer.lock)]
    return []


def locked_problem(holder: str) -> Problem:
    """Another deploy is changing the host: who, since when, from which spec."""
    text = holder if holder.startswith("another deploy") else \
        f"another deploy is changing this host: {holder}"
    return Problem(text, "wait for it to end, or let the deploy wait for the host: "
                         "--wait-lock SECONDS")


def _devices(ctx: CheckContext) -> List[Dict[str, str]]:
    # A file system on a LUKS device the spec maps exists once the device is open (at boot):
    # the mapped-device checks verify the encrypted device instead.
    luks = {d.targets[0] for d in ctx.manifest.mapped_devices if d.kind == "luks"}
    on_luks = set()
    for fs in (ctx.operating_system.file_systems if ctx.operating_system is not None else ()):
        if any(getattr(getattr(d, "type", None), "kind", None) == "luks"
               for d in fs.dependencies or ()):
            on_luks.add(fs.mount_point)

    def mapped(device: Dict[str, str]) -> bool:
        path = device.get("path", "")
        return path.startswith("/dev/mapper/") and path[len("/dev/mapper/"):] in luks
    return [fs.device for fs in ctx.manifest.file_systems if fs.mount and not fs.pseudo
            and fs.mount_point not in on_luks and not mapped(fs.device)]


def _targets(ctx: CheckContext) -> List[str]:
    return list(ctx.manifest.bootloader.targets) if ctx.manifest.bootloader else []


def _shown(device: Dict[str, str]) -> str:
    if "path" in device:
        return device["path"]
    kind = "label" if "label" in device else "uuid"
    return f"with {kind} {device[kind]}"


def _file_systems(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if ctx.container:
        if _devices(ctx) or _targets(ctx):
            return [Problem("declared file systems and bootloader targets not checked: "
                            "container hosts have no block devices", warning=True)]
        return []
    mount_points = {str(fs.device): fs.mount_point for fs in ctx.manifest.file_systems}
    return [Problem(f"device {_shown(d)} of file system {mount_points.get(str(d), '?')} not "
                    "found", "declare the host's real device (see lsblk -f on the host), or set "
                    "(safety-checks? #f) in its machine-ssh-configuration")
            for d in (report or ())]


def _bootloader(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    return [Problem(f"bootloader target {t} not found",
                    "declare the host's boot disk in bootloader-configuration")
            for t in (report or ())]


def _installs_missing(answer: ProbeAnswer, ctx: CheckContext, package: str) -> bool:
    """Whether the system installs `package` and the host lacks it: what the package brings
    (zoneinfo, locale definitions) is only there after the activation's packages step."""
    if package not in {p.name for p in ctx.manifest.packages}:
        return False
    fact = (answer.facts.packages.get(package) if answer.facts is not None else None)
    return fact is None or not fact.installed


def _timezone(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if report is not None and not report.get("exists") and \
            not _installs_missing(answer, ctx, "tzdata"):
        return [Problem(f"time zone '{ctx.manifest.timezone}' is not in /usr/share/zoneinfo",
                        "use a name such as \"Europe/Paris\" (timedatectl list-timezones)")]
    return []


def _locale(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if report is not None and not report.get("available") and not report.get("generatable") \
            and not _installs_missing(answer, ctx, "locales"):
        similar = report.get("similar") or []
        return [Problem(f"locale '{ctx.manifest.locale}' is neither available nor generatable "
                        "here", ("locales that exist: " + ", ".join(similar)
                                 + " (all of them: /usr/share/i18n/SUPPORTED)") if similar else
                        "use a locale listed in /usr/share/i18n/SUPPORTED, such as "
                        "\"en_US.utf8\", or \"C.UTF-8\", which needs no package")]
    return []


def _keyboard_request(ctx: CheckContext) -> Optional[Dict[str, Any]]:
    k = ctx.manifest.keyboard
    return None if k is None else {"name": k.name, "variant": k.variant, "model": k.model,
                                   "options": list(k.options)}


def _keyboard(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if report is None:
        return []
    if report.get("rules") is None:
        if _installs_missing(answer, ctx, "xkb-data"):
            return []
        return [Problem("the keyboard layout is not checked: the host has no XKB rules "
                        "(package xkb-data)", warning=True)]
    return [Problem(f"keyboard {kind} '{name}' is not in the host's XKB rules "
                    f"({report['rules']})",
                    "see the names in that file, such as layout \"us\" with variant "
                    "\"altgr-intl\", or option \"ctrl:nocaps\"")
            for kind, name in report.get("unknown") or ()]


def _account_location(ctx: CheckContext, name: str):
    for record in (tuple(ctx.operating_system.users) + tuple(ctx.operating_system.groups)
                   if ctx.operating_system is not None else ()):
        if record.name == name:
            return record.location
    return None


def _id_problems(ctx: CheckContext, record: str, id_name: str, field: str, noun: str,
                 declared, existing: Dict[str, int], owners: Dict[int, str]) -> List[Problem]:
    """Declared ids (name, id or None) against the host's: `existing` name -> id of the
    host's accounts of this kind, `owners` id -> name of every id taken."""
    problems = []
    for name, wanted in declared:
        if wanted is None:
            continue
        have = existing.get(name)
        if have is not None and have != wanted:
            problems.append(Problem(
                f"{record} '{name}' declares {id_name} {wanted}, but the host's '{name}' has "
                f"{id_name} {have}: lispdeploy does not renumber existing {noun}",
                f"declare ({field} {have}), or no {field}",
                location=_account_location(ctx, name)))
        elif have is None and owners.get(wanted) not in (None, name):
            problems.append(Problem(
                f"{record} '{name}' declares {id_name} {wanted}, which the host's "
                f"'{owners[wanted]}' has", f"declare a free {field}, or no {field}",
                location=_account_location(ctx, name)))
    return problems


def _accounts(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    """Declared ids of accounts that exist are the host's, or refused: lispdeploy does not
    renumber an account (what it owns would then belong to nobody), and an id already taken
    by another account would make useradd fail half-way."""
    facts = answer.facts if answer is not None else None
    if facts is None:
        return []
    problems = []
    report = report or {}
    users_by_uid = {int(uid): name for uid, name in (report.get("uids") or {}).items()}
    users_by_uid.update({u.uid: n for n, u in facts.users.items()})
    groups_by_gid = {int(gid): name for gid, name in (report.get("gids") or {}).items()}
    groups_by_gid.update({g.gid: n for n, g in facts.groups.items()})
    problems += _id_problems(ctx, "user-account", "uid", "uid", "accounts",
                             [(u.name, u.uid) for u in ctx.manifest.users],
                             {n: u.uid for n, u in facts.users.items()}, users_by_uid)
    problems += _id_problems(ctx, "user-group", "gid", "id", "groups",
                             [(g.name, g.gid) for g in ctx.manifest.groups],
                             {n: g.gid for n, g in facts.groups.items()}, groups_by_gid)
    return problems


def _etc_directories(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    facts = answer.facts if answer is not None else None
    if facts is None:
        return []
    return [Problem(f"{e.target} is a directory on the host; an /etc file cannot replace it",
                    "declare a file inside it instead",
                    location=ctx.etc_locations.get(e.target))
            for e in ctx.manifest.etc if facts.file(e.target).kind == "directory"]


def _validations(ctx: CheckContext) -> List[Dict[str, Any]]:
    # A file whose validator needs what the activation program makes (validate-early? #f)
    # is validated by the activation, after that program.
    return [{"path": e.target, "argv": list(e.validate), "content": ctx.contents[e.item]}
            for e in ctx.manifest.etc if e.validate and e.validate_early]


def _validate(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    # A checker may need what a package the activation installs brings (the daemon it runs,
    # the user it runs as): while the system has packages to install, the activation checks
    # the files once they are installed, before writing any.
    if any(_installs_missing(answer, ctx, p.name) for p in ctx.manifest.packages):
        return []
    return [Problem(f"{r['path']} is invalid: {r.get('output', '')}",
                    "fix the service's configuration in the spec",
                    location=ctx.etc_locations.get(r["path"]))
            for r in (report or ()) if r.get("ran") and not r.get("ok")]


def _downgrade(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    problem = downgrade_problem(answer.provenance.to_json() if answer.provenance else {},
                                ctx.provenance, ctx.spec_path or ".", ctx.allow_downgrades)
    return [problem] if problem is not None else []


def _wanted_packages(ctx: CheckContext) -> List[Dict[str, Any]]:
    return [{"name": p.name, "version": p.version} for p in ctx.manifest.packages]


def _new_apt_sources(answer: ProbeAnswer, ctx: CheckContext) -> List[str]:
    """The apt sources files the deploy writes that the host lacks as written: until they are
    there, apt cannot know the packages they provide."""
    new = []
    for e in ctx.manifest.etc:
        if not e.path.lstrip("/").startswith("apt/sources.list"):
            continue
        content = ctx.contents.get(e.item)
        fact = answer.facts.file(e.target) if answer.facts is not None else None
        if content is None or fact is None or \
                fact.sha256 != hashlib.sha256(content).hexdigest():
            new.append(e.target)
    return new


def _package_named(name: str, origin: Any) -> str:
    """'nginx', with the Guix package it stands for and the service that wants it."""
    text = f"package '{name}'"
    guix = getattr(origin, "guix_name", None)
    if guix and guix != name:
        text += f" (lispdeploy's Debian name for Guix's '{guix}')"
    service = getattr(origin, "service", None)
    if service:
        text += f" of service '{service}'"
    return text


def _package_problem(found: Dict[str, Any], origin: Any, distribution: str,
                     deferred: List[str]) -> Problem:
    """One package apt cannot install as declared, told as the user fixes it."""
    name, kind = found["name"], found["kind"]
    named = _package_named(name, origin)
    where = getattr(origin, "location", None)
    if kind == "virtual":
        providers = found.get("providers") or []
        message = (f"{named} is a virtual package on this host, provided by "
                   + ", ".join(f"'{p}'" for p in providers))
        hint = f"name the package that provides it, e.g. \"{providers[0]}\""
    elif kind == "version":
        offered = found.get("offered") or []
        # Worded as the packages step words it (hostside.packages), which says it when a
        # check did not run.
        message = (named.replace(f"package '{name}'", f"package {name}", 1)
                   + f": version {found.get('version')} is not available; apt offers "
                   + ", ".join(offered))
        hint = f"pin one of them, e.g. \"{name}@{offered[0]}\", or none" if offered else ""
    elif kind == "no-candidate":
        message = (f"{named} has no installation candidate on this host (apt knows versions "
                   + ", ".join(found.get("offered") or ()) + " but its pins or sources rule "
                   "them out)")
        hint = "check /etc/apt/preferences.d and the host's apt sources, or pin a version"
    else:
        close = [c for c in found.get("close") or () if c != name]
        message = f"{named} is not known to the host's apt ({distribution})"
        hint = ("close names apt knows: " + ", ".join(f"'{c}'" for c in close) + "; "
                if close else "apt knows no package of a close name; ")
        if getattr(origin, "service", None):
            hint += (f"service '{origin.service}' installs it, as Debian 12 (bookworm) names "
                     "it: deploy it to a host whose apt has that package")
        elif getattr(origin, "guix_name", None) and origin.guix_name != name:
            hint += ("write the host's own name for it as a string in the packages, e.g. "
                     f"(cons \"{close[0]}\" %base-packages)" if close else
                     "find the host's own name for it (`apt-cache search WORD` on the host) and "
                     "write it as a string in the packages")
        else:
            hint += "`apt-cache search WORD` on the host finds the name of a package"
    if deferred:
        # Warnings are shown as text: the location goes in front.
        return Problem((f"{where}: " if where else "") + f"{message}; not refused yet: the "
                       f"deploy adds apt sources ({', '.join(deferred)}) that may provide it, "
                       "and apt-get says when it installs", warning=True, location=where)
    return Problem(message, hint, location=where)


def _packages(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if not report or report.get("apt") is False:
        return []
    deferred = _new_apt_sources(answer, ctx)
    distribution = answer.os.name if answer.os is not None else "this host"
    error = report.get("update-error")
    if report.get("lists") == "fetched" and error and not report.get("problems"):
        return [Problem("cannot check the declared packages: the host has no apt package "
                        f"lists, and apt-get update failed:\n{error}",
                        "check the host's apt sources (/etc/apt/sources.list, "
                        "/etc/apt/sources.list.d) and that it reaches them",
                        warning=bool(deferred))]
    found = report.get("problems") or ()
    problems = [_package_problem(f, ctx.package_origins.get(f["name"]), distribution, deferred)
                for f in found]
    fatal = [(f["name"], p) for f, p in zip(found, problems) if not p.warning]
    if error and fatal:
        fatal[-1][1].hint += f" (apt-get update failed, the lists may be old: {error})"
    if len(fatal) > 1:
        lines = "".join(f"\n  {p.location}: {p.message}" if p.location else
                        f"\n  {p.message}" for _, p in fatal)
        hints = "\n  ".join(f"{name}: {p.hint}" for name, p in fatal if p.hint)
        return [p for p in problems if p.warning] + [Problem(
            f"{len(fatal)} packages cannot be installed as declared:{lines}",
            "\n  " + hints if hints else "", location=fatal[0][1].location)]
    return problems


def _swap_location(ctx: CheckContext, target: str):
    """Where the spec declares the swap area `target` (as the manifest names it)."""
    os_ = ctx.operating_system
    if os_ is None:
        return None
    for space in os_.swap_devices:
        try:
            named = swap_target(getattr(space, "target", space), None)
        except SpecError:
            continue
        if named == target:
            return getattr(space, "location", None) or os_.field_location("swap_devices")
    return os_.field_location("swap_devices")


def _swap(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    if not ctx.manifest.swap:
        return []
    first = ctx.manifest.swap[0].target
    container = (report or {}).get("container") or ("a container host" if ctx.container
                                                     else None)
    if container:
        return [Problem(f"swap {first}: this host is a container ({container}), and only the "
                        "kernel of the machine it runs on can turn swap on (swapon is refused "
                        "in containers)",
                        "declare swap-devices for servers and virtual machines only; a "
                        "container's memory is its host machine's",
                        location=_swap_location(ctx, first))]
    facts = answer.facts.swaps if answer.facts is not None else {}
    made = ((answer.state or {}).get("swaps") or {})
    problems = []
    for s in ctx.manifest.swap:
        fact = facts.get(s.target)
        if fact is None or fact.active:
            continue
        where = _swap_location(ctx, s.target)
        device = not s.target.startswith("/") or s.target.startswith("/dev/")
        if fact.kind == "absent" and device:
            problems.append(Problem(f"swap device {s.target} not found",
                                    "declare the host's real device (see lsblk -f on the host)",
                                    location=where))
        elif fact.kind == "absent" and s.size is None:
            problems.append(Problem(
                f"swap file {s.target} does not exist on the host",
                "add (size \"2G\") to the swap-space, and lispdeploy makes it (mode 0600, "
                "mkswap), or make it yourself", location=where))
        elif fact.kind == "file" and not (made.get(s.target) or {}).get("created"):
            problems.append(Problem(
                f"swap file {s.target} exists but holds no swap area; lispdeploy does not run "
                "mkswap over a file it did not make",
                f"if it is meant as swap, run `mkswap {s.target}` on the host; or name a new "
                "file with (size ...)", location=where))
        elif fact.kind == "other":
            problems.append(Problem(f"swap {s.target} is neither a file nor a block device",
                                    "name a swap file or a partition", location=where))
    return problems


def _mapped_location(ctx: CheckContext, target: str):
    """Where the spec declares the mapped device of `target`."""
    os_ = ctx.operating_system
    if os_ is None:
        return None
    for device in os_.mapped_devices:
        if target in getattr(device, "targets", ()):
            return getattr(device, "location", None) or os_.field_location("mapped_devices")
    return os_.field_location("mapped_devices")


def _mapped_devices(answer: ProbeAnswer, report: Any, ctx: CheckContext) -> List[Problem]:
    devices = ctx.manifest.mapped_devices
    if not devices:
        return []
    first = devices[0].targets[0]
    container = (report or {}).get("container") or ("container-environment-type"
                                                     if ctx.container else None)
    if container:
        return [Problem(f"mapped-device {first}: this host is a container ({container}), which "
                        "has no block devices of its own to map (the device mapper is the "
                        "kernel's of the machine it runs on)",
                        "declare mapped-devices for servers and virtual machines only",
                        location=_mapped_location(ctx, first))]
    luks = [d for d in devices if d.kind == "luks"]
    apt = (report or {}).get("systemd-cryptsetup")
    if luks and apt is not None and apt.get("problems"):
        # The activation would install systemd-cryptsetup (hostside.plan.implied_packages).
        target = luks[0].targets[0]
        distribution = answer.os.name if answer.os is not None else "this host"
        return [Problem(f"mapped-device {target}: this host's systemd does not read "
                        "/etc/crypttab (it has no systemd-cryptsetup-generator), and its apt "
                        f"({distribution}) offers no systemd-cryptsetup package, which "
                        "provides it on Debian 13 and later",
                        "install the package of the host's release that provides "
                        "systemd-cryptsetup-generator, or check the host's apt sources"
                        + (f" (apt-get update failed: {apt['update-error']})"
                           if apt.get("update-error") else ""),
                        location=_mapped_location(ctx, target))]
    return []


def _mapped_device_requests(ctx: CheckContext) -> List[Dict[str, Any]]:
    if ctx.container:
        return []
    return [{"kind": d.kind, "targets": list(d.targets), "sources": list(d.sources),
             "key-file": d.key_file} for d in ctx.manifest.mapped_devices]


def _host_crypttab(answer: ProbeAnswer) -> set:
    """The (name, device) pairs of the host's own /etc/crypttab lines (as it was before
    lispdeploy)."""
    base = answer.facts.bases.get("/etc/crypttab", "") if answer.facts is not None else ""
    return {tuple(line.split()[:2]) for line in base.splitlines()
            if len(line.split()) >= 2 and not line.split()[0].startswith("#")}


def _mapped_device_sources(answer: ProbeAnswer, report: Any,
                           ctx: CheckContext) -> List[Problem]:
    if not report or ctx.container:
        return []
    problems: List[Problem] = []
    own = _host_crypttab(answer)
    lines = report.get("crypttab") or []
    host_lines = [line for line in lines if (line["target"], line["source"]) in own]
    # Names lispdeploy's earlier generations gave (lines it added): a rename is the spec's.
    ours = {line["target"] for line in lines if (line["target"], line["source"]) not in own}
    for d, found in zip(ctx.manifest.mapped_devices, report.get("devices") or ()):
        target = d.targets[0]
        where = _mapped_location(ctx, target)
        if d.kind == "luks":
            problems += _luks_problems(d, found, host_lines, ours, where)
            key = (report.get("key-files") or {}).get(d.key_file) if d.key_file else None
            if key is not None and not key.get("exists"):
                problems.append(Problem(
                    f"mapped-device {target}: key file {d.key_file} does not exist on the host",
                    "put it there first (mode 0400, root's), or drop #:key-file to be asked "
                    "for the passphrase at boot", location=where))
            elif key is not None and ((found.get("sources") or [{}])[0]).get("key-opens") is False:
                problems.append(Problem(
                    f"mapped-device {target}: key file {d.key_file} does not open "
                    f"{d.sources[0]} (cryptsetup open --test-passphrase refused it)",
                    "give the key file of that device (`cryptsetup luksAddKey DEVICE KEYFILE` "
                    "adds one), or drop #:key-file to be asked for the passphrase at boot",
                    location=where))
            elif key is not None and key.get("mode", 0) & 0o077:
                problems.append(Problem(
                    f"{where}: mapped-device {target}: key file {d.key_file} is readable by "
                    f"others (mode {key['mode']:04o}); `chmod 0400 {d.key_file}` on the host",
                    warning=True, location=where))
        else:
            for node in found.get("missing") or ():
                what = "RAID array" if d.kind == "raid" else "logical volume"
                tool = ("mdadm assembles arrays from /etc/mdadm/mdadm.conf (cat /proc/mdstat)"
                        if d.kind == "raid" else "lvm2 activates volume groups (lvs)")
                problems.append(Problem(
                    f"mapped-device {target}: {what} {node} not found on the host",
                    f"lispdeploy does not create arrays or volumes: Debian's {tool} at boot; "
                    "declare the host's own, or set (safety-checks? #f)", location=where))
    return problems


def _luks_problems(d, found: Dict[str, Any], host_lines: List[Dict[str, Any]], ours: set,
                   where) -> List[Problem]:
    target = d.targets[0]
    (source,) = found.get("sources") or ({"source": d.sources[0]},)
    device = source.get("device")
    if device is None:
        return [Problem(f"mapped-device {target}: device {d.sources[0]} not found on the host",
                        "declare the host's real device (lsblk -f, or `cryptsetup luksUUID "
                        "DEVICE` for its UUID), or set (safety-checks? #f) in its "
                        "machine-ssh-configuration", location=where)]
    if source.get("luks") is False:
        return [Problem(f"mapped-device {target}: {d.sources[0]} ({device}) holds no LUKS "
                        "header, so cryptsetup cannot open it",
                        "name the encrypted device; a new one is made with `cryptsetup "
                        "luksFormat DEVICE` on the host (which erases it)", location=where)]
    for line in host_lines:
        if line["target"] != target and (line["source"] == d.sources[0] or
                                         line.get("device") == device):
            return [Problem(f"mapped-device {target}: the host's /etc/crypttab already opens "
                            f"{d.sources[0]} as '{line['target']}'; a second line would open "
                            "it twice at boot",
                            f"name it as the host does, (target \"{line['target']}\"), or drop "
                            "it from the spec: the host opens it already", location=where)]
    others = [n for n in source.get("open-as") or () if n != target and n not in ours]
    if others:
        return [Problem(f"mapped-device {target}: {d.sources[0]} is open already, as "
                        f"/dev/mapper/{others[0]}",
                        f"name it as the host does, (target \"{others[0]}\"), or close that "
                        "mapping first", location=where)]
    if f"/dev/mapper/{target}" not in (found.get("missing") or ()) and \
            target not in (source.get("open-as") or ()):
        return [Problem(f"mapped-device {target}: /dev/mapper/{target} exists already and maps "
                        f"another device than {d.sources[0]}",
                        "choose another target name", location=where)]
    return []


def _unless_container(request):
    return lambda ctx: None if ctx.container else request(ctx)


SAFETY_CHECKS: Tuple[SafetyCheck, ...] = (
    SafetyCheck("ssh-lockout", _ssh_lockout, needs_host=False),
    SafetyCheck("architecture", _architecture),
    SafetyCheck("package-manager", _package_manager),
    SafetyCheck("systemd", _systemd),
    SafetyCheck("lock", _lock),
    SafetyCheck("file-systems", _file_systems, _unless_container(_devices), optional=True),
    SafetyCheck("bootloader", _bootloader, _unless_container(_targets), optional=True),
    SafetyCheck("timezone", _timezone, lambda ctx: ctx.manifest.timezone),
    SafetyCheck("locale", _locale, lambda ctx: ctx.manifest.locale),
    SafetyCheck("keyboard", _keyboard, _keyboard_request),
    SafetyCheck("accounts", _accounts, lambda ctx: {
        "uids": sorted(u.uid for u in ctx.manifest.users if u.uid is not None),
        "gids": sorted(g.gid for g in ctx.manifest.groups if g.gid is not None)}
        if any(u.uid is not None for u in ctx.manifest.users)
        or any(g.gid is not None for g in ctx.manifest.groups) else None),
    SafetyCheck("etc-directories", _etc_directories),
    SafetyCheck("validate", _validate, _validations),
    SafetyCheck("downgrade", _downgrade),
    SafetyCheck("packages", _packages, _wanted_packages),
    SafetyCheck("swap", _swap, lambda ctx: [s.target for s in ctx.manifest.swap]),
    # Judged without a host too: a dry run for a container host not created yet refuses.
    SafetyCheck("mapped-devices", _mapped_devices,
                lambda ctx: [d.kind for d in ctx.manifest.mapped_devices], needs_host=False),
    SafetyCheck("mapped-device-sources", _mapped_device_sources, _mapped_device_requests,
                optional=True),
)


def _enabled(ctx: CheckContext) -> List[SafetyCheck]:
    return [c for c in SAFETY_CHECKS if ctx.safety_checks or not c.optional]


def probe_requests(ctx: CheckContext) -> Dict[str, Any]:
    """What the probe asks the host for the checks (check name -> parameters)."""
    requests = {}
    for check in _enabled(ctx):
        if check.request is not None:
            params = check.request(ctx)
            if params:
                requests[check.name] = params
    return requests


def judge(answer: ProbeAnswer, ctx: CheckContext) -> List[Problem]:
    """Every problem the checks find, in the order of SAFETY_CHECKS."""
    problems: List[Problem] = []
    for check in _enabled(ctx):
        found = check.judge(answer, answer.checks.get(check.name), ctx)
        if check.name in OPERATING_SYSTEM_CHECKS and ctx.operating_system is not None:
            for problem in found:
                problem.location = problem.location or ctx.operating_system.location
        problems += found
    return problems


# The checks of values the operating-system record declares itself: their problems are
# located at its form, as the spec's mistakes they are.
OPERATING_SYSTEM_CHECKS = ("timezone", "locale", "keyboard", "file-systems", "bootloader")


def judge_without_host(ctx: CheckContext) -> List[Problem]:
    """The problems of the checks that need no host (a dry run for a host not created yet)."""
    return [p for c in _enabled(ctx) if not c.needs_host for p in c.judge(None, None, ctx)]


def downgrade_problem(host_provenance: Dict[str, Any], local_provenance: Dict[str, Any],
                      spec_path: str, allow_downgrades: bool) -> Optional[Problem]:
    """A problem when the spec commit deployed on the host is not an ancestor of the one being
    deployed (a warning when downgrades are allowed or provenance is missing). Provenance:
    {"git": {"commit", "dirty"} or null, ...}."""
    deployed = (host_provenance.get("git") or {}).get("commit")
    ours = (local_provenance.get("git") or {}).get("commit")
    if not deployed or not ours:
        if deployed and not ours:
            return Problem("cannot determine the provenance of this deploy (the spec is not in a "
                           f"git repository); the host runs commit {deployed[:12]}",
                           warning=True)
        return None
    if deployed == ours:
        return None
    try:
        subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(spec_path)), "merge-base",
                        "--is-ancestor", deployed, ours], capture_output=True, check=True,
                       timeout=30)
        return None
    except subprocess.CalledProcessError:
        relation = "not a descendant of"
    except OSError:
        return Problem("cannot run git to compare commits", warning=True)
    message = (f"commit {ours[:12]} being deployed is {relation} commit {deployed[:12]} that the "
               "host runs")
    if allow_downgrades:
        return Problem(message + "; going on because (allow-downgrades? #t)", warning=True)
    return Problem(message, "deploy a descendant of the host's commit, or set "
                            "(allow-downgrades? #t) in the machine's configuration")


def raise_first(problems: List[Problem], host: str, step: str) -> Tuple[Problem, ...]:
    """Raise a DeployError for the first fatal problem; return the warnings."""
    for p in problems:
        if not p.warning:
            raise DeployError(p.message, host=host, step=step, hint=p.hint or None,
                              rolled_back=None, location=p.location)
    return tuple(problems)
