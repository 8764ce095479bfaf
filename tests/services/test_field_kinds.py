"""Values cannot rewrite configuration: a property test over every string field of every
record of the catalogue.

The records are found automatically (every subclass of `Record` that lispdeploy defines), so a
service type added to the catalogue is covered when it lands. For each string field:

- the field has a kind (lispdeploy.services.kinds), or is listed in UNCHECKED with the reason
  it never reaches a generated file;
- for each hostile value (a valid sample with newlines, quotes, ';', '$(...)', backticks, NUL,
  control characters, Unicode line separators, non-ASCII, '%', '\\' inserted), either the
  record or the system build refuses it with a *located* error, or the generated file, read
  by the format's own reader (sshd -T, sh, nginx's and Apache's tokenizers, systemd's parser,
  cron's), holds exactly the same directives as with the sample, the value arriving exactly
  where the sample was; and the file passes its real checker (sshd -T, nginx -t, apache2 -t,
  systemd-analyze verify, sh -n), unless the field names something on the host the checker
  looks for (HOST_DEPENDENT).

Examples per field: LISPDEPLOY_PROPERTY_EXAMPLES (default 50), plus the fixed INJECTIONS.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from typing import Any, Callable, Dict, List, Optional, Set

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from config_readers import (ReadError, apache_tree, crontab_jobs, ini_tree, nginx_tree,
                            unit_words)
from systems import host_key, require, run

from lispdeploy.errors import LispdeployError
from lispdeploy.location import Location
from lispdeploy.records import Record
from lispdeploy.services import kinds
from lispdeploy.spec import prelude

for _provider in prelude.PROVIDERS:
    importlib.import_module(_provider)

from lispdeploy.environments.managed_host import (MachineSshConfiguration,  # noqa: E402
                                                  managed_host_environment_type)
from lispdeploy.hostside import plan  # noqa: E402
from lispdeploy.hostside.contract import Facts  # noqa: E402
from lispdeploy.hostside.hoststate import HostState  # noqa: E402
from lispdeploy.machine import Machine  # noqa: E402
from lispdeploy.hostside.contract import Manifest  # noqa: E402
from lispdeploy.services import (admin, apt, base, certbot, databases, mcron,  # noqa: E402
                                 monitoring, networking, php, shepherd, sinks, ssh, syslog,
                                 web)
from lispdeploy.services.core import service, simple_service  # noqa: E402
from lispdeploy.system import (accounts, bootloader, file_systems, guix_system,  # noqa: E402
                               packages)
from lispdeploy.system.closure import build_system  # noqa: E402
from lispdeploy.system.operating_system import OperatingSystem  # noqa: E402

EXAMPLES = int(os.environ.get("LISPDEPLOY_PROPERTY_EXAMPLES", "50"))
SPEC = Location("spec.hy", 7, 3)
CANARY = "/tmp/lispdeploy-injection-canary"

# Values an attacker (or a careless copy-paste) would try, inserted into a valid sample.
FRAGMENTS = ["\n", "\r", "\r\n", "\x00", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\v", '"',
             "'", "\\", "\\\n", ";", "{", "}", "#", "$", f"$(touch {CANARY})",
             f"`touch {CANARY}`", "${HOME}", "$uri", "%", "%h", " ", "  ", "é", "日本",
             "\ufeff", "\nPermitRootLogin yes\n", ";\nuser root;", "\nMaxAuthTries 42",
             "\n* * * * * root touch /tmp/x", "\"; touch x; \"", "' ; touch x ; '",
             "\n[Service]\nExecStartPre=/bin/true", "}\nserver { listen 81; }"]
# Fixed examples tried for every field before the generated ones.
INJECTIONS = [("end", "\nPermitRootLogin yes"), ("end", ";\nuser root;"), ("end", "\x00"),
              ("end", f"$(touch {CANARY})"), ("end", "\"'"), ("end", "é"), ("start", " "),
              ("end", "\\"), ("middle", "%"), ("middle", ";"), ("middle", "\u2028")]

_counter = {"examples": 0, "refused": 0, "accepted": 0}


@pytest.fixture(scope="module", autouse=True)
def _report_examples():
    yield
    report = os.environ.get("LISPDEPLOY_PROPERTY_REPORT")
    if report:
        with open(report, "w") as f:
            json.dump(_counter, f)


# ---------------------------------------------------------------------------------------------
# Every record lispdeploy defines, and which of its fields take strings


def all_records() -> List[type]:
    """Every Record subclass defined by lispdeploy's own modules."""
    found, stack = [], list(Record.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("lispdeploy.") and cls.fields:
            found.append(cls)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


def takes_strings(field) -> bool:
    """Whether a field's check accepts some string."""
    if field.check is None:
        return False
    for probe in ("x", "a.service", "/x", "x86_64-linux", "us", "80", "UTC"):
        try:
            field.check(probe)
            return True
        except (TypeError, LispdeployError):
            continue
    return False


# Fields that take strings without a kind, and why no generated file holds them.
UNCHECKED = {
    ("service-type", "default-value"): "any value; its records' fields are checked",
    ("service", "value"): "any value; its records' fields are checked",
    ("file-like", None): "store names are [A-Za-z0-9+_?=.-]; contents are files by design",
    ("plain-file", "content"): "the content of a file: any text, by design",
    ("plain-file", "name"): "store name: letters, digits and '+-._?='",
    ("local-file", "file"): "a path on the controller, read there",
    ("local-file", "name"): "store name",
    ("mixed-text-file", "name"): "store name",
    ("mixed-text-file", "texts"): "the content of a file: any text, by design",
    ("computed-file", "name"): "store name",
    ("computed-file", "options"): "accepted, unused",
    ("program-file", "name"): "store name",
    ("file-append", "suffix"): "appended to a store path inside a g-expression's program",
    ("generated-file", "name"): "store name",
    ("secret-file", "name"): "store name, shown in messages",
    ("secret-file", "file"): "a path on the controller, read there",
    ("secret-file", "command"): "a command run on the controller, without a shell",
    ("machine", "configuration"): "a configuration record, checked by its own fields",
    ("environment-type", "name"): "shown in messages only",
    ("environment-type", "description"): "shown in messages only",
    ("environment-type", "configuration-type"): "a record class",
    ("machine-ssh-configuration", "system"): "one of a fixed list of system types",
    ("bootloader", "name"): "a fixed table of bootloaders",
    ("bootloader", "package"): "a fixed table of bootloaders",
    ("bootloader-configuration", "menu-entries"): "accepted, never used on ordinary hosts",
    ("bootloader-configuration", "theme"): "accepted, never used on ordinary hosts",
    ("bootloader-configuration", "terminal-outputs"): "accepted, never used",
    ("bootloader-configuration", "terminal-inputs"): "accepted, never used",
    ("bootloader-configuration", "serial-unit"): "accepted, never used",
    ("bootloader-configuration", "serial-speed"): "accepted, never used",
    ("uuid", "string"): "hexadecimal digits and '-' (checked by the record)",
    ("uuid", "type"): "accepted, unused",
    ("file-system", "repair"): "accepted, unused",
    ("file-system", "dependencies"): "accepted, unused",
    ("file-system", "shepherd-requirements"): "accepted, unused",
    ("gexp", "source"): "staged code, compiled when the spec is read",
    ("gexp", "references"): "the values #$ refers to",
    ("gexp", "spec-lines"): "line numbers",
    ("shepherd-service", "modules"): "Guile modules, accepted and unused",
    ("shepherd-service", "actions"): "refused when not empty",
    ("ntp-server", "options"): "accepted; systemd-timesyncd has no per-server options",
    ("sysctl-configuration", "sysctl"): "accepted; Debian's procps",
    ("operating-system", None): "Guix's boot fields (kernel, initrd, ...): accepted, never "
                                "used on ordinary hosts",
    ("digital-ocean-configuration", "tags"): "DigitalOcean's tag rule (letters, digits, ':-_')",
    ("container-configuration", "binds"): "paths of this machine, given to systemd-nspawn as "
                                          "arguments",
    ("container-configuration", "read-only-binds"): "paths of this machine, nspawn arguments",
    ("container-configuration", "memory-max"): "a size (digits and one unit letter)",
    ("container-configuration", "address"): "an IPv4 address in 127.0.0.0/8",
    ("host-settings", "keyboard-layout"): "a keyboard-layout record",
    ("container-configuration", "system"): "one of a fixed list of system types",
    ("digital-ocean-configuration", "system"): "one of a fixed list of system types",
    ("rottlog-configuration", "rc-file"): "rottlog's; accepted, unused by logrotate",
    ("rottlog-configuration", "jobs"): "rottlog's mcron jobs; accepted, unused",
    ("deployment", "name"): "lower-case letters, digits, '-' and '_' (checked by the record)",
    ("health-check", "name"): "shown in messages on the controller",
    ("health-check", "body"): "text the controller looks for in an HTTP answer",
    ("health-check", "ca-certificate"): "a path on the controller, read there",
    ("container-configuration", "image"): "a fixed image name or a path of this machine, read "
                                          "by the container engine",
    ("package", "guix-name"): "the Guix name a package stands for, shown in messages",
    ("channel", None): "Guix only: accepted, never used on a Debian host",
    ("swap-space", None): "Guix only: accepted and noted ('not applied'), never written",
    ("mapped-device", "arguments"): "keywords and their values: the key file among them is "
                                    "checked by the record as mapped-device-kind's key-file "
                                    "(one absolute path, one word), which is tried here",
    ("mapped-device-kind", "name"): "a fixed table of Guix's device mappings",
    ("mapped-device-kind", "debian"): "a fixed table of Guix's device mappings",
}
# Guix fields the Debian mapping accepts and ignores (Guix-only, no effect on a host).
_GUIX_ONLY = {"operating-system-file", "operating-system-expression", "channels",
              "services-to-restart", "system-expiration"}
_OS_BOOT_FIELDS = {"kernel", "kernel-arguments", "kernel-loadable-modules", "initrd",
                   "initrd-modules", "firmware", "mapped-devices", "swap-devices", "skeletons",
                   "locale-definitions", "name-service-switch", "pam-services",
                   "setuid-programs", "privileged-programs", "essential-services"}


def unchecked_reason(record: type, field) -> Optional[str]:
    name = record.record_name
    if (name, field.spec_name) in UNCHECKED:
        return UNCHECKED[(name, field.spec_name)]
    if name == "operating-system" and field.spec_name in _OS_BOOT_FIELDS:
        return UNCHECKED[("operating-system", None)]
    if (name, None) in UNCHECKED and name not in ("operating-system", "file-like"):
        return UNCHECKED[(name, None)]
    if name.startswith("unattended-upgrade") and field.spec_name in _GUIX_ONLY:
        return "Guix only; no effect on a Debian host"
    return None


def test_every_string_field_of_every_record_has_a_kind():
    missing = []
    for record in all_records():
        for field in record.fields:
            if not takes_strings(field) or kinds.kind_of(field.check) is not None:
                continue
            if unchecked_reason(record, field) is None:
                missing.append(f"{record.record_name} {field.spec_name} ({record.__module__})")
    assert not missing, ("string fields without a kind (lispdeploy.services.kinds), which may "
                         "carry a newline into a generated file:\n  " + "\n  ".join(missing))


# ---------------------------------------------------------------------------------------------
# How each record reaches a generated file, and how that file is read and checked


def machine(os_: OperatingSystem) -> Machine:
    return Machine(operating_system=os_, environment=managed_host_environment_type,
                   configuration=MachineSshConfiguration(host_name="192.0.2.1",
                                                         system="x86_64-linux"))


def with_services(*services, **os_fields) -> OperatingSystem:
    return OperatingSystem(host_name="property-host", services=tuple(services), location=SPEC,
                           **os_fields)


def etc_text(system, path: str) -> str:
    items = {item.path: item for item in system.items}
    for entry in system.manifest["etc"]:
        if entry["path"] == path:
            return items[entry["item"]].text()
    raise AssertionError(f"/etc/{path} not generated")


def unit_text(system, name: str) -> str:
    items = {item.path: item for item in system.items}
    for entry in system.manifest["units"]:
        if entry["name"] == name:
            return items[entry["item"]].text()
    raise AssertionError(f"unit {name} not generated")


def save(tmp, name: str, text: str) -> str:
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def checked(result: subprocess.CompletedProcess, what: str) -> None:
    assert result.returncode == 0, f"{what} refused the generated file:\n{result.stderr}"


# sshd ---------------------------------------------------------------------------------------

def sshd_read(system, tmp):
    text = etc_text(system, "ssh/sshd_config")
    drop_ins = os.path.join(tmp, "sshd_config.d")
    os.makedirs(drop_ins, exist_ok=True)
    text = text.replace("Include /etc/ssh/sshd_config.d/*.conf", f"Include {drop_ins}/*.conf")
    config = save(tmp, "sshd_config", text)
    result = run([require("/usr/sbin/sshd"), "-T", "-f", config, "-o",
                  f"HostKey={host_key(tmp)}"])
    checked(result, "sshd -T")
    return sorted(result.stdout.splitlines())


# nginx --------------------------------------------------------------------------------------

def nginx_read(system, tmp):
    return nginx_tree(etc_text(system, "nginx/nginx.conf"))


def nginx_check(system, tmp):
    config = save(tmp, "nginx.conf", etc_text(system, "nginx/nginx.conf"))
    checked(run([require("/usr/sbin/nginx"), "-t", "-q", "-c", config]), "nginx -t")


def nginx_with(**config):
    return with_services(service(web.nginx_service_type,
                                 web.NginxConfiguration(location=SPEC, **config)))


def nginx_server(**fields):
    return web.NginxServerConfiguration(location=SPEC, **fields)


# Apache -------------------------------------------------------------------------------------

def apache_read(system, tmp):
    return apache_tree(etc_text(system, "apache2/apache2.conf"))


def apache_check(system, tmp):
    config = save(tmp, "apache2.conf", etc_text(system, "apache2/apache2.conf"))
    checked(run([require("/usr/sbin/apache2"), "-t", "-f", config]), "apache2 -t")


def httpd_config(**fields):
    # Paths apache2 -t opens must exist on this machine.
    fields.setdefault("error_log", "/var/log/apache2/error.log")
    fields.setdefault("document_root", "/var/www")
    return web.HttpdConfigFile(location=SPEC, **fields)


def httpd_with(config_file=None, *extra):
    config = web.HttpdConfiguration(location=SPEC, config=config_file or httpd_config())
    return with_services(service(web.httpd_service_type, config), *extra)


# systemd-style files ------------------------------------------------------------------------

def ini_reader(path: str):
    def read(system, tmp):
        return ini_tree(etc_text(system, path))
    return read


# Unit files ---------------------------------------------------------------------------------

def unit_read(system, tmp):
    tree = ini_tree(unit_text(system, "property-daemon.service"))
    return [(section, key, tuple(unit_words(value)) if key.startswith("Exec")
             else value.replace("%%", "%"))
            for section, key, value in tree]


def unit_check(system, tmp):
    directory = os.path.join(tmp, "units")
    os.makedirs(directory, exist_ok=True)
    path = save(directory, "property-daemon.service", unit_text(system, "property-daemon.service"))
    result = run(["systemd-analyze", "verify", "--man=no", path])
    # verify also reports problems of this machine's other units; only this one's count.
    problems = [line for line in (result.stderr or "").splitlines()
                if "property-daemon.service" in line]
    assert result.returncode == 0 or not problems, "\n".join(problems)


def daemon(**fields):
    fields.setdefault("provision", ("property-daemon",))
    fields.setdefault("start", ("/bin/sleep", "infinity"))
    return with_services(simple_service("daemon", sinks.shepherd_root_service_type,
                                        (shepherd.ShepherdService(location=SPEC, **fields),),
                                        location=SPEC))


# cron ---------------------------------------------------------------------------------------

def cron_read(system, tmp):
    return crontab_jobs(etc_text(system, "cron.d/lispdeploy-mcron"))


def cron_with(**fields):
    from lispdeploy.gexp.gexp import Gexp
    job = Gexp(source="return job(\"@daily\", \"date\")\n", location=SPEC)
    return with_services(service(mcron.mcron_service_type, mcron.McronConfiguration(
        location=SPEC, jobs=(job,), **fields)))


# Host settings and accounts: what the host writes from the manifest -------------------------

def settings_files(system, tmp):
    """The host-setting files the host would write (planned from empty facts)."""
    state = HostState(os.path.join(tmp, "state"))
    return plan.settings_files(system.manifest_record, Facts(), state)


def sh_values(system, tmp, path: str, names: List[str]):
    """The variables a file sourced by sh sets (the file is sourced in an empty
    environment, in a scratch directory; nothing it runs may create the canary)."""
    content = settings_files(system, tmp)[path].content
    file = os.path.join(tmp, "sourced")
    with open(file, "wb") as f:
        f.write(content)
    checked(run(["sh", "-n", file]), "sh -n")
    script = ". ./sourced; printf '%s\\0' " + " ".join(f'"${name}"' for name in names) + \
             "; set | grep -c '^XKB\\|^LANG\\|^BACKSPACE'"
    result = subprocess.run(["env", "-i", "sh", "-c", script], capture_output=True, cwd=tmp,
                            timeout=30)
    assert not os.path.exists(CANARY), "sourcing the file ran a command"
    assert result.returncode == 0, result.stderr
    *values, count = result.stdout.split(b"\0")
    return [v.decode("utf-8", "surrogateescape") for v in values] + [count.strip().decode()]


def keyboard_read(system, tmp):
    return sh_values(system, tmp, "/etc/default/keyboard",
                     ["XKBMODEL", "XKBLAYOUT", "XKBVARIANT", "XKBOPTIONS", "BACKSPACE"])


def host_settings_read(system, tmp):
    files = settings_files(system, tmp)
    return [files["/etc/hostname"].content.decode(), files["/etc/timezone"].content.decode(),
            files["/etc/localtime"].target,
            *sh_values(system, tmp, "/etc/default/locale", ["LANG"])]


def passwd_read(system, tmp):
    """The /etc/passwd, /etc/shadow and /etc/group lines useradd and groupadd would write."""
    lines = []
    for user in system.manifest["users"]:
        lines.append(tuple(f"{user['name']}:x:{user['uid']}:{user['group']}:{user['comment']}:"
                           f"{user['home']}:{user['shell']}".split(":")))
        lines.append(tuple(f"{user['name']}:{user['password'] or '!'}:19000:0:99999:7:::"
                           .split(":")))
        lines.append((user["name"], user["home-permissions"], tuple(user["supplementary-groups"])))
    for group in system.manifest["groups"]:
        lines.append(tuple(f"{group['name']}:{group['password'] or 'x'}:{group['gid']}:"
                           .split(":")))
    for line in lines:
        assert not any("\n" in field for field in line)
    return lines


def manifest_read(*sections):
    def read(system, tmp):
        return json.loads(json.dumps([system.manifest[s] for s in sections]))
    return read


def account_system(user=None, group=None):
    groups = accounts.BASE_GROUPS + ((group,) if group else ())
    users = accounts.BASE_USER_ACCOUNTS + ((user,) if user else ())
    return with_services(users=users, groups=groups)


# Files of other formats: read line by line (a value cannot add or remove a line), with the
# formats that quote values read as their programs read them.

def _postgresql_value(text: str):
    """A postgresql.conf value as the server reads it (quoted: '' and backslash escapes)."""
    text = text.strip()
    if not text.startswith("'"):
        return text.split("#", 1)[0].strip()
    out, i = [], 1
    while i < len(text):
        c = text[i]
        if c == "'" and text[i + 1:i + 2] == "'":
            out.append("'")
            i += 2
            continue
        if c == "'":
            assert not text[i + 1:].strip() or text[i + 1:].strip().startswith("#"), text
            return "".join(out)
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    raise ReadError(f"unterminated quoted value {text!r}")


def _file_tree(path: str, text: str):
    if path.endswith("postgresql.conf"):
        tree = []
        for line in text.split("\n"):
            if line.strip() and not line.lstrip().startswith("#"):
                key, equals, value = line.partition("=")
                assert equals, line
                tree.append((key.strip(), _postgresql_value(value)))
        return tree
    if path.startswith("systemd/") and path.endswith(".conf"):
        return [(section, key, tuple(unit_words(value)) if key.startswith("Exec")
                 or key == "Environment" else value) for section, key, value in ini_tree(text)]
    return text.split("\n")


def etc_files_read(system, tmp):
    """Every /etc file the system writes (but sudoers), each read as its format is."""
    items = {item.path: item for item in system.items}
    return {entry["path"]: _file_tree(entry["path"], items[entry["item"]].text())
            for entry in system.manifest["etc"] if entry["path"] != "sudoers"}


def program_data_read(name: str):
    """The JSON data a host program of the system carries (values it uses as they are)."""
    import ast

    def read(system, tmp):
        found = []
        for item in system.items:
            if item.name == name and item.content is not None:
                for node in ast.walk(ast.parse(item.text())):
                    if isinstance(node, ast.Constant) and isinstance(node.value, str):
                        # Spliced values travel as Python literals of their text.
                        for text in (node.value, _literal(node.value)):
                            try:
                                found.append(json.loads(text))
                                break
                            except (TypeError, ValueError):
                                continue
        return found
    return read


def _literal(text: str):
    import ast
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def both(*readers):
    def read(system, tmp):
        return [reader(system, tmp) for reader in readers]
    return read


def validators_check(system, tmp):
    """Each /etc file's own validator, run on this machine as the host runs it."""
    items = {item.path: item for item in system.items}
    for entry in system.manifest["etc"]:
        if not entry["validate"] or entry["path"] == "sudoers":
            continue
        path = save(tmp, os.path.basename(entry["path"]), items[entry["item"]].text())
        os.chmod(path, 0o644)
        os.chmod(tmp, 0o755)
        argv = [path if a == "{}" else a for a in entry["validate"]]
        checked(run(argv), " ".join(entry["validate"][:2]))


# apt's files (deb822 sources, apt_preferences) ------------------------------------------------

def apt_files_read(system, tmp):
    """apt's files, each as its path and its lines (a source's name is in its path)."""
    items = {item.path: item for item in system.items}
    return [[entry["path"], items[entry["item"]].text().split("\n")]
            for entry in system.manifest["etc"] if entry["path"].startswith("apt/")]


def apt_check(system, tmp):
    """apt itself reads the files (in a scratch directory, nothing of this machine's apt):
    `apt-cache policy` parses every source and pin, and fails on one it cannot read."""
    items = {item.path: item for item in system.items}
    root = os.path.join(tmp, "apt-check")
    for directory in ("sources.list.d", "preferences.d", "state/lists/partial",
                      "cache/archives/partial"):
        os.makedirs(os.path.join(root, directory), exist_ok=True)
    for entry in system.manifest["etc"]:
        for directory in ("sources.list.d", "preferences.d"):
            if entry["path"].startswith(f"apt/{directory}/"):
                save(os.path.join(root, directory), os.path.basename(entry["path"]),
                     items[entry["item"]].text())
    result = run(["apt-cache", "-o", "Dir::Etc::SourceList=/dev/null",
                  "-o", f"Dir::Etc::SourceParts={root}/sources.list.d",
                  "-o", "Dir::Etc::Preferences=/dev/null",
                  "-o", f"Dir::Etc::PreferencesParts={root}/preferences.d",
                  "-o", f"Dir::State={root}/state", "-o", f"Dir::Cache={root}/cache",
                  "-o", "Debug::NoLocking=1", "policy"])
    checked(result, "apt-cache policy")
    # apt skips a file it does not read (a name it ignores) with a notice: that is no check.
    assert "Ignoring" not in result.stderr and "W:" not in result.stderr, result.stderr
    for directory in ("sources.list.d", "preferences.d"):
        for name in os.listdir(os.path.join(root, directory)):
            os.unlink(os.path.join(root, directory, name))


def apt_with(**config):
    return with_services(service(apt.apt_service_type,
                                 apt.AptConfiguration(location=SPEC, **config)))


# certbot's programs: the data they carry, store paths without their hashes ------------------

_STORE_HASH = re.compile(r"/var/lib/lispdeploy/store/[0-9a-f]{32}-")


def _without_hashes(tree):
    if isinstance(tree, str):
        return _STORE_HASH.sub("/var/lib/lispdeploy/store/-", tree)
    if isinstance(tree, (list, tuple)):
        return type(tree)(_without_hashes(t) for t in tree)
    if isinstance(tree, dict):
        return {k: _without_hashes(v) for k, v in tree.items()}
    return tree


def certbot_read(system, tmp):
    """nginx.conf (the challenge's server blocks), and what certbot's programs (obtaining,
    renewing, the deploy hooks, the activation) carry: certbot's argv, hooks, users, paths."""
    names = {item.name for item in system.items if item.content is not None and (
        item.name in (certbot.AT_START, "certbot-command", "activate")
        or item.name.endswith("-deploy-hook"))}
    import ast
    programs = []
    # A deploy hook is named after its certificate: labelled by what it is, so that the
    # programs' order does not depend on the name.
    label = {name: "deploy-hook" if name.endswith("-deploy-hook") else name for name in names}
    for item in sorted((i for i in system.items if i.name in names),
                       key=lambda i: (label[i.name], i.name)):
        # The arguments of the program's calls travel as Python literals of their values.
        for node in ast.walk(ast.parse(item.text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = _literal(node.value)
                if isinstance(value, (list, dict)) and value:
                    programs.append([label[item.name], _without_hashes(value)])
    assert programs, "no program data found"
    return [nginx_read(system, tmp), programs]


def programs_check(system, tmp):
    """nginx -t on nginx.conf, and Python compiling each program the system carries (a
    value spliced into one must stay a literal)."""
    nginx_check(system, tmp)
    for item in system.items:
        if item.content is not None and item.text().startswith("#!") and "python" in \
                item.text().split("\n", 1)[0]:
            path = save(tmp, "program.py", item.text())
            checked(run(["python3", "-m", "py_compile", path]), f"python3 ({item.name})")


def certbot_with(certificate=None, **config):
    certificate = certificate or certbot.CertificateConfiguration(location=SPEC,
                                                                  domains=("example.org",))
    return with_services(service(certbot.certbot_service_type, certbot.CertbotConfiguration(
        location=SPEC, **{"certificates": (certificate,), **config})))


# Special files: the manifest entry, read by the host's own reader -----------------------------

def special_files_read(system, tmp):
    """The special files the host reads from the manifest (contract.Manifest, as the host
    parses the JSON it receives) and the paths it plans to write on an empty host."""
    record = Manifest.from_json(json.loads(json.dumps(system.manifest)))
    state = HostState(os.path.join(tmp, "state"))
    files = plan.wanted_files(record, Facts(), state, None)
    return [json.loads(json.dumps([f.to_json() for f in record.files])),
            sorted([path, w.user, w.group, w.mode] for path, w in files.items()
                   if not path.startswith("/etc/"))]


# /etc/crypttab: what the host writes for LUKS devices --------------------------------------

def crypttab_read(system, tmp):
    """/etc/crypttab as the host writes it on a host without one, in fields as systemd's
    generator splits them (whitespace)."""
    record = Manifest.from_json(json.loads(json.dumps(system.manifest)))
    files = plan.wanted_files(record, Facts(), HostState(os.path.join(tmp, "state")), None)
    text = files[plan.CRYPTTAB].content.decode()
    return [line.split() for line in text.split("\n") if line.strip()]


def crypttab_check(system, tmp):
    """systemd's crypttab generator reads the file (SYSTEMD_CRYPTTAB) and makes the unit of
    each device, opening it from its source."""
    record = Manifest.from_json(json.loads(json.dumps(system.manifest)))
    files = plan.wanted_files(record, Facts(), HostState(os.path.join(tmp, "state")), None)
    crypttab = save(tmp, "crypttab", files[plan.CRYPTTAB].content.decode())
    out = os.path.join(tmp, "generated")
    if os.path.isdir(out):
        subprocess.run(["rm", "-rf", out], check=True)
    os.makedirs(out)
    generator = require("/usr/lib/systemd/system-generators/systemd-cryptsetup-generator")
    result = subprocess.run([generator, out, out, out], capture_output=True, text=True,
                            timeout=60, env={"SYSTEMD_CRYPTTAB": crypttab,
                                             "SYSTEMD_LOG_TARGET": "console"})
    checked(result, "systemd-cryptsetup-generator")
    for device in record.mapped_devices:
        unit = os.path.join(out, plan.cryptsetup_unit(device.targets[0]))
        assert os.path.isfile(unit), (unit, os.listdir(out), result.stderr)
        with open(unit, encoding="utf-8") as f:
            assert device.targets[0] in f.read()


# ---------------------------------------------------------------------------------------------
# The table: record -> how to embed it, read the file, check it; a sample for each field


class Case:
    def __init__(self, embed: Callable[..., OperatingSystem], read, samples: Dict[str, Any],
                 check: Optional[Callable] = None, host_dependent: Set[str] = frozenset(),
                 readers: Optional[Dict[str, Callable]] = None):
        self.embed = embed
        self.read = read
        # Fields read another way: a package naming the version in every path, say.
        self.readers = dict(readers or {})
        self.samples = samples
        self.check = check
        self.host_dependent = set(host_dependent)


CASES: Dict[str, Case] = {
    "openssh-configuration": Case(
        lambda **f: with_services(service(ssh.openssh_service_type,
                                          ssh.OpensshConfiguration(location=SPEC, **f))),
        sshd_read,
        {"pid_file": "/run/lispdeploy-sample.pid",
         "accepted_environment": ("LISPDEPLOY_SAMPLE",),
         "subsystems": (("sample", "/usr/lib/openssh/sftp-server -l INFO"),),
         "listen_addresses": ("127.0.0.77",),
         "authorized_keys": (("root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMarker sample"),),
         "openssh": "openssh-server"}),
    "nginx-configuration": Case(
        nginx_with, nginx_read,
        {"log_directory": "/var/log/nginx", "run_directory": "/var/lib/lispdeploy-sample",
         "modules": ("/usr/lib/nginx/modules/lispdeploy-sample.so",),
         "shepherd_requirement": ("lispdeploy-sample",), "nginx": "lispdeploy-sample",
         "global_directives": (("worker_processes", "lispdeploysample"), ("events", ()))},
        nginx_check, {"log_directory", "run_directory", "modules", "global_directives"}),
    "nginx-server-configuration": Case(
        lambda **f: nginx_with(server_blocks=(nginx_server(**f),)), nginx_read,
        {"listen": ("8080",), "server_name": ("sample.example.org",),
         "root": "/srv/lispdeploy-sample", "index": ("sample.html",),
         "try_files": ("$uri",), "ssl_certificate": "/etc/ssl/lispdeploy-sample.pem",
         "ssl_certificate_key": "/etc/ssl/lispdeploy-sample.key"},
        nginx_check, {"ssl_certificate", "ssl_certificate_key"}),
    "nginx-location-configuration": Case(
        lambda **f: nginx_with(server_blocks=(nginx_server(locations=(
            web.NginxLocationConfiguration(location=SPEC, **{"body": (), **f}),)),)),
        nginx_read, {"uri": "/lispdeploy-sample/"}, nginx_check),
    "nginx-named-location-configuration": Case(
        lambda **f: nginx_with(server_blocks=(nginx_server(locations=(
            web.NginxNamedLocationConfiguration(location=SPEC, **{"body": (), **f}),)),)),
        nginx_read, {"name": "lispdeploysample"}, nginx_check),
    "nginx-upstream-configuration": Case(
        lambda **f: nginx_with(upstream_blocks=(web.NginxUpstreamConfiguration(
            location=SPEC, **{"name": "backend", "servers": ("127.0.0.1:8000",), **f}),)),
        nginx_read, {"name": "lispdeploysample", "servers": ("127.0.0.1:8077",)},
        nginx_check, {"servers"}),
    "httpd-config-file": Case(
        lambda **f: httpd_with(httpd_config(**f)), apache_read,
        {"server_root": "/etc/apache2", "server_name": "sample.example.org",
         "document_root": "/srv/lispdeploy-sample", "listen": ("8077",),
         "pid_file": "/run/lispdeploy-sample.pid", "error_log": "/var/log/apache2/error.log",
         "user": "lispdeployuser", "group": "lispdeploygroup"},
        apache_check, {"server_root", "error_log", "user", "group", "document_root"}),
    "httpd-module": Case(
        lambda **f: httpd_with(httpd_config(modules=web.DEFAULT_HTTPD_MODULES + (
            web.HttpdModule(location=SPEC, **{"name": "proxy_module",
                                              "file": "modules/mod_proxy.so", **f}),))),
        apache_read, {"name": "proxy_module", "file": "modules/mod_proxy.so"},
        apache_check, {"name", "file"}),
    "httpd-virtualhost": Case(
        lambda **f: httpd_with(None, simple_service("site", web.httpd_service_type, (
            web.HttpdVirtualhost(location=SPEC, **{"contents": (), **f}),), location=SPEC)),
        apache_read, {"addresses_and_ports": "*:8077"}, apache_check),
    "httpd-configuration": Case(
        lambda **f: with_services(service(web.httpd_service_type, web.HttpdConfiguration(
            location=SPEC, config=httpd_config(), **f))), manifest_read("packages"),
        {"pid_file": "/run/lispdeploy-sample.pid", "package": "lispdeploy-sample"}),
    "journald-configuration": Case(
        lambda **f: with_services(service(base.journald_service_type,
                                          base.JournaldConfiguration(location=SPEC, **f))),
        ini_reader(base.JOURNALD_FILE), {"max_retention_sec": "1month",
                                         "system_max_use": "500M"}),
    "ntp-server": Case(
        lambda **f: with_services(service(networking.ntp_service_type,
                                          networking.NtpConfiguration(location=SPEC, servers=(
                                              networking.NtpServer(location=SPEC, **f),)))),
        ini_reader(networking.TIMESYNCD_FILE), {"address": "lispdeploy-sample.example.org"}),
    "ntp-configuration": Case(
        lambda **f: with_services(service(networking.ntp_service_type,
                                          networking.NtpConfiguration(location=SPEC, **f))),
        ini_reader(networking.TIMESYNCD_FILE), {"ntp": "systemd-timesyncd"}),
    "dhcp-client-configuration": Case(
        lambda **f: with_services(service(networking.dhcp_client_service_type,
                                          networking.DhcpClientConfiguration(location=SPEC,
                                                                             **f))),
        ini_reader(networking.NETWORK_FILE),
        {"interfaces": ("eth7",), "shepherd_requirement": ("sample",),
         "shepherd_provision": ("sample",), "package": "isc-dhcp-client"}),
    "shepherd-service": Case(
        daemon, unit_read,
        {"documentation": "The lispdeploy sample daemon.",
         "start": ("/bin/sleep", "lispdeploy-sample"),
         "requirement": ("networking",), "provision": ("property-daemon", "sample-alias")},
        unit_check),
    "mcron-configuration": Case(cron_with, cron_read,
                                {"log_file": "/var/log/lispdeploy-sample.log", "mcron": "lispdeploy-sample"}),
    "keyboard-layout": Case(
        lambda **f: with_services(keyboard_layout=bootloader.KeyboardLayout(
            location=SPEC, **{"name": "us", **f})), keyboard_read,
        {"name": "lispdeploysample", "variant": "altgr-intl", "model": "pc105",
         "options": ("ctrl:nocaps",)}),
    "operating-system": Case(
        lambda **f: OperatingSystem(location=SPEC, **{"host_name": "property-host", **f}),
        host_settings_read, {"timezone": "Europe/Paris", "locale": "en_US.utf8",
                             "host_name": "lispdeploy-sample", "label": "lispdeploy sample"}),
    "user-account": Case(
        lambda **f: account_system(user=accounts.UserAccount(
            location=SPEC, **{"name": "sample", **f})), passwd_read,
        {"name": "lispdeploysample", "comment": "The lispdeploy sample",
         "home_directory": "/home/lispdeploy-sample", "shell": "/bin/sh",
         "password": "$6$salt$lispdeploysample", "group": "users",
         "supplementary_groups": ("wheel",)}),
    "user-group": Case(
        lambda **f: account_system(group=accounts.UserGroup(location=SPEC,
                                                            **{"name": "sample", **f})),
        passwd_read, {"name": "lispdeploysample", "password": "$6$salt$lispdeploysample"}),
    "etc-file": Case(
        lambda **f: with_services(simple_service("files", sinks.etc_service_type, (
            sinks.EtcFile(location=SPEC, **{"path": "lispdeploy-sample.conf",
                                            "file": sinks.GeneratedFile(
                                                name="x", generate=lambda r: "x\n"), **f}),),
            location=SPEC)),
        manifest_read("etc"),
        {"path": "lispdeploy-sample.conf", "user": "lispdeployuser", "group": "lispdeploygroup",
         "validate": ("/usr/bin/lispdeploy-sample", "{}")}),
    "systemd-unit": Case(
        lambda **f: with_services(simple_service("units", sinks.shepherd_root_service_type, (
            sinks.SystemdUnit(location=SPEC, **{"name": "lispdeploy-sample.service", **f}),),
            location=SPEC)),
        manifest_read("units"),
        {"name": "lispdeploy-sample.service", "provision": ("lispdeploysample",)}),
    "package": Case(
        lambda **f: with_services(packages=(packages.Package(location=SPEC, **{
            "name": "hello", **f}),)), manifest_read("packages"),
        {"name": "lispdeploy-sample", "version": "1.0-lispdeploysample"}),
    "file-system": Case(
        lambda **f: with_services(file_systems=(file_systems.FileSystem(location=SPEC, **{
            "mount_point": "/", "device": "/dev/sda1", "type": "ext4", **f}),)),
        manifest_read("file-systems"),
        {"mount_point": "/lispdeploy-sample", "device": "/dev/lispdeploy-sample",
         "type": "ext4", "flags": ("no-atime",), "options": "lispdeploysample"}),
    "file-system-label": Case(
        lambda **f: with_services(file_systems=(file_systems.FileSystem(
            location=SPEC, mount_point="/", type="ext4",
            device=file_systems.FileSystemLabel(location=SPEC, **f)),)),
        manifest_read("file-systems"), {"label": "lispdeploysample"}),
    "bootloader-configuration": Case(
        lambda **f: with_services(bootloader=bootloader.BootloaderConfiguration(
            location=SPEC, bootloader=bootloader.BOOTLOADERS["grub-bootloader"], **f)),
        manifest_read("bootloader"), {"targets": ("/dev/lispdeploy-sample",)}),
    # svc-b's catalogue: databases, php-fpm, monitoring, log rotation, upgrades, syslog
    "postgresql-configuration": Case(
        lambda **f: with_services(service(databases.postgresql_service_type,
                                          databases.PostgresqlConfiguration(location=SPEC, **f))),
        both(etc_files_read, manifest_read("packages")),
        {"postgresql": "postgresql-15", "locale": "en_US.utf8",
         "log_directory": "/var/log/lispdeploy-sample",
         "data_directory": "/var/lib/lispdeploy-sample", "home_directory": "/var/empty",
         "extension_packages": ("lispdeploy-sample",)},
        validators_check, {"postgresql"},
        readers={"postgresql": manifest_read("packages")}),
    "postgresql-config-file": Case(
        lambda **f: with_services(service(databases.postgresql_service_type,
                                          databases.PostgresqlConfiguration(
                                              location=SPEC, config_file=databases.
                                              PostgresqlConfigFile(location=SPEC, **f)))),
        etc_files_read,
        {"log_destination": "stderr",
         "hba_file": ("host\tall\tall\t127.0.0.77/32\tmd5",),
         "socket_directory": "/run/lispdeploy-sample",
         "extra_config": (("application_name", "lispdeploy-sample"),)},
        validators_check, {"extra_config"}),
    "postgresql-role": Case(
        lambda **f: with_services(
            service(databases.postgresql_service_type, databases.PostgresqlConfiguration()),
            service(databases.postgresql_role_service_type,
                    databases.PostgresqlRoleConfiguration(location=SPEC, roles=(
                        databases.PostgresqlRole(location=SPEC, **{"name": "app", **f}),)))),
        program_data_read("postgresql-roles"),
        {"name": "lispdeploysample", "password_file": "/etc/lispdeploy-sample.password",
         "encoding": "UTF8", "collation": "lispdeploycollation", "ctype": "lispdeployctype",
         "template": "lispdeploytemplate"}),
    "postgresql-role-configuration": Case(
        lambda **f: with_services(
            service(databases.postgresql_service_type, databases.PostgresqlConfiguration()),
            service(databases.postgresql_role_service_type,
                    databases.PostgresqlRoleConfiguration(location=SPEC, **f))),
        program_data_read("postgresql-roles"),
        {"host": "/run/lispdeploy-sample", "log": "/var/log/lispdeploy-sample.log",
         "shepherd_requirement": ("postgres",)}),
    "mysql-configuration": Case(
        lambda **f: with_services(service(databases.mysql_service_type,
                                          databases.MysqlConfiguration(location=SPEC, **f))),
        both(etc_files_read, manifest_read("packages")),
        {"mysql": "mariadb-server", "bind_address": "127.0.0.77",
         "socket": "/run/mysqld/lispdeploy-sample.sock", "datadir": "/var/lib/lispdeploy-sample",
         "extra_environment": ("LISPDEPLOY_SAMPLE=lispdeploy-sample",)},
        validators_check, {"mysql"}),
    "redis-configuration": Case(
        lambda **f: with_services(service(databases.redis_service_type,
                                          databases.RedisConfiguration(location=SPEC, **f))),
        both(etc_files_read, manifest_read("packages")),
        {"redis": "lispdeploy-sample", "bind": "127.0.0.77",
         "working_directory": "/var/lib/lispdeploy-sample"}),
    "php-fpm-configuration": Case(
        lambda **f: with_services(service(php.php_fpm_service_type,
                                          php.PhpFpmConfiguration(location=SPEC, **f))),
        both(etc_files_read, manifest_read("packages")),
        {"php": "php8.2-fpm", "socket": "/run/lispdeploy-sample.sock",
         "user": "lispdeployuser", "group": "lispdeploygroup",
         "socket_user": "lispdeploysocketuser", "socket_group": "lispdeploysocketgroup",
         "pid_file": "/run/lispdeploy-sample.pid", "log_file": "/var/log/lispdeploy-sample.log",
         "timezone": "Europe/Paris", "workers_log_file": "/var/log/lispdeploy-workers.log"},
        validators_check, {"php", "user", "group", "socket_user", "socket_group", "log_file",
                           "workers_log_file"},
        readers={"php": manifest_read("packages")}),
    "php-fpm-pool-configuration": Case(
        lambda **f: with_services(service(php.php_fpm_service_type, php.PhpFpmConfiguration(
            location=SPEC, pools=(php.PhpFpmPoolConfiguration(location=SPEC, **{
                "name": "app", **f}),)))),
        etc_files_read,
        {"name": "lispdeploysample", "socket": "/run/lispdeploy-sample.sock",
         "user": "lispdeployuser", "group": "lispdeploygroup",
         "socket_user": "lispdeploysocketuser", "socket_group": "lispdeploysocketgroup",
         "settings": (("php_admin_value[memory_limit]", "lispdeploysample"),)},
        validators_check, {"user", "group", "socket_user", "socket_group"}),
    "prometheus-node-exporter-configuration": Case(
        lambda **f: with_services(service(
            monitoring.prometheus_node_exporter_service_type,
            monitoring.PrometheusNodeExporterConfiguration(location=SPEC, **f))),
        both(etc_files_read, manifest_read("packages")),
        {"package": "lispdeploy-sample", "web_listen_address": "127.0.0.77:9177",
         "textfile_directory": "/var/lib/lispdeploy-sample",
         "extra_options": ("--collector.lispdeploysample",)}),
    "log-rotation": Case(
        lambda **f: with_services(service(admin.log_rotation_service_type,
                                          admin.LogRotationConfiguration(location=SPEC, rotations=(
                                              admin.LogRotation(location=SPEC, **{
                                                  "files": ("/var/log/app.log",), **f}),)))),
        etc_files_read,
        {"files": ("/var/log/lispdeploy-sample.log",), "options": ("rotate 77",)},
        validators_check),
    "log-rotation-configuration": Case(
        lambda **f: with_services(service(admin.log_rotation_service_type,
                                          admin.LogRotationConfiguration(location=SPEC, **f))),
        both(etc_files_read, manifest_read("packages")),
        {"provision": ("lispdeploysample",), "requirement": ("user-processes",),
         "calendar_event": "*-*-* 07:07:00",
         "external_log_files": ("/var/log/lispdeploy-sample.log",),
         "logrotate": "lispdeploy-sample"},
        validators_check),
    "rottlog-configuration": Case(
        lambda **f: with_services(service(admin.rottlog_service_type,
                                          admin.RottlogConfiguration(location=SPEC, **f))),
        both(etc_files_read, manifest_read("packages")), {"rottlog": "lispdeploy-sample"}),
    "unattended-upgrade-configuration": Case(
        lambda **f: with_services(service(admin.unattended_upgrade_service_type,
                                          admin.UnattendedUpgradeConfiguration(location=SPEC,
                                                                               **f))),
        both(etc_files_read, manifest_read("packages")),
        {"schedule": "7 7 * * *", "automatic_reboot_time": "07:07",
         "log_file": "/var/log/lispdeploy-sample/unattended-upgrades.log",
         "origins_pattern": ("origin=lispdeploy-sample",),
         "package_blacklist": ("lispdeploy-sample",), "mail": "lispdeploy@example.org",
         "package": "lispdeploy-sample"},
        validators_check),
}
# svc-a's catalogue: apt sources and pins, certbot, special files
CASES["apt-source"] = Case(
    lambda **f: apt_with(sources=(apt.AptSource(location=SPEC, **{
        "name": "sample", "uris": ("http://127.0.0.1/debian",), "suites": ("stable",),
        "components": ("main",), **f}),)),
    apt_files_read,
    {"name": "lispdeploysample", "uris": ("http://127.0.0.1/lispdeploy-sample",),
     "suites": ("lispdeploysample",), "components": ("lispdeploysample",),
     "architectures": ("lispdeploysample",)}, apt_check)
CASES["apt-pin"] = Case(
    lambda **f: apt_with(pins=(apt.AptPin(location=SPEC, **{
        "packages": ("hello",), "pin": "origin example.org", "priority": 700, **f}),)),
    etc_files_read,
    {"pin": "origin lispdeploy-sample.example.org", "explanation": "The lispdeploy sample",
     "packages": ("lispdeploy-sample",)},
    apt_check)
CASES["certbot-configuration"] = Case(
    certbot_with, certbot_read,
    {"package": "lispdeploy-sample", "webroot": "/var/lispdeploy-sample",
     "server_ca_file": "/etc/ssl/lispdeploy-sample.pem"},
    programs_check, readers={"package": manifest_read("packages")})
CASES["certificate-configuration"] = Case(
    lambda **f: certbot_with(certbot.CertificateConfiguration(location=SPEC, **{
        "domains": ("example.org",), "challenge": "dns",
        "authentication_hook": "/usr/local/bin/auth", **f})),
    certbot_read,
    {"name": "lispdeploysample", "domains": ("lispdeploy-sample.example.org",),
     "csr": "/etc/ssl/lispdeploy-sample.csr",
     "authentication_hook": "/usr/local/bin/lispdeploy-sample-auth",
     "cleanup_hook": "/usr/local/bin/lispdeploy-sample-cleanup",
     "deploy_hook": "/usr/local/bin/lispdeploy-sample-deployed", "user": "lispdeployuser"},
    programs_check)
CASES["special-file"] = Case(
    lambda **f: with_services(simple_service("files", sinks.special_files_service_type, (
        sinks.SpecialFile(location=SPEC, **{"path": "/srv/sample",
                                            "file": sinks.GeneratedFile(
                                                name="x", generate=lambda r: "x\n"), **f}),),
        location=SPEC)),
    special_files_read,
    {"path": "/srv/lispdeploy-sample", "user": "lispdeployuser", "group": "lispdeploygroup"})
# crypt's mapped devices: LUKS devices are /etc/crypttab lines
CASES["mapped-device"] = Case(
    lambda **f: with_services(mapped_devices=(guix_system.MappedDevice(location=SPEC, **{
        "source": "/dev/vdb1", "targets": ("home",), "type": guix_system.LUKS, **f}),)),
    both(crypttab_read, manifest_read("mapped-devices")),
    {"source": "/dev/lispdeploy-sample", "targets": ("lispdeploysample",)},
    crypttab_check)
CASES["mapped-device-kind"] = Case(
    lambda **f: with_services(mapped_devices=(guix_system.MappedDevice(
        location=SPEC, source="/dev/vdb1", targets=("home",),
        type=guix_system.LUKS.replace(location=SPEC, **f)),)),
    both(crypttab_read, manifest_read("mapped-devices")),
    {"key_file": "/root/lispdeploy-sample.key"}, crypttab_check)
CASES["unattended-upgrades-configuration"] = Case(
    lambda **f: with_services(service(admin.unattended_upgrade_service_type,
                                      admin.UnattendedUpgradesConfiguration(location=SPEC, **f))),
    CASES["unattended-upgrade-configuration"].read,
    CASES["unattended-upgrade-configuration"].samples, validators_check)
CASES["syslog-configuration"] = Case(
    lambda **f: with_services(service(syslog.syslog_service_type,
                                      syslog.SyslogConfiguration(location=SPEC, **f))),
    both(etc_files_read, manifest_read("packages")),
    {"syslogd": "lispdeploy-sample", "extra_options": ("-lispdeploysample",),
     "modules": ("imuxsock",)},
    validators_check, {"modules"})

# Records whose strings reach no file lispdeploy generates (or reach one only through a
# record above), and why.
NOT_IN_FILES = {
    "host-settings": "built from operating-system's fields (covered there)",
    "service-type": "name and description appear in messages only",
    "service-extension": "no strings",
    "login-configuration": "motd is a file-like",
    "sysctl-configuration": "settings are pairs, covered by test_sysctl_settings_are_one_line",
    "machine-ssh-configuration": "arguments of the controller's SSH client, not a file",
    "container-configuration": "arguments of the container engine, not a file",
    "digital-ocean-configuration": "fields of DigitalOcean API requests (JSON), not a file",
    "bootloader": "a fixed table",
    "uuid": "hexadecimal digits and '-'",
}


def kinded_fields(record: type):
    for field in record.fields:
        kind = kinds.kind_of(field.check)
        if kind is not None and kind is not kinds.raw and takes_strings(field):
            yield field, kind


def test_every_record_with_string_fields_is_in_the_property_test():
    missing = []
    for record in all_records():
        fields = list(kinded_fields(record))
        if not fields or record.record_name in NOT_IN_FILES:
            continue
        case = CASES.get(record.record_name)
        if case is None:
            missing.append(f"{record.record_name} ({record.__module__}): no case")
            continue
        missing += [f"{record.record_name} {field.spec_name}: no sample"
                    for field, _ in fields if field.name not in case.samples]
    assert not missing, ("records whose string fields reach generated files but that the "
                         "property test does not embed (add them to CASES):\n  "
                         + "\n  ".join(missing))


PARAMETERS = [(name, field.name) for name, case in sorted(CASES.items())
              for record in all_records() if record.record_name == name
              for field, _ in kinded_fields(record)]
# Fields holding lists of strings are not found by trying single strings; the two the issue
# found injectable (sshd's AcceptEnv and Subsystem lines) are tried item by item: the first
# string of the sample is replaced.
LIST_FIELDS = [("openssh-configuration", "accepted_environment"),
               ("openssh-configuration", "subsystems")]
PARAMETERS += [p for p in LIST_FIELDS if p not in PARAMETERS]
# The kind of the string tried where the field's check is a function of its own: a
# subsystem's name (its command is one line, refused with a newline by the bad-spec corpus).
ITEM_KINDS = {("openssh-configuration", "subsystems"): kinds.word}


# ---------------------------------------------------------------------------------------------
# The property


def _insert(sample: str, insertions) -> str:
    text = sample
    for position, fragment in sorted(insertions, key=lambda p: -p[0]):
        position = min(position, len(text))
        text = text[:position] + fragment + text[position:]
    return text


def hostile_values(sample: str):
    fragment = st.sampled_from(FRAGMENTS) | st.text(min_size=1, max_size=3)
    return st.lists(st.tuples(st.integers(0, len(sample)), fragment), min_size=1,
                    max_size=3).map(lambda insertions: _insert(sample, insertions))


def _substitute(tree, old: str, new: str):
    if isinstance(tree, str):
        return tree.replace(old, new)
    if isinstance(tree, (list, tuple)):
        return type(tree)(_substitute(t, old, new) for t in tree)
    if isinstance(tree, dict):
        return {k: _substitute(v, old, new) for k, v in tree.items()}
    return tree


def _respecified(tree, old: str, name: str, version: str):
    """`tree` with the package entry named `old` naming `name` at `version`."""
    if isinstance(tree, dict):
        if tree.get("name") == old and "version" in tree:
            return dict(tree, name=name, version=version)
        return {k: _respecified(v, old, name, version) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_respecified(t, old, name, version) for t in tree)
    return tree


def _unordered(tree):
    if isinstance(tree, list) and tree and all(isinstance(t, dict) for t in tree):
        return sorted(json.dumps(t, sort_keys=True) for t in tree)
    if isinstance(tree, list):
        return [_unordered(t) for t in tree]
    return tree


def _joined(tree):
    """A tree with each tuple of strings joined by single spaces."""
    if isinstance(tree, tuple) and all(isinstance(t, str) for t in tree):
        return " ".join(tree)
    if isinstance(tree, (list, tuple)):
        return type(tree)(_joined(t) for t in tree)
    return tree


def _first_string(sample) -> str:
    """The string of a sample that hostile values replace (the first one in it)."""
    if isinstance(sample, str):
        return sample
    for item in sample:
        found = _first_string(item)
        if found is not None:
            return found
    return None


def _replace_first(sample, old: str, new: str):
    done = [False]

    def walk(value):
        if isinstance(value, str):
            if not done[0] and value == old:
                done[0] = True
                return new
            return value
        if isinstance(value, tuple):
            return tuple(walk(v) for v in value)
        return value
    return walk(sample)


def _build(case: Case, field: str, value):
    return build_system(machine(case.embed(**{field: value})))


@pytest.mark.parametrize("record,field", PARAMETERS)
def test_a_value_is_refused_where_it_is_written_or_arrives_exactly(record, field, tmp_path):
    case = CASES[record]
    sample = case.samples[field]
    cls = next(r for r in all_records() if r.record_name == record)
    kind = kinds.kind_of(cls._by_name[field].check) or ITEM_KINDS[(record, field)]
    original = _first_string(sample)
    tmp = str(tmp_path)
    read = case.readers.get(field, case.read)
    expected_tree = read(_build(case, field, sample), tmp)
    assert expected_tree, f"the sample of {record} {field} gives an empty file"

    def attempt(hostile: str):
        _counter["examples"] += 1
        if os.path.exists(CANARY):
            os.unlink(CANARY)
        value = _replace_first(sample, original, hostile)
        try:
            system = _build(case, field, value)
        except LispdeployError as e:
            _counter["refused"] += 1
            assert e.location is not None, f"{hostile!r} refused without a location: {e}"
            return
        _counter["accepted"] += 1
        try:
            tree = read(system, tmp)
        except ReadError as e:
            raise AssertionError(f"{record} {field} = {hostile!r} was accepted, but the file "
                                 f"no longer reads: {e}") from None
        if kind.name == "package-name" and "@" in hostile:
            # NAME@VERSION is a package specification, read as specification->package reads
            # it: the package NAME pinned at VERSION.
            name, _, version = hostile.partition("@")
            expected = _respecified(expected_tree, original, name, version)
        else:
            expected = _substitute(expected_tree, original, kind.normalize(hostile))
        # Manifest sections are sorted by path or name: compare them as sets of entries.
        tree, expected = _unordered(tree), _unordered(expected)
        if kind.name == "words":
            # A field of several words (listen "443 ssl"): the words arrive, as words.
            tree, expected = _joined(tree), _joined(expected)
        assert tree == expected, (
            f"{record} {field} = {hostile!r} was accepted but does not arrive exactly as "
            "given, or changed other directives")
        if case.check is not None and field not in case.host_dependent:
            case.check(system, tmp)
        assert not os.path.exists(CANARY), "a command ran"

    for where, fragment in INJECTIONS:
        position = {"end": len(original), "start": 0, "middle": len(original) // 2}[where]
        attempt(_insert(original, [(position, fragment)]))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(hostile_values(original))
    def property_holds(hostile):
        attempt(hostile)

    property_holds()


def test_sysctl_settings_are_one_line():
    for value in ("1\nkernel.panic = 1", "1\x00", " 1", "1\\", "1\r"):
        with pytest.raises(LispdeployError) as e:
            base.SysctlConfiguration(settings=(("net.ipv4.ip_forward", value),), location=SPEC)
        assert e.value.location == SPEC
    config = base.SysctlConfiguration(settings=(("net.ipv4.tcp_rmem", "4096 87380 6291456"),))
    system = build_system(machine(with_services(service(base.sysctl_service_type, config))))
    assert ini_tree("[x]\n" + etc_text(system, base.SYSCTL_FILE).replace(" = ", "=")) == [
        ("x", "net.ipv4.tcp_rmem", "4096 87380 6291456")]


# ---------------------------------------------------------------------------------------------
# The writers, each read back by its program


_printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30)


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(_printable)
def test_sh_quote_reads_back_in_sh(text):
    result = subprocess.run(["sh", "-c", f"printf '%s' {kinds.sh_quote(text)}"],
                            capture_output=True, timeout=30, env={})
    assert result.stdout.decode("utf-8", "surrogateescape") == text


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_printable)
def test_sshd_word_reads_back_in_sshd(tmp_path, text):
    config = save(str(tmp_path), "sshd_config",
                  f"PidFile {kinds.sshd_word('/run/' + text)}\n")
    result = run([require("/usr/sbin/sshd"), "-T", "-f", config, "-o",
                  f"HostKey={host_key(str(tmp_path))}"])
    checked(result, "sshd -T")
    assert f"pidfile /run/{text}" in result.stdout.splitlines()


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_printable.filter(lambda t: "$" not in t))
def test_nginx_word_reads_back_in_nginx(tmp_path, text):
    conf = (f"events {{}}\nhttp {{ add_header X-Test {kinds.nginx_word(text or 'x')}; }}\n"
            "pid /run/nginx.pid;\n")
    assert nginx_tree(conf)[1][1] == [(("add_header", "X-Test", text or "x"), None)]
    path = save(str(tmp_path), "nginx.conf", conf)
    checked(run([require("/usr/sbin/nginx"), "-t", "-q", "-c", path]), "nginx -t")


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(_printable.filter(lambda t: "${" not in t))
def test_apache_word_reads_back_in_apaches_tokenizer(text):
    assert apache_tree(f"ServerAdmin {kinds.apache_word(text or 'x')}\n") == [
        ("ServerAdmin", text or "x")]


def test_writers_refuse_what_their_file_cannot_hold():
    for writer in (kinds.sh_quote, kinds.sshd_word, kinds.nginx_word, kinds.apache_word,
                   kinds.ini_value):
        with pytest.raises(ValueError):
            writer("a\nb")
    with pytest.raises(ValueError):
        kinds.apache_word("${HOME}")
    with pytest.raises(ValueError):
        kinds.ini_value("ends with \\")


def test_modes_are_octal_and_decimal_looking_ones_get_a_hint():
    assert kinds.mode(0o644) == 0o644 and kinds.mode("0600") == 0o600 and kinds.mode(0) == 0
    assert kinds.mode(0o2775) == 0o2775
    for value, hint in ((644, "#o644"), (755, "#o755"), (600, "#o600"), (4755, "#o4755")):
        with pytest.raises(TypeError, match=hint):
            kinds.mode(value)
    for value in (-1, 0o10000, "rw-r--r--", 6.44, True):
        with pytest.raises(TypeError):
            kinds.mode(value)
