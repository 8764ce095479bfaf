"""Host-level settings of an operating system, as files (with originals remembered like any
managed file) and the run-time steps that make them take effect: host name (/etc/hostname,
/etc/hosts, the running name), time zone (/etc/localtime, /etc/timezone), locale
(/etc/default/locale, generated when missing), keyboard (/etc/default/keyboard).
Standard library only."""

from __future__ import annotations

import os
import re
import socket
from typing import Any, Dict, List, Optional

from lispdeploy.hostside.changes import Change
from lispdeploy.hostside.commands import run
from lispdeploy.hostside.files import DesiredFile
from lispdeploy.hostside.hoststate import HostState

ZONEINFO = "/usr/share/zoneinfo"
SUPPORTED_LOCALES = "/usr/share/i18n/SUPPORTED"
LOCALE_GEN = "/etc/locale.gen"


def sh_quote(text: str) -> str:
    """`text` as one sh word that expands to itself; a value holding a line break or NUL
    cannot be written into a sourced file and is refused."""
    if any(c in text for c in "\n\r\x00"):
        raise ValueError(f"{text!r} cannot be written into a file sourced by sh")
    return "'" + text.replace("'", "'\\''") + "'"


def _base_content(path: str, state: HostState) -> str:
    """What a partly-managed file held before lispdeploy (or holds now, if unmanaged)."""
    original = state.originals.get(path)
    if original is not None:
        if original["kind"] != "file":
            return ""
        with open(original["backup"], encoding="utf-8", errors="replace") as f:
            return f.read()
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _hosts(host_name: str, state: HostState) -> bytes:
    lines = _base_content("/etc/hosts", state).splitlines()
    short = host_name.split(".")[0]
    entry = f"127.0.1.1\t{host_name}" + (f" {short}" if short != host_name else "")
    out = [entry if line.split()[:1] == ["127.0.1.1"] else line for line in lines]
    if entry not in out:
        out.insert(1 if out and out[0].startswith("127.0.0.1") else 0, entry)
    return ("\n".join(out) + "\n").encode()


def normalize_locale(name: str) -> str:
    """glibc's spelling of a locale name for comparison: `en_US.UTF-8` -> `en_us.utf8`."""
    language, _, codeset = name.partition(".")
    codeset, _, modifier = codeset.partition("@")
    text = language + ("." + codeset.lower().replace("-", "") if codeset else "")
    return (text + ("@" + modifier if modifier else "")).lower()


def available_locales() -> List[str]:
    """Locales compiled on the host (`locale -a`), normalized."""
    result = run(["locale", "-a"], check=False)
    return [normalize_locale(n) for n in result.stdout.split()]


def supported_line(name: str) -> Optional[str]:
    """The line of /usr/share/i18n/SUPPORTED that generates locale `name`, if any."""
    wanted = normalize_locale(name)
    try:
        with open(SUPPORTED_LOCALES, encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if fields and normalize_locale(fields[0]) == wanted:
                    return line.strip()
    except OSError:
        return None
    return None


def desired_files(manifest: Dict[str, Any], state: HostState) -> Dict[str, DesiredFile]:
    """The files that carry the manifest's host settings."""
    files: Dict[str, DesiredFile] = {}

    def add(path, content):
        files[path] = DesiredFile(path, content=content.encode() if isinstance(content, str)
                                  else content)

    host_name = manifest["host-name"]
    add("/etc/hostname", host_name + "\n")
    files["/etc/hosts"] = DesiredFile("/etc/hosts", content=_hosts(host_name, state))
    timezone = manifest["timezone"]
    add("/etc/timezone", timezone + "\n")
    files["/etc/localtime"] = DesiredFile("/etc/localtime",
                                          link_target=f"{ZONEINFO}/{timezone}")
    # Read by pam_env as well as sh: written unquoted, as update-locale does, which the
    # controller's check of locale names (letters, digits, "._@-") makes safe.
    if not re.fullmatch(r"[A-Za-z0-9_.@-]+", manifest["locale"]):
        raise ValueError(f"{manifest['locale']!r} is not a locale name")
    add("/etc/default/locale", f"LANG={manifest['locale']}\n")
    # Once lispdeploy has added the locale to locale.gen it keeps it there (the locale is then
    # available, which must not make the next generation give the file back).
    if LOCALE_GEN in state.originals or \
            normalize_locale(manifest["locale"]) not in available_locales():
        line = supported_line(manifest["locale"])
        if line is not None:
            base = _base_content(LOCALE_GEN, state)
            if line not in [l.strip() for l in base.splitlines()]:
                add(LOCALE_GEN, base + ("" if base.endswith("\n") or not base else "\n")
                    + line + "\n")
    keyboard = manifest.get("keyboard")
    if keyboard:
        # The file is sourced by sh (setupcon, keyboard-setup.sh): every value single-quoted.
        add("/etc/default/keyboard",
            f'XKBMODEL={sh_quote(keyboard.get("model") or "pc105")}\n'
            f'XKBLAYOUT={sh_quote(keyboard["name"])}\n'
            f'XKBVARIANT={sh_quote(keyboard.get("variant") or "")}\n'
            f'XKBOPTIONS={sh_quote(",".join(keyboard.get("options") or ()))}\n'
            "BACKSPACE='guess'\n")
    return files


def runtime_changes(manifest: Dict[str, Any]) -> List[Change]:
    """Steps that make settings take effect now: the running host name, missing locales."""
    changes = []
    host_name = manifest["host-name"]
    if socket.gethostname() != host_name:
        changes.append(Change("setting", "change", "host-name",
                              lambda: run(["hostname", host_name]),
                              f"{socket.gethostname()} -> {host_name}"))
    if normalize_locale(manifest["locale"]) not in available_locales():
        changes.append(Change("setting", "add", "locale", lambda: run(["locale-gen"]),
                              f"generate {manifest['locale']}"))
    return changes


def restore_runtime(state: HostState) -> None:
    """After giving back /etc/hostname, make the running host name match it."""
    try:
        with open("/etc/hostname", encoding="utf-8") as f:
            name = f.read().strip()
    except OSError:
        return
    if name and socket.gethostname() != name:
        run(["hostname", name], check=False)


def zone_exists(timezone: str) -> bool:
    """Whether the time zone is a file of the host's zoneinfo (a relative name, never a path
    elsewhere: "/etc/passwd" and "" are not time zones)."""
    if not timezone or timezone.startswith("/") or ".." in timezone.split("/"):
        return False
    path = os.path.normpath(os.path.join(ZONEINFO, timezone))
    return path.startswith(ZONEINFO + "/") and os.path.isfile(path)
