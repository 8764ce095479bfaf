"""The sinks every system has, and the records they collect.

Every service ultimately extends one of these, and they all extend the root,
`system-service-type`, whose value is a dictionary of entries (one per sink):

    host-settings-service-type  "host"        host name, time zone, locale, keyboard layout
    etc-service-type            "etc"         files under /etc: (path file-like) pairs or
                                              `etc-file` records (mode, owner, validation)
    account-service-type        "accounts"    user-account and user-group records
    activation-service-type     "activation"  g-expressions run, in order, on activation
    shepherd-root-service-type  "units"       daemons: `shepherd-service` records (turned into
                                              systemd units) and `systemd-unit` records
    profile-service-type        "packages"    packages for the host's package manager
    special-files-service-type  "files"       files and directories anywhere else: (path
                                              file-like) pairs or `special-file` records

The sinks have default values, so folding instantiates any that a list of services leaves
out; `system.essential` gives each its operating system's share (users, sudoers, packages).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Callable, Optional

from lispdeploy import checks
from lispdeploy.errors import SpecError
from lispdeploy.services import kinds
from lispdeploy.gexp.files import FileLike, SecretFile, file_like_check, store_name
from lispdeploy.gexp.gexp import PLACEHOLDER_PREFIX, Gexp
from lispdeploy.records import Field, Record, Thunk
from lispdeploy.services.core import ServiceExtension, ServiceType, simple_service

UNIT_SUFFIXES = (".service", ".socket", ".timer", ".target", ".path", ".mount", ".slice")


def _merge_system(_value, contributions):
    merged = {}
    for name, value in contributions:
        merged[name] = tuple(merged.get(name, ())) + tuple(value)
    return merged


system_service_type = ServiceType(
    name="system",
    compose=list,
    extend=_merge_system,
    default_value={},
    description="The root of the service graph: what one system generation consists of.")


def _flatten(contributions) -> tuple:
    """Concatenate list contributions; anything else is kept as it is, for the system build
    to reject with the service that gave it."""
    return tuple(item for c in contributions
                 for item in (c if isinstance(c, (list, tuple)) else (c,)))


def _sink(name: str, entry: str, description: str) -> ServiceType:
    return ServiceType(
        name=name,
        extensions=(ServiceExtension(target=system_service_type,
                                     compute=lambda value, entry=entry: (entry, value)),),
        compose=_flatten,
        extend=lambda value, extra: tuple(value) + tuple(extra),
        default_value=(),
        description=description)


etc_service_type = _sink("etc", "etc", "Files under /etc, as (path file-like) pairs or "
                                       "etc-file records.")
account_service_type = _sink("account", "accounts", "User accounts and groups.")
activation_service_type = ServiceType(
    name="activation",
    extensions=(ServiceExtension(target=system_service_type,
                                 compute=lambda value: ("activation", value)),),
    # As in Guix, each extension gives one g-expression; a list of them is accepted too.
    compose=_flatten,
    extend=lambda value, extra: tuple(value) + tuple(extra),
    default_value=(),
    description="G-expressions run, in order, when a generation is activated.")
shepherd_root_service_type = _sink("shepherd-root", "units",
                                   "Daemons: shepherd-service records, run as systemd units, "
                                   "and systemd-unit records.")
profile_service_type = _sink("profile", "packages",
                             "Packages installed with the host's package manager.")
# Guix System's own special files (its %base-services gives them); on Debian they are dpkg's,
# and a spec written for Guix System must not replace the host's shell.
DEBIAN_SPECIAL_FILES = ("/bin/sh", "/usr/bin/env")
special_files_service_type = _sink("special-files", "files",
                                   "Files and whole directories at paths outside /etc, as "
                                   "(PATH FILE-LIKE) pairs or special-file records.")


# ---------------------------------------------------------------------------------------------
# Host settings


class HostSettings(Record):
    """The host-level settings of an operating system, as the deploy applies them."""

    record_name = "host-settings"
    fields = (
        Field("host_name", check=kinds.word),
        Field("timezone", check=kinds.timezone),
        Field("locale", check=kinds.locale_name),
        Field("keyboard_layout", None, check=checks.anything),
    )


host_settings_service_type = ServiceType(
    name="host-settings",
    extensions=(ServiceExtension(target=system_service_type,
                                 compute=lambda settings: ("host", (settings,))),),
    description="The host name, time zone, locale and keyboard layout of the system.")


# ---------------------------------------------------------------------------------------------
# /etc files

_ETC_PATH = re.compile(r"^[A-Za-z0-9_+@%=,.:-][A-Za-z0-9_+@%=,.:/-]*$")

# /etc files no service may write: a mistake in them locks everyone out, and lispdeploy
# changes them only through the tools that keep them consistent (useradd, visudo).
ACCOUNT_DATABASES = frozenset(("passwd", "shadow", "group", "gshadow", "passwd-", "shadow-",
                               "group-", "gshadow-", "subuid", "subgid", "subuid-", "subgid-",
                               ".pwd.lock"))
# The operating-system record's own files: given by its fields, never by a service.
OPERATING_SYSTEM_FILES = {"sudoers": "use the operating-system's (sudoers-file ...) field"}
# Directories of every Debian host, which an /etc *file* would replace.
ETC_DIRECTORIES = frozenset((
    "alternatives", "apt", "apt/apt.conf.d", "apt/sources.list.d", "apt/preferences.d",
    "apt/trusted.gpg.d", "cron.d", "cron.daily", "cron.hourly", "cron.monthly", "cron.weekly",
    "default", "dpkg", "init.d", "ld.so.conf.d", "logrotate.d", "modprobe.d", "network",
    "pam.d", "profile.d", "security", "skel", "ssh", "ssh/sshd_config.d", "ssl", "ssl/certs",
    "ssl/private", "sudoers.d", "sysctl.d", "systemd", "systemd/system", "systemd/network",
    "systemd/journald.conf.d", "tmpfiles.d", "udev", "udev/rules.d", "X11", "xdg"))


_ETC_WHAT = "a path under /etc such as \"ssh/sshd_config\""


def _etc_normal(text: str) -> str:
    if text.startswith("/etc/"):
        text = text[len("/etc/"):]
    return posixpath.normpath(text) if text else ""


def _etc_path_problem(text: str) -> Optional[str]:
    problem = kinds.line._test(text)
    if problem:
        return problem
    relative = text[len("/etc/"):] if text.startswith("/etc/") else text
    normal = _etc_normal(text)
    if (not relative or relative.startswith("/") or normal != relative.rstrip("/")
            or normal == "." or normal.startswith("..")):
        return "it is not a normalized path inside /etc"
    if not _ETC_PATH.match(normal):
        return "it holds a character other than letters, digits and '_+@%=,.:-/'"
    return None


def _service_path_problem(text: str) -> Optional[str]:
    problem = _etc_path_problem(text)
    if problem:
        return problem
    normal = _etc_normal(text)
    if normal in ACCOUNT_DATABASES:
        return (f"/etc/{normal} is an account database, written by useradd and groupadd from "
                "the operating-system's users and groups")
    if normal in OPERATING_SYSTEM_FILES:
        return f"/etc/{normal} is the operating system's own: {OPERATING_SYSTEM_FILES[normal]}"
    if normal in ETC_DIRECTORIES:
        return f"/etc/{normal} is a directory"
    return None


# A path under /etc, given relative to it ("ssh/sshd_config") or absolute, that a service
# may write: not an account database, not the operating system's own files, not a directory
# every host has. Stored relative to /etc.
etc_path = kinds.FieldKind("etc-path", _ETC_WHAT, _service_path_problem, normalize=_etc_normal,
                           doc="A file under /etc a service may write.")


_mode = kinds.mode


def _validate_command(value):
    argv = checks.list_of(kinds.line, "strings")(value)
    if not argv or "{}" not in argv:
        raise TypeError("a command as a list of strings, with \"{}\" standing for the file")
    return argv


class EtcFile(Record):
    """A file under /etc: which file-like it holds, with what mode and owner, and the command
    (with `{}` for the new file) that must accept it on the host: before the deploy changes
    anything (unless `validate-early?` is #f), and before its daemon reads it."""

    record_name = "etc-file"
    fields = (
        Field("path", check=etc_path, doc="relative to /etc, e.g. \"ssh/sshd_config\""),
        Field("file", check=file_like_check),
        Field("mode", Thunk(lambda f: 0o600 if isinstance(f.file, SecretFile) else 0o644),
              check=_mode, doc="#o644, or #o600 for a secret-file"),
        Field("user", "root", check=kinds.account_name),
        Field("group", "root", check=kinds.account_name),
        Field("validate", None, check=checks.optional(_validate_command),
              doc="e.g. (\"/usr/sbin/visudo\" \"-c\" \"-f\" \"{}\"), or #f"),
        Field("validate_early", True, check=checks.boolean, spec_name="validate-early?",
              doc="also check it before the deploy changes anything; #f for a file that "
                  "names what the activation program makes (a first certificate)"),
    )

    def _validate(self):
        if isinstance(self.file, SecretFile) and self.validate is not None:
            raise SpecError(f"etc-file /etc/{self.path}: a secret-file cannot be validated "
                            "before it is put in place (the check would need a copy of it on "
                            "the host)", location=self.location,
                            hint="drop (validate ...), or keep the secret in a file of its "
                                 "own that the validated configuration includes")


def _own_path_problem(text: str) -> Optional[str]:
    if _etc_normal(text) in OPERATING_SYSTEM_FILES:
        return _etc_path_problem(text)
    return _service_path_problem(text)


_own_path = kinds.FieldKind("etc-path", _ETC_WHAT, _own_path_problem, normalize=_etc_normal)


class OperatingSystemEtcFile(EtcFile):
    """An /etc file the operating-system record gives itself (/etc/sudoers from its
    `sudoers-file` field): the one way to write those paths."""

    fields = tuple(Field("path", check=_own_path, doc=f.doc) if f.name == "path" else f
                   for f in EtcFile.fields)


def etc_file_check(value, location=None) -> EtcFile:
    """An etc-file record, or Guix's `(PATH FILE-LIKE)` pair, as an etc-file record."""
    if isinstance(value, EtcFile):
        return value
    if (isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], FileLike)):
        return EtcFile(path=value[0], file=value[1], location=location)
    raise SpecError("etc-service-type expects (PATH FILE-LIKE) pairs or etc-file records, got "
                    f"{_glimpse(value)}", location=location,
                    hint="e.g. (list \"motd\" (plain-file \"motd\" \"Welcome!\\n\"))")


def _glimpse(value) -> str:
    from lispdeploy.records import describe_value
    return describe_value(value)


# ---------------------------------------------------------------------------------------------
# Files anywhere

# Directories of the file system's hierarchy itself: a special file may go inside them, never
# replace one (a directory at /usr would take the system's place).
_HIERARCHY = frozenset(["/"] + [f"/{d}" for d in (
    "bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "media", "mnt",
    "opt", "proc", "root", "run", "sbin", "srv", "sys", "tmp", "usr", "var")]
    + [f"/usr/{d}" for d in ("bin", "games", "include", "lib", "lib32", "lib64", "libexec",
                               "libx32", "local", "sbin", "share", "src")]
    + [f"/usr/local/{d}" for d in ("bin", "etc", "games", "include", "lib", "man", "sbin",
                                     "share", "src")]
    + [f"/var/{d}" for d in ("backups", "cache", "lib", "local", "lock", "log", "mail", "opt",
                               "run", "spool", "tmp")])
# Virtual file systems (their content is the kernel's or gone at boot) and lispdeploy's own.
_REFUSED_TREES = ("/proc", "/sys", "/dev", "/run", "/var/run", "/var/lib/lispdeploy")
_SPECIAL_PATH = re.compile(r"^/[A-Za-z0-9_+@%=,.:/-]+$")


_SPECIAL_HINT = ("a special file goes inside a directory of its own, e.g. \"/srv/www/site\", "
                 "\"/opt/app/app.conf\" or \"/usr/local/bin/tool\"")


def _refusal(what: str, reason: str) -> TypeError:
    error = checks.refusal(what, reason)
    error.hint = _SPECIAL_HINT  # shown under the located error (records._field_error)
    return error


def _special_path(value) -> str:
    """An absolute path where a special file may go (see _HIERARCHY and _REFUSED_TREES)."""
    text = checks.string(value)
    normal = posixpath.normpath(text) if text.startswith("/") else ""
    if not normal or normal != text.rstrip("/") or not _SPECIAL_PATH.match(normal) \
            or normal.startswith("//"):
        raise _refusal("an absolute path such as \"/srv/www/site\"",
                       "it does not have that form")
    for tree in _REFUSED_TREES:
        if normal == tree or normal.startswith(tree + "/"):
            why = ("lispdeploy's own directory" if tree == "/var/lib/lispdeploy"
                   else "a virtual file system, rebuilt at each boot")
            raise _refusal(f"a path outside {tree} ({why})", f"it is under {tree}")
    if normal in _HIERARCHY:
        raise _refusal(f"a path inside {normal}, not {normal} itself (a directory of the "
                       "system's hierarchy)", f"it is {normal} itself")
    return normal


def _special_path_problem(text: str) -> Optional[str]:
    problem = kinds.word._test(text)
    if problem:
        return problem
    try:
        _special_path(text)
    except TypeError as e:
        return f"it must be {e}"
    return None


class _SpecialPath(kinds.FieldKind):
    """The kind of special files' paths: a refused path says which rule it breaks, directly
    ("expects a path outside /run (...)"), with a hint."""

    __slots__ = ()

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(self.what)
        problem = kinds.word._test(value)
        if problem:
            raise checks.refusal(f"{self.what} ({problem})", problem)
        return _special_path(value)


_SPECIAL_WHAT = "an absolute path such as \"/srv/www/site\", outside /proc, /sys, /dev, /run"
# An absolute path where a special file may go, normalized ("/srv/www/" is "/srv/www").
special_path = _SpecialPath("special-path", _SPECIAL_WHAT, _special_path_problem,
                            normalize=posixpath.normpath,
                            doc="A path outside /etc a special file may take.")


class SpecialFile(Record):
    """A file, or a whole directory (`(local-file "site" #:recursive? #t)`), at any path
    outside /etc: with what owner, group and mode. A directory's mode applies to it and the
    directories in it; the files in it are 0644, or 0755 when executable."""

    record_name = "special-file"
    fields = (
        Field("path", check=special_path, doc="absolute, e.g. \"/srv/www/site\""),
        Field("file", check=file_like_check),
        Field("mode", None, check=checks.optional(_mode),
              doc="#f: 0755 for a directory or an executable, 0644 otherwise"),
        Field("user", "root", check=kinds.account_name),
        Field("group", "root", check=kinds.account_name),
    )


def special_file_check(value, location=None) -> SpecialFile:
    """A special-file record, or Guix's `(PATH FILE-LIKE)` pair, as a special-file record."""
    if isinstance(value, SpecialFile):
        return value
    if (isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], FileLike)):
        return SpecialFile(path=value[0], file=value[1], location=location)
    if (isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], str)):
        raise SpecError(f"special-files-service-type: {value[0]} would be a link to {value[1]}, "
                        "a file on the host (a package's file-append): lispdeploy places copies "
                        "of file-likes, not links", location=location,
                        hint="give a file-like (local-file, plain-file, program-file), or make "
                             "the link in an activation g-expression")
    raise SpecError("special-files-service-type expects (PATH FILE-LIKE) pairs or special-file "
                    f"records, got {_glimpse(value)}", location=location,
                    hint="e.g. (list \"/srv/www/site\" (local-file \"site\" #:recursive? #t))")


def special_file_path(value):
    """The path a special-files declaration names, or None if it names none."""
    if isinstance(value, SpecialFile):
        return value.path
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], str):
        return value[0]
    return None


def extra_special_file(path, file, *, location=None):
    """Guix's `(extra-special-file PATH FILE-LIKE)`: a service placing one special file."""
    record = SpecialFile(path=path, file=file, location=location) \
        if not isinstance(file, SpecialFile) else file
    return simple_service(f"special-file-{record.path}", special_files_service_type,
                          (record,), location=location)


# ---------------------------------------------------------------------------------------------
# systemd units


provision_name = kinds.pattern(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}",
                                "names (symbols) made of letters, digits and '-_.+'",
                                name="provision")


# A systemd unit name with its suffix, e.g. "apache2.service".
unit_name = kinds.pattern(r"[A-Za-z0-9:_.\\@-]+(" + "|".join(
    re.escape(suffix) for suffix in UNIT_SUFFIXES) + ")",
    "a systemd unit name such as \"my-daemon.service\"", name="unit-name")


def _outside_etc(text: str) -> bool:
    return text.startswith("/") and not text.startswith("/etc/")


# A file a unit watches: under /etc (relative to it, as etc-file paths), or a special file's
# absolute path.
_watched = kinds.FieldKind(
    "watched-path", "a path under /etc such as \"ssh/sshd_config\", or a special file's "
    "absolute path", lambda text: _special_path_problem(text) if _outside_etc(text)
    else _etc_path_problem(text),
    normalize=lambda text: posixpath.normpath(text) if _outside_etc(text) else _etc_normal(text))


class SystemdUnit(Record):
    """A systemd unit of the system: a unit file lispdeploy installs under
    /etc/systemd/system, or (`file` #f) the unit a package installs. `watch` lists /etc
    paths whose change restarts the unit, `reload` those whose change only reloads it
    (`systemctl reload`, for daemons that read their configuration again on request: nginx,
    sshd), `packages` the packages whose installation or upgrade restarts it (the package
    that runs it, usually)."""

    record_name = "systemd-unit"
    fields = (
        Field("name", check=unit_name),
        Field("file", None, check=checks.optional(file_like_check),
              doc="the unit file, or #f for the unit a Debian package installs"),
        Field("enable", True, check=checks.boolean, spec_name="enable?"),
        Field("start", True, check=checks.boolean, spec_name="start?"),
        Field("watch", (), check=checks.list_of(_watched, "paths of files the system declares")),
        Field("reload", (), check=checks.list_of(_watched, "paths of files the system declares"),
              doc="files whose change reloads the unit instead of restarting it"),
        Field("provision", (), check=checks.list_of(provision_name, "names"),
              doc="names a shepherd-service may require this unit by, e.g. (ssh-daemon)"),
        Field("packages", (), check=checks.list_of(lambda v: package_check(v), "packages"),
              doc="packages whose installation or upgrade restarts the unit"),
    )

    @property
    def package_names(self) -> tuple:
        """The names of `packages` (given as strings or package records)."""
        return tuple(p if isinstance(p, str) else p.name for p in self.packages)


# ---------------------------------------------------------------------------------------------
# Packages


# A package given by name, as specification->package takes it: "vim" or "vim@2:9.0".
package_specification = kinds.pattern(r"[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(@[0-9A-Za-z.+~:-]+)?",
                                      "a package name such as \"openssh-server\"",
                                      name="package-name")


def package_check(value):
    """A package for the profile sink: a name string, or a package record (the system layer
    defines it; services only pass it on)."""
    if getattr(value, "record_name", None) == "package":
        return value
    if isinstance(value, str):
        try:
            return package_specification(value)
        except TypeError as e:
            raise TypeError(f"a package ({e})") from None
    raise TypeError("a package (a name string or (specification->package \"name\"))")


package_check.inner = package_specification


# ---------------------------------------------------------------------------------------------
# Files generated at build time


class GeneratedFile(FileLike):
    """A file whose text is made when the system is built, by `generate(rendering)`: for
    configuration that depends on the host (its listen address) or embeds what other items
    become on the host (see `services.rendering`)."""

    record_name = "generated-file"
    fields = (
        Field("name", check=store_name),
        Field("generate", check=checks.procedure,
              doc="rendering -> str or bytes"),
    )


def generated_etc_file(path: str, name: str, text: Callable[[Any], str],
                       when: Callable[[Any], bool] = lambda config: True) -> Callable:
    """The compute procedure of an etc-service-type extension: the file at `path` (under
    /etc), named `name` in the store, whose content `text(config)` makes at build time; no
    file when `when(config)` is false."""
    def compute(config):
        if not when(config):
            return ()
        return (EtcFile(path=path, location=config.location, file=GeneratedFile(
            name=name, location=config.location, generate=lambda _rendering: text(config))),)
    return compute


SINKS = (etc_service_type, account_service_type, activation_service_type,
         shepherd_root_service_type, profile_service_type, special_files_service_type)


def directories_activation(paths, *, location=None) -> Gexp:
    """An activation g-expression that creates each of `paths` (with parents) if missing."""
    paths = tuple(paths)
    lines = ["import os"]
    lines += [f"os.makedirs({PLACEHOLDER_PREFIX}{i}, exist_ok=True)" for i in range(len(paths))]
    lines.append("return None")
    return Gexp(source="\n".join(lines) + "\n", references=paths, location=location)
