"""System administration (gnu/services/admin.scm): `log-rotation-service-type` (with Guix's
older `rottlog-service-type` and its `log-rotation` records) on Debian's logrotate, and
`unattended-upgrade-service-type` on Debian's unattended-upgrades and apt timers.

Log rotation: /etc/logrotate.d/lispdeploy holds one stanza for the `external-log-files` (the
files other services extend the type with, as in current Guix: `(simple-service 'app-logs
log-rotation-service-type '("/var/log/app.log"))`) and one per `log-rotation` record (given in
`rotations`, or by extensions, as with rottlog). It must pass `logrotate -d` first. Debian's
`logrotate.timer` runs the rotation daily; `calendar-event`, when given, replaces its schedule
(a drop-in). External files rotate at each run once they reach `size-threshold`, compressed as
`compression` says, and are deleted after `expiry` seconds. A record's options are logrotate
directives; rottlog's `storefile @FILENAME.@COMP_EXT` (in %default-log-rotation-options) means
`compress` there, since logrotate names rotated files itself.

Unattended upgrades: Debian upgrades packages, not a system configuration, so Guix's
`operating-system-file`, `operating-system-expression`, `channels`, `services-to-restart` and
`system-expiration` have no counterpart: they are accepted, so that Guix files load, and do
nothing. `schedule` (a crontab time) becomes the schedule of `apt-daily-upgrade.timer`,
`maximum-duration` the time limit of its service, `reboot?` Unattended-Upgrade's
Automatic-Reboot, `log-file` its log (in a directory of its own, as Debian's tool names the
file). The Debian fields (origins, blacklist, mail...) go to
/etc/apt/apt.conf.d/50unattended-upgrades; /etc/apt/apt.conf.d/20auto-upgrades turns the apt
timers' work on. Both must pass `apt-config`.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, List, Optional

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import PlainFile
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.records import Field, Record
from lispdeploy.services import debian, kinds
from lispdeploy.services.core import ServiceExtension, ServiceType
from lispdeploy.services.rendering import Rendering
from lispdeploy.services.sinks import (EtcFile, GeneratedFile, SystemdUnit, etc_service_type,
                                       package_check, profile_service_type,
                                       shepherd_root_service_type)
from lispdeploy.vocabulary import Vocabulary

LOGROTATE_FILE = "logrotate.d/lispdeploy"
LOGROTATE_TIMER = "logrotate.timer"
_LOG_PATH = re.compile(r"^/[A-Za-z0-9_@%+=:,./*?\[\]-]+$")
_FREQUENCIES = ("daily", "weekly", "monthly", "yearly")


_log_path = kinds.within(kinds.absolute_path, lambda text: None if _LOG_PATH.match(text)
                         and "/../" not in text + "/" else "it does not have that form",
                         "absolute file names (globs allowed) without spaces or quotes")
# What services that give their logs to log rotation check their log files with.
log_file_path = _log_path
_directive = kinds.within(kinds.line, lambda text: "it is empty" if not text.strip() else (
    "it holds a brace" if any(c in text for c in "{}") else None),
    "logrotate directives, one line each, such as \"rotate 4\"")


def _seconds(value):
    if isinstance(value, Gexp):
        return value
    number = checks.integer(value)
    if number < 0:
        raise TypeError("a number of seconds")
    return number


# %default-log-rotation-options, as Guix's rottlog names them.
DEFAULT_LOG_ROTATION_OPTIONS = ("storefile @FILENAME.@COMP_EXT", "notifempty")


class LogRotation(Record):
    """Files rotated together: how often, with which logrotate options, and a g-expression
    run after rotating (`post-rotate`)."""

    record_name = "log-rotation"
    fields = (
        Field("files", check=checks.list_of(_log_path, "absolute file names")),
        Field("frequency", "weekly", check=checks.one_of(*_FREQUENCIES)),
        Field("post_rotate", None, check=checks.optional(
            checks.instance_of(Gexp, "a g-expression"))),
        Field("options", DEFAULT_LOG_ROTATION_OPTIONS,
              check=checks.list_of(_directive, "logrotate directives")),
    )


class LogRotationConfiguration(Record):
    """Log rotation, as Guix's `log-rotation-configuration` (see the module docstring)."""

    record_name = "log-rotation-configuration"
    fields = (
        Field("provision", ("log-rotation",), check=checks.list_of(kinds.word, "names"),
              doc="Shepherd's name; the unit is Debian's logrotate.timer"),
        Field("requirement", ("user-processes",), check=checks.list_of(kinds.word,
                                                                       "names")),
        Field("calendar_event", None, check=checks.optional(
            checks.either(checks.instance_of(Gexp, ""), kinds.ini_line,
                          what="a g-expression #~(calendar-event ...) or an OnCalendar= "
                               "string")),
              doc="#f: Debian's daily schedule"),
        Field("external_log_files", (), check=checks.list_of(_log_path, "absolute file names")),
        Field("compression", "zstd", check=checks.one_of("none", "gzip", "zstd")),
        Field("expiry", 3 * 30 * 24 * 3600, check=_seconds, doc="seconds"),
        Field("size_threshold", 8192, check=_seconds, doc="bytes"),
        Field("rotations", (), check=checks.list_of(checks.instance_of(LogRotation, ""),
                                                    "log-rotation records")),
        Field("logrotate", "logrotate", check=package_check),
    )


def _number(value, what: str, config) -> int:
    if isinstance(value, Gexp):
        raise ServiceError(f"log-rotation-configuration: {what} must be a number here",
                           location=value.location or config.location,
                           hint="write it in seconds or bytes, such as 8192")
    return value


def _compression(kind: str) -> List[str]:
    if kind == "zstd":
        return ["compress", "compresscmd /usr/bin/zstd", "compressext .zst",
                "uncompresscmd /usr/bin/unzstd", "compressoptions -q"]
    return ["compress"] if kind == "gzip" else ["nocompress"]


def _stanza(files, directives, post: Optional[str] = None) -> List[str]:
    lines = [" ".join(files) + " {"] + [f"  {d}" for d in directives]
    if post:
        lines += ["  postrotate", f"    {post}", "  endscript"]
    return lines + ["}"]


def _options(options) -> List[str]:
    out = []
    for option in options:
        if option.split()[0] == "storefile":
            option = "compress"
        out.append(option)
    return list(dict.fromkeys(out))


def logrotate_text(config: LogRotationConfiguration, rendering: Rendering) -> str:
    """The text of /etc/logrotate.d/lispdeploy."""
    lines = ["# Generated by lispdeploy from log-rotation-configuration."]
    if config.external_log_files:
        expiry = _number(config.expiry, "expiry", config)
        days = max(1, expiry // 86400)
        lines += _stanza(dict.fromkeys(config.external_log_files), [
            # Whoever writes these files keeps them open: copy, then truncate in place.
            "daily", "missingok", "notifempty", "copytruncate",
            f"minsize {_number(config.size_threshold, 'size-threshold', config)}",
            f"rotate {days}", f"maxage {days}", *_compression(config.compression)])
    for rotation in config.rotations:
        options = _options(rotation.options)
        if "nomissingok" not in options:
            options.insert(0, "missingok")
        post = None
        if rotation.post_rotate is not None:
            post = "/usr/bin/python3 -I " + rendering.program("log-rotation-post-rotate",
                                                            rotation.post_rotate)
        lines += _stanza(rotation.files, [rotation.frequency, *options], post)
    return "\n".join(lines) + "\n"


def _on_calendar(config: LogRotationConfiguration, rendering: Rendering) -> str:
    event = config.calendar_event
    if isinstance(event, Gexp):
        event = rendering.evaluate(event, debian.CALENDAR_HELPERS,
                                   what="the calendar-event of log-rotation")
    if isinstance(event, debian.CalendarEvent):
        return event.on_calendar()
    if isinstance(event, str) and event.strip() and "\n" not in event:
        return event.strip()
    raise ServiceError("log-rotation-configuration: calendar-event gives "
                       f"{type(event).__name__}, not a calendar event",
                       location=config.location,
                       hint="write #~(calendar-event #:hours '(22) #:minutes '(0))")


# Errors that name a line of the file (not "stat of FILE failed": logs may not exist yet).
_LOGROTATE_CHECK = ("/bin/sh", "-c",
                    "out=$(/usr/sbin/logrotate -d \"$1\" 2>&1); "
                    "if printf '%s\\n' \"$out\" | grep -E '^error: .*:[0-9]+ ' >&2; "
                    "then exit 1; fi", "logrotate-check", "{}")


def _logrotate_files(config: LogRotationConfiguration):
    files = [EtcFile(path=LOGROTATE_FILE, location=config.location, validate=_LOGROTATE_CHECK,
                     file=GeneratedFile(name="logrotate-lispdeploy", location=config.location,
                                        generate=lambda r: logrotate_text(config, r)))]
    if config.calendar_event is not None:
        files.append(EtcFile(
            path=debian.drop_in_path(LOGROTATE_TIMER), location=config.location,
            file=GeneratedFile(name="lispdeploy.conf", location=config.location,
                               generate=lambda r: debian.drop_in_text(
                                   "log-rotation-configuration",
                                   (("Timer", [("OnCalendar", ""),
                                               ("OnCalendar", _on_calendar(config, r))]),)))))
    return tuple(files)


def _log_rotation_extend(config: LogRotationConfiguration, extensions):
    files: List[str] = list(config.external_log_files)
    rotations: List[LogRotation] = list(config.rotations)
    for item in extensions:
        if isinstance(item, LogRotation):
            rotations.append(item)
        elif isinstance(item, str):
            files.append(_checked_path(item, config))
        else:
            raise ServiceError("log-rotation-service-type is extended with file names or "
                               f"log-rotation records, not {type(item).__name__}",
                               location=config.location)
    return config.replace(external_log_files=tuple(dict.fromkeys(files)),
                          rotations=tuple(rotations))


def _checked_path(item: str, config) -> str:
    try:
        return _log_path(item)
    except TypeError as e:
        raise ServiceError(f"log-rotation-service-type: '{item}' is not {e}",
                           location=config.location) from None


def _flatten(contributions) -> tuple:
    out: List[Any] = []
    for c in contributions:
        out.extend(c if isinstance(c, (list, tuple)) else (c,))
    return tuple(out)


log_rotation_service_type = ServiceType(
    name="log-rotation",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_logrotate_files),
        ServiceExtension(target=shepherd_root_service_type, compute=lambda c: (SystemdUnit(
            name=LOGROTATE_TIMER, provision=tuple(c.provision), location=c.location,
            watch=tuple(f.path for f in _logrotate_files(c)
                        if f.path != LOGROTATE_FILE)),)),
        ServiceExtension(target=profile_service_type, compute=lambda c: (
            (c.logrotate, "zstd") if c.compression == "zstd" and c.external_log_files
            else (c.logrotate,))),
    ),
    compose=_flatten,
    extend=_log_rotation_extend,
    default_value=LogRotationConfiguration(),
    description="Rotate log files (Debian's logrotate and its timer).")


class RottlogConfiguration(Record):
    """Guix's older `rottlog-configuration`: its rotations, on logrotate."""

    record_name = "rottlog-configuration"
    fields = (
        Field("rottlog", "logrotate", check=package_check),
        Field("rc_file", None, check=checks.anything, doc="rottlog's; not used by logrotate"),
        Field("rotations", None, check=checks.optional(checks.list_of(
            checks.instance_of(LogRotation, ""), "log-rotation records")),
              doc="#f: Guix's default rotations of the syslog files"),
        Field("jobs", None, check=checks.anything, doc="rottlog's mcron jobs; the timer runs "
                                                      "logrotate"),
    )


# Guix's %default-rotations, for Debian's syslog files (rsyslog rotates its own with the
# package's logrotate file, so only what Guix's list adds is here).
DEFAULT_ROTATIONS = (LogRotation(files=("/var/log/mcron.log",), frequency="weekly",
                                 options=("rotate 4",) + DEFAULT_LOG_ROTATION_OPTIONS),)

rottlog_service_type = ServiceType(
    name="rottlog",
    extensions=(ServiceExtension(target=log_rotation_service_type, compute=lambda c: tuple(
        c.rotations if c.rotations is not None else DEFAULT_ROTATIONS)),),
    compose=_flatten,
    extend=lambda config, rotations: config.replace(rotations=tuple(
        config.rotations if config.rotations is not None else DEFAULT_ROTATIONS)
        + tuple(rotations)) if rotations else config,
    default_value=RottlogConfiguration(),
    description="Guix's rottlog service: its log-rotation records, rotated by logrotate.")


# ---------------------------------------------------------------------------------------------
# Unattended upgrades

UU_FILE = "apt/apt.conf.d/50unattended-upgrades"
AUTO_FILE = "apt/apt.conf.d/20auto-upgrades"
UPGRADE_TIMER = "apt-daily-upgrade.timer"
UPGRADE_SERVICE = "apt-daily-upgrade.service"
DEFAULT_ORIGINS = ("origin=Debian,codename=${distro_codename},label=Debian",
                   "origin=Debian,codename=${distro_codename},label=Debian-Security",
                   "origin=Debian,codename=${distro_codename}-security,label=Debian-Security")


_apt_string = kinds.within(kinds.line, lambda text: "it holds a quote, a backslash, a brace "
                           "or ';'" if any(c in text for c in "\"\\{};") else None,
                           "strings without quotes, backslashes, braces, ';' or line breaks")


def _schedule(value) -> str:
    text = checks.string(value)
    try:
        debian.cron_to_calendar(text)
    except debian.TimeError as e:
        raise TypeError(f"a crontab schedule such as \"30 01 * * 0\" ({e})") from None
    return text


_schedule = kinds.refining(_schedule, "a crontab schedule such as \"30 01 * * 0\"")


_reboot_time = kinds.pattern(r"([01][0-9]|2[0-3]):[0-5][0-9]|now",
                             "a time such as \"02:00\", or \"now\"")
_log_file = kinds.within(kinds.absolute_path, lambda text: None if text.endswith(
    "/unattended-upgrades.log") and not any(c in text for c in "\"\\;")
    else "it does not have that form", "a path ending in /unattended-upgrades.log (the name "
    "Debian's unattended-upgrade gives its log)")


class UnattendedUpgradeConfiguration(Record):
    """Unattended upgrades, as Guix's `unattended-upgrade-configuration` where it maps, with
    Debian's settings (see the module docstring)."""

    record_name = "unattended-upgrade-configuration"
    fields = (
        Field("operating_system_file", "/run/current-system/configuration.scm",
              check=checks.anything, doc="Guix only; no effect"),
        Field("operating_system_expression", None, check=checks.anything,
              doc="Guix only; no effect"),
        Field("schedule", "30 01 * * 0", check=_schedule,
              doc="a crontab time: when apt-daily-upgrade.timer runs"),
        Field("channels", None, check=checks.anything, doc="Guix only; no effect"),
        Field("reboot", False, check=checks.boolean, spec_name="reboot?"),
        Field("services_to_restart", ("unattended-upgrade",), check=checks.anything,
              doc="Guix only; Debian's packages restart their own services"),
        Field("system_expiration", 3 * 30 * 24 * 3600, check=checks.anything,
              doc="Guix only; no effect"),
        Field("maximum_duration", 3600, check=lambda v: _positive(v), doc="seconds"),
        Field("log_file", "/var/log/unattended-upgrades/unattended-upgrades.log",
              check=_log_file),
        Field("origins_pattern", DEFAULT_ORIGINS, check=checks.list_of(
            _apt_string, "origin patterns such as \"origin=Debian,label=Debian-Security\"")),
        Field("package_blacklist", (), check=checks.list_of(_apt_string, "package names or "
                                                                          "patterns")),
        Field("remove_unused_dependencies", False, check=checks.boolean,
              spec_name="remove-unused-dependencies?"),
        Field("automatic_reboot_time", "02:00", check=_reboot_time),
        Field("mail", None, check=checks.optional(_apt_string), doc="who gets reports, or #f"),
        Field("update_package_lists", True, check=checks.boolean,
              spec_name="update-package-lists?"),
        Field("extra_content", "", check=kinds.raw, doc="more apt.conf lines"),
        Field("package", "unattended-upgrades", check=package_check),
    )


def _positive(value) -> int:
    number = checks.integer(value)
    if number <= 0:
        raise TypeError("a number of seconds (more than 0)")
    return number


class UnattendedUpgradesConfiguration(UnattendedUpgradeConfiguration):
    """The same record under the name Debian's package suggests."""

    record_name = "unattended-upgrades-configuration"


def _apt_list(name: str, values) -> List[str]:
    return [f"{name} {{"] + [f"  \"{v}\";" for v in values] + ["};"]


def unattended_upgrades_text(config: UnattendedUpgradeConfiguration) -> str:
    """The text of /etc/apt/apt.conf.d/50unattended-upgrades."""
    yes = {True: "\"true\"", False: "\"false\""}
    lines = ["// Generated by lispdeploy from unattended-upgrade-configuration."]
    lines += _apt_list("Unattended-Upgrade::Origins-Pattern", config.origins_pattern)
    lines += _apt_list("Unattended-Upgrade::Package-Blacklist", config.package_blacklist)
    lines += [
        f"Unattended-Upgrade::Remove-Unused-Dependencies "
        f"{yes[config.remove_unused_dependencies]};",
        f"Unattended-Upgrade::Automatic-Reboot {yes[config.reboot]};",
        f"Unattended-Upgrade::Automatic-Reboot-Time \"{config.automatic_reboot_time}\";",
        f"Unattended-Upgrade::LogDir \"{posixpath.dirname(config.log_file)}\";"]
    if config.mail:
        lines.append(f"Unattended-Upgrade::Mail \"{config.mail}\";")
    text = "\n".join(lines) + "\n"
    if config.extra_content:
        text += config.extra_content.rstrip("\n") + "\n"
    return text


def auto_upgrades_text(config: UnattendedUpgradeConfiguration) -> str:
    """The text of /etc/apt/apt.conf.d/20auto-upgrades."""
    return ("// Generated by lispdeploy from unattended-upgrade-configuration.\n"
            f"APT::Periodic::Update-Package-Lists \"{1 if config.update_package_lists else 0}\";"
            "\nAPT::Periodic::Unattended-Upgrade \"1\";\n")


_APT_CHECK = ("/bin/sh", "-c", "exec /usr/bin/apt-config -c \"$1\" dump >/dev/null", "apt-check",
              "{}")


def _upgrade_files(config: UnattendedUpgradeConfiguration):
    where = dict(location=config.location)
    calendar = debian.cron_to_calendar(config.schedule)
    return (
        EtcFile(path=UU_FILE, validate=_APT_CHECK, file=PlainFile(
            name="50unattended-upgrades", content=unattended_upgrades_text(config), **where),
            **where),
        EtcFile(path=AUTO_FILE, validate=_APT_CHECK, file=PlainFile(
            name="20auto-upgrades", content=auto_upgrades_text(config), **where), **where),
        EtcFile(path=debian.drop_in_path(UPGRADE_TIMER), file=PlainFile(
            name="lispdeploy.conf", content=debian.drop_in_text(
                "unattended-upgrade-configuration",
                (("Timer", [("OnCalendar", ""), ("OnCalendar", calendar),
                            ("RandomizedDelaySec", "0")]),)), **where), **where),
        EtcFile(path=debian.drop_in_path(UPGRADE_SERVICE), file=PlainFile(
            name="lispdeploy.conf", content=debian.drop_in_text(
                "unattended-upgrade-configuration",
                (("Service", [("TimeoutStartSec", str(config.maximum_duration))]),)),
            **where), **where),
    )


def _upgrade_units(config: UnattendedUpgradeConfiguration):
    where = dict(location=config.location)
    # The timers' services run when the timers fire, never at activation; they come first,
    # so that they are unmasked (container hosts mask them) before their timers start.
    return (
        SystemdUnit(name="apt-daily.service", enable=False, start=False, **where),
        SystemdUnit(name=UPGRADE_SERVICE, enable=False, start=False, **where),
        SystemdUnit(name="apt-daily.timer", **where),
        SystemdUnit(name=UPGRADE_TIMER, watch=(debian.drop_in_path(UPGRADE_TIMER),),
                    provision=("unattended-upgrade",), **where),
    )


unattended_upgrade_service_type = ServiceType(
    name="unattended-upgrade",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_upgrade_files),
        ServiceExtension(target=shepherd_root_service_type, compute=_upgrade_units),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.package,)),
    ),
    default_value=UnattendedUpgradeConfiguration(),
    description="Upgrade packages unattended (Debian's unattended-upgrades and apt timers).")


SPEC_VOCABULARY = (Vocabulary(
    records=(LogRotation, LogRotationConfiguration, RottlogConfiguration,
             UnattendedUpgradeConfiguration, UnattendedUpgradesConfiguration),
    values={"log-rotation-service-type": log_rotation_service_type,
            "rottlog-service-type": rottlog_service_type,
            "%default-log-rotation-options": DEFAULT_LOG_ROTATION_OPTIONS,
            "%default-rotations": DEFAULT_ROTATIONS,
            "unattended-upgrade-service-type": unattended_upgrade_service_type,
            "unattended-upgrades-service-type": unattended_upgrade_service_type},
    modules=(("gnu", "services", "admin"),),
),)
