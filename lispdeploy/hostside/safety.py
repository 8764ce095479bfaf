"""What the host reports for the deploy's safety checks: the host half of each check of
`lispdeploy.environments.managed_host.checks.SAFETY_CHECKS` (which says what to ask, how to
judge the report and what to tell the user). A check's report is plain data, never a verdict.

    file-systems   [device, ...]      -> the devices (of declared file systems) not found
    bootloader     [target, ...]      -> the bootloader targets not found
    timezone       "Europe/Paris"     -> whether the zone exists
    locale         "en_US.utf8"       -> whether it is compiled, and whether it can be generated
    validate       [{path, argv, content}] -> each file's validator result (not run for a file
                                         the host already has with that content: the deploy
                                         leaves it as it is)
    keyboard       {name, variant, model, options} -> the names the host's XKB rules lack
                                      (or that it has no XKB rules)
    accounts       {uids, gids}       -> the account that has each of these ids, if any
    packages       [{name, version}]  -> what apt cannot install as declared (apt_index)
    swap           [target, ...]      -> whether the host is a container (which cannot swapon)
    mapped-devices [kind, ...]        -> whether the host is a container, whether its
                                         systemd reads /etc/crypttab (the generator), and if
                                         not, what apt knows of systemd-cryptsetup
    mapped-device-sources [{kind, targets, sources, key-file}]
                                      -> each device: whether it exists, what device-mapper
                                         names hold it open; each target's /dev/mapper node;
                                         each key file; the host's own crypttab lines with
                                         the device each names

Runs on hosts: standard library only.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable, Dict, List

from lispdeploy.hostside import apt_index
from lispdeploy.hostside.commands import exists, run
from lispdeploy.hostside.facts import (available_locales, normalize_locale, similar_locales,
                                       supported_lines)
from lispdeploy.hostside.plan import CRYPTTAB_GENERATORS, SYSTEMD_CRYPTSETUP
from lispdeploy.hostside.settings import zone_exists


def device_exists(device: Dict[str, str]) -> bool:
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


def _file_systems(devices: List[Dict[str, str]]) -> List[Dict[str, str]]:
    return [d for d in devices if not device_exists(d)]


def _bootloader(targets: List[str]) -> List[str]:
    return [t for t in targets if not os.path.exists(t)]


def _timezone(zone: str) -> Dict[str, Any]:
    return {"exists": zone_exists(zone)}


def _locale(name: str) -> Dict[str, Any]:
    generatable = supported_lines([name])[name] is not None
    return {"available": normalize_locale(name) in available_locales(),
            "generatable": generatable,
            # For the hint when it is neither (empty when the locales package is missing).
            "similar": [] if generatable else similar_locales(name)}



def _validate(files: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [_validate_one(f) for f in files]


def _validate_one(validation: Dict[str, Any]) -> Dict[str, Any]:
    argv = list(validation["argv"])
    path = validation["path"]
    content = validation["content"]
    if _has_content(path, content.encode() if isinstance(content, str) else content):
        return {"path": path, "ran": False, "ok": True, "unchanged": True}
    if not exists(argv[0]):
        return {"path": path, "ran": False, "ok": True, "program": argv[0]}
    with tempfile.NamedTemporaryFile(prefix="lispdeploy-check-", delete=False) as f:
        f.write(content.encode() if isinstance(content, str) else content)
        tmp = f.name
    try:
        result = run([tmp if a == "{}" else a for a in argv], check=False)
    finally:
        os.unlink(tmp)
    return {"path": path, "ran": True, "ok": result.returncode == 0,
            "output": (result.stderr or result.stdout).strip().replace(tmp, path)}


XKB_RULES = ("/usr/share/X11/xkb/rules/evdev.lst", "/usr/share/X11/xkb/rules/base.lst")


def xkb_names(path: str) -> Dict[str, Any]:
    """The models, layouts, variants (by layout) and options an XKB rules list names."""
    names: Dict[str, Any] = {"model": set(), "layout": set(), "variant": {}, "option": set()}
    section = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("! "):
                section = line[2:].strip()
                continue
            words = line.split(None, 1)
            if not words or section not in names:
                continue
            if section == "variant":
                layout = words[1].split(":", 1)[0].strip() if len(words) > 1 else ""
                names["variant"].setdefault(layout, set()).add(words[0])
            else:
                names[section].add(words[0])
    return names


def _keyboard(keyboard: Dict[str, Any]) -> Dict[str, Any]:
    rules = next((p for p in XKB_RULES if os.path.exists(p)), None)
    if rules is None:
        return {"rules": None, "unknown": []}
    names = xkb_names(rules)
    unknown = []
    layouts = (keyboard.get("name") or "").split(",")
    variants = (keyboard.get("variant") or "").split(",")
    for index, layout in enumerate(layouts):
        if layout not in names["layout"]:
            unknown.append(("layout", layout))
        variant = variants[index] if index < len(variants) else ""
        if variant and variant not in names["variant"].get(layout, ()):
            unknown.append(("variant", f"{layout}({variant})"))
    if keyboard.get("model") and keyboard["model"] not in names["model"]:
        unknown.append(("model", keyboard["model"]))
    unknown += [("option", o) for o in keyboard.get("options") or () if o not in names["option"]]
    return {"rules": rules, "unknown": [list(u) for u in unknown]}


def _accounts(ids: Dict[str, List[int]]) -> Dict[str, Dict[str, str]]:
    import grp
    import pwd
    out: Dict[str, Dict[str, str]] = {"uids": {}, "gids": {}}
    for uid in ids.get("uids", ()):
        try:
            out["uids"][str(uid)] = pwd.getpwuid(uid).pw_name
        except KeyError:
            pass
    for gid in ids.get("gids", ()):
        try:
            out["gids"][str(gid)] = grp.getgrgid(gid).gr_name
        except KeyError:
            pass
    return out


def _has_content(path: str, content: bytes) -> bool:
    """Whether the regular file at `path` (not a link to one) holds exactly `content`."""
    try:
        if not os.path.isfile(path) or os.path.islink(path) or \
                os.path.getsize(path) != len(content):
            return False
        with open(path, "rb") as f:
            return f.read() == content
    except OSError:
        return False


def _packages(wanted: List[Dict[str, Any]]) -> Dict[str, Any]:
    if not (exists("apt-cache") and exists("dpkg-query")):
        # The package-manager check says so.
        return {"apt": False}
    return apt_index.check(wanted)


def container_manager() -> Any:
    """The container manager running this host (systemd-nspawn, lxc, docker...), or None:
    systemd writes its name to /run/systemd/container."""
    try:
        with open("/run/systemd/container", encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        return None


def _swap(targets: List[str]) -> Dict[str, Any]:
    return {"container": container_manager()}


def _mapped_devices(kinds: List[str]) -> Dict[str, Any]:
    report: Dict[str, Any] = {"container": container_manager(),
                              "crypttab": any(os.path.exists(g) for g in CRYPTTAB_GENERATORS)}
    if "luks" in kinds and not report["crypttab"] and not report["container"] and \
            exists("apt-cache") and exists("dpkg-query"):
        # The activation installs it (plan.implied_packages): can apt?
        report[SYSTEMD_CRYPTSETUP] = apt_index.check([{"name": SYSTEMD_CRYPTSETUP,
                                                       "version": None}])
    return report


def device_node(source: str) -> str:
    """The node a crypttab device field names: a path, UUID=, LABEL=, PARTUUID=."""
    for prefix, directory in (("UUID=", "by-uuid"), ("LABEL=", "by-label"),
                              ("PARTUUID=", "by-partuuid")):
        if source.startswith(prefix):
            value = source[len(prefix):]
            return f"/dev/disk/{directory}/" + (value.lower() if prefix != "LABEL=" else value)
    return source


def _resolved(node: str) -> Any:
    """The real device node, or None when it does not exist (a UUID is also found
    whatever its letters' case)."""
    if os.path.exists(node):
        return os.path.realpath(node)
    directory, name = os.path.split(node)
    if directory == "/dev/disk/by-uuid":
        try:
            for entry in os.listdir(directory):
                if entry.lower() == name.lower():
                    return os.path.realpath(os.path.join(directory, entry))
        except OSError:
            return None
    return None


def _holders(device: str) -> List[str]:
    """The device-mapper names that hold `device` open (/sys/class/block/X/holders)."""
    names = []
    holders = f"/sys/class/block/{os.path.basename(device)}/holders"
    try:
        entries = sorted(os.listdir(holders))
    except OSError:
        return []
    for entry in entries:
        try:
            with open(os.path.join(holders, entry, "dm", "name"), encoding="utf-8") as f:
                names.append(f.read().strip())
        except OSError:
            continue
    return names


LUKS_MAGIC = b"LUKS\xba\xbe"


def _is_luks(device: str) -> Any:
    """Whether `device` starts with a LUKS header (None when it cannot be read)."""
    try:
        with open(device, "rb") as f:
            return f.read(len(LUKS_MAGIC)) == LUKS_MAGIC
    except OSError:
        return None


def _crypttab_lines(path: str = "/etc/crypttab") -> List[Dict[str, Any]]:
    lines = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        lines.append({"target": fields[0], "source": fields[1],
                      "device": _resolved(device_node(fields[1]))})
    return lines


def _mapped_device_sources(devices: List[Dict[str, Any]]) -> Dict[str, Any]:
    out: List[Dict[str, Any]] = []
    keys: Dict[str, Any] = {}
    for d in devices:
        kind = d["kind"]
        sources = []
        for source in (d["sources"] if kind != "lvm" else ()):
            real = _resolved(device_node(source))
            sources.append({"source": source, "device": real,
                            "open-as": _holders(real) if real else [],
                            "luks": _is_luks(real) if real and kind == "luks" else None})
        nodes = d["targets"] if kind == "raid" else [f"/dev/mapper/{t}" for t in d["targets"]]
        out.append({"targets": d["targets"], "sources": sources,
                    "missing": [n for n in nodes if not os.path.exists(n)]})
        key = d.get("key-file")
        if key:
            try:
                st = os.stat(key)
                keys[key] = {"exists": True, "mode": st.st_mode & 0o7777}
            except OSError:
                keys[key] = {"exists": False}
            if keys[key]["exists"] and sources and sources[0]["luks"] and \
                    out[-1]["missing"] and exists("cryptsetup"):
                # Whether the key opens the device the deploy is to open, without opening it:
                # one run of the LUKS key derivation (a second or two, by design), never for
                # a device that is open already. A host without cryptsetup yet gets it from
                # this deploy: not known until then.
                result = run(["cryptsetup", "open", "--test-passphrase", "--key-file", key,
                              sources[0]["device"]], check=False, timeout=120)
                sources[0]["key-opens"] = result.returncode == 0
    luks = any(d["kind"] == "luks" for d in devices)
    return {"devices": out, "key-files": keys,
            "crypttab": _crypttab_lines() if luks else []}


REPORTERS: Dict[str, Callable[[Any], Any]] = {
    "keyboard": _keyboard,
    "accounts": _accounts,
    "file-systems": _file_systems,
    "bootloader": _bootloader,
    "timezone": _timezone,
    "locale": _locale,
    "validate": _validate,
    "packages": _packages,
    "swap": _swap,
    "mapped-devices": _mapped_devices,
    "mapped-device-sources": _mapped_device_sources,
}


def report(requests: Dict[str, Any]) -> Dict[str, Any]:
    """Each requested check's report (check name -> its parameters)."""
    reports = {}
    for name, params in requests.items():
        reporter = REPORTERS.get(name)
        reports[name] = reporter(params) if reporter is not None else {"unknown-check": name}
    return reports
