"""`shepherd-service` records, and how each becomes a systemd unit on a Debian-like host.

Guix runs daemons under the Shepherd; ordinary hosts run systemd. A `shepherd-service` given
to `shepherd-root-service-type` becomes `/etc/systemd/system/<first provision>.service`:

    provision        unit name (first), Alias= for the others
    requirement      Requires= and After= (Wants= for targets such as network-online.target)
    start            ExecStart=, Type=, User=, PIDFile=, ... (see below)
    stop             KillSignal= (make-kill-destructor) or ExecStop= (make-system-destructor)
    respawn?         Restart=always; respawn-limit and respawn-delay map to the start limit
                     and RestartSec=
    one-shot?        Type=oneshot with RemainAfterExit=yes
    auto-start?      enabled and started by the deploy, or installed only
    documentation    Description=

`start` is either a list (the program's absolute path, then its arguments; file-likes become
store paths) or, as in Guix, a g-expression evaluated on the controller (`services.staged`)
with these procedures: `make-forkexec-constructor` (argv, #:user #:group
#:supplementary-groups #:pid-file #:log-file #:directory #:environment-variables
#:file-creation-mask), `make-system-constructor` (a shell command), `const`. A pid file means
the program forks (Type=forking); without one it stays in the foreground (Type=simple).
`stop` is #f, or a gexp using `make-kill-destructor` ([SIGNAL] #:grace-period) or
`make-system-destructor`.

A `start` of `make-timer-constructor` (or a service made by `shepherd-timer`) is a timer: it
becomes `<name>.timer` and the `<name>.service` it starts, declared together (see
`services.timers`).
"""

from __future__ import annotations

import re
import signal as signals
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileLike
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds
from lispdeploy.services.core import ServiceExtension, ServiceType
from lispdeploy.services.rendering import Rendering
from lispdeploy.services.sinks import (GeneratedFile, SystemdUnit, shepherd_root_service_type)
from lispdeploy.services.timers import (SHEPHERD_TRIGGER_ACTION, TIMER_HELPERS, CalendarEvent,
                                        Command, ShepherdAction, Timer,
                                        cron_string_to_calendar_event,
                                        shepherd_configuration_action)
from lispdeploy.vocabulary import Vocabulary

# Shepherd provisions of Guix System itself, as the systemd units that play their part on a
# Debian host (None: always satisfied there).
SYSTEM_PROVISIONS: Dict[str, Optional[str]] = {
    "networking": "network-online.target",
    "loopback": None,
    "user-processes": None,
    "file-systems": "local-fs.target",
    "root-file-system": None,
    "user-file-systems": "local-fs.target",
    "syslogd": "systemd-journald.socket",
    "udev": "systemd-udevd.service",
    "host-name": None,
    "term-tty1": None,
}

_PROVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _provision(value):
    name = checks.string(value)
    if not _PROVISION.match(name) or len(name) > 200:
        raise TypeError("names (symbols) made of letters, digits and '-_.+'")
    return name


class TimerStart:
    """The start of a service made by `shepherd-timer`: its schedule and command."""

    def __init__(self, event: CalendarEvent, argv: Any):
        self.event = event
        self.argv = argv


def _start_check(value):
    if value is None or isinstance(value, (Gexp, TimerStart)):
        return value
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (str, FileLike)) for v in value):
        return tuple(value)
    raise TypeError("a g-expression #~(make-forkexec-constructor ...) or a command as a list "
                    "of strings")


def _respawn_limit(value):
    if value is None or value is False:
        return None
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        return tuple(value)
    raise TypeError("#f or (TIMES SECONDS), e.g. '(5 10)")


def _seconds(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return value
    raise TypeError("seconds")


class ShepherdService(Record):
    """A daemon: Guix's `shepherd-service`, run as a systemd unit (see the module docstring)."""

    record_name = "shepherd-service"
    fields = (
        Field("provision", check=checks.list_of(_provision, "names")),
        Field("requirement", (), check=checks.list_of(_provision, "names")),
        Field("one_shot", False, check=checks.boolean, spec_name="one-shot?"),
        Field("respawn", True, check=checks.boolean, spec_name="respawn?"),
        Field("respawn_limit", None, check=_respawn_limit),
        Field("respawn_delay", None, check=checks.optional(_seconds, "seconds")),
        Field("start", None, check=_start_check,
              doc="#~(make-forkexec-constructor (list \"/usr/bin/x\" ...)) or a list"),
        Field("stop", None, check=checks.optional(
            checks.instance_of(Gexp, "a g-expression such as #~(make-kill-destructor)"))),
        Field("actions", (), check=checks.list_of(checks.anything, "actions")),
        Field("auto_start", True, check=checks.boolean, spec_name="auto-start?"),
        Field("modules", (), check=checks.anything,
              doc="Guile modules for the gexps; accepted and not needed"),
        Field("documentation", "", check=kinds.prose,
              doc="the unit's Description=, on one line"),
    )

    def _validate(self):
        if not self.provision:
            raise ServiceError("shepherd-service: 'provision' needs at least one name",
                               location=self.location, hint="e.g. (provision '(my-daemon))")
        if any(not isinstance(a, ShepherdAction) for a in self.actions):
            raise ServiceError(f"shepherd-service '{self.provision[0]}': custom actions have no "
                               "systemd counterpart", location=self.location,
                               hint="keep only shepherd-trigger-action and "
                                    "shepherd-configuration-action; run other commands with "
                                    "lispdeploy deploy -x")

    @property
    def unit_name(self) -> str:
        """The systemd unit this service becomes."""
        return f"{self.provision[0]}.service"


def shepherd_timer(provision, schedule, command, *, requirement=(),
                   documentation="Periodically run a command.", location=None
                   ) -> ShepherdService:
    """Guix's `(shepherd-timer PROVISION SCHEDULE COMMAND #:requirement #:documentation)`:
    a service running COMMAND (a list: program, then arguments; or a g-expression giving
    one) at SCHEDULE (a cron string or a `calendar-event`)."""
    if not isinstance(schedule, CalendarEvent):
        try:
            schedule = cron_string_to_calendar_event(schedule)
        except TypeError as e:
            raise ServiceError(f"shepherd-timer: {e}", location=location,
                               hint="e.g. \"0 3 * * *\" (each day at 03:00), or "
                                    "(calendar-event #:hours '(3) #:minutes '(0))") from None
    if not (isinstance(command, Gexp) or (isinstance(command, (list, tuple)) and command)):
        raise ServiceError("shepherd-timer: the command is a list (the program, then its "
                           "arguments) or a g-expression giving one", location=location,
                           hint="e.g. (list \"/usr/bin/updatedb\")")
    return ShepherdService(provision=provision, requirement=requirement,
                           start=TimerStart(schedule, command), documentation=documentation,
                           actions=(SHEPHERD_TRIGGER_ACTION,), location=location)


def shepherd_service_type(name, proc, description="", *, location=None) -> ServiceType:
    """`(shepherd-service-type NAME PROC [DESCRIPTION])`: a service type whose value PROC
    turns into one shepherd-service."""
    return ServiceType(
        name=str(name),
        extensions=(ServiceExtension(target=shepherd_root_service_type,
                                     compute=lambda value: (proc(value),)),),
        description=description or f"Run the {name} daemon.", location=location)


# ---------------------------------------------------------------------------------------------
# What a start or stop g-expression describes


class Start:
    """What `start` asks for: a program to run (argv) or a shell command, and how."""

    def __init__(self, kind: str, command: Sequence[str] = (), **options: Any):
        self.kind = kind          # "forkexec", "system" or "const"
        self.command = tuple(command)
        self.options = options


class Stop:
    """What `stop` asks for: a signal (and grace period) or a shell command."""

    def __init__(self, kind: str, signal: Optional[str] = None, command: str = "",
                 grace_period: Optional[int] = None):
        self.kind = kind          # "kill", "system" or "const"
        self.signal = signal
        self.command = command
        self.grace_period = grace_period


def make_forkexec_constructor(command, *, user=None, group=None, supplementary_groups=(),
                              pid_file=None, pid_file_timeout=None, log_file=None,
                              directory=None, environment_variables=None,
                              file_creation_mask=None, resource_limits=(), create_session=True):
    """Shepherd's `make-forkexec-constructor`: run COMMAND (a list) as the service."""
    if isinstance(command, str) or not isinstance(command, (list, tuple)):
        raise TypeError("make-forkexec-constructor expects the command as a list of strings")
    return Start("forkexec", [_text(c, "the command") for c in command], user=user, group=group,
                 supplementary_groups=tuple(supplementary_groups or ()), pid_file=pid_file,
                 pid_file_timeout=pid_file_timeout, log_file=log_file, directory=directory,
                 environment_variables=environment_variables,
                 file_creation_mask=file_creation_mask, resource_limits=tuple(resource_limits))


def make_system_constructor(*strings):
    """Shepherd's `make-system-constructor`: a shell command that starts the service."""
    return Start("system", ["".join(_text(s, "the command") for s in strings)])


def make_kill_destructor(signal=None, *, grace_period=None):
    """Shepherd's `make-kill-destructor`: stop the service with SIGNAL (SIGTERM)."""
    return Stop("kill", signal=signal, grace_period=grace_period)


def make_system_destructor(*strings):
    """Shepherd's `make-system-destructor`: a shell command that stops the service."""
    return Stop("system", command="".join(_text(s, "the command") for s in strings))


class _Const:
    def __init__(self, value):
        self.value = value


def _text(value, what: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} holds {value!r}, not a string")
    return value


HELPERS: Dict[str, Any] = {
    "make-forkexec-constructor": make_forkexec_constructor,
    "make-system-constructor": make_system_constructor,
    "make-kill-destructor": make_kill_destructor,
    "make-system-destructor": make_system_destructor,
    "const": _Const,
    **TIMER_HELPERS,
    **{s.name: s.name for s in signals.Signals},
}


# ---------------------------------------------------------------------------------------------
# The unit file


def service_unit(service: ShepherdService, provisions: Mapping[str, Optional[str]]
                 ) -> SystemdUnit:
    """The systemd unit of a shepherd service that is not a timer; `provisions` maps each
    name services may require to its unit (None: nothing to wait for)."""
    name = service.unit_name
    file = GeneratedFile(name=name, location=service.location,
                         generate=lambda rendering: unit_text(service, rendering, provisions))
    return SystemdUnit(name=name, file=file, enable=service.auto_start,
                       start=service.auto_start, location=service.location)


def service_units(service: ShepherdService, provisions: Mapping[str, Optional[str]],
                  rendering: Rendering) -> List[SystemdUnit]:
    """The systemd units of a shepherd service: one, or a timer and its service.
    `rendering` is used to tell a timer's `start` from a daemon's."""
    timer = timer_of(service, rendering)
    if timer is None:
        return [service_unit(service, provisions)]
    name = service.provision[0]
    job = GeneratedFile(name=f"{name}.service", location=service.location,
                        generate=lambda r: _timer_service_text(service, r, provisions))
    clock = GeneratedFile(name=f"{name}.timer", location=service.location,
                          generate=lambda r: _timer_text(service, r))
    return [SystemdUnit(name=f"{name}.timer", file=clock, enable=service.auto_start,
                        start=service.auto_start, location=service.location),
            SystemdUnit(name=f"{name}.service", file=job, enable=False, start=False,
                        location=service.location)]


def timer_of(service: ShepherdService, rendering: Rendering) -> Optional[Timer]:
    """What a timer service runs and when, or None for a daemon."""
    start = service.start
    label = f"shepherd timer '{service.provision[0]}'"
    if isinstance(start, TimerStart):
        argv = start.argv
        if isinstance(argv, Gexp):
            argv = rendering.evaluate(argv, HELPERS, what=f"the command of {label}")
        if isinstance(argv, Command):
            return Timer(start.event, argv)
        if not isinstance(argv, (list, tuple)) or not argv:
            raise ServiceError(f"the command of {label} gives {type(argv).__name__}, not a list",
                               location=service.location,
                               hint="e.g. (list \"/usr/bin/updatedb\" \"--localpaths=/srv\")")
        return Timer(start.event, Command([rendering.path_of(a) if isinstance(a, FileLike) else a
                                           for a in argv]))
    if not isinstance(start, Gexp):
        return None
    value = rendering.evaluate(start, HELPERS, what=f"the start of shepherd service "
                                                    f"'{service.provision[0]}'")
    return value if isinstance(value, Timer) else None


def _timer_service_text(service: ShepherdService, rendering: Rendering,
                        provisions: Mapping[str, Optional[str]]) -> str:
    label = f"shepherd timer '{service.provision[0]}'"
    timer = timer_of(service, rendering)
    argv = [rendering.path_of(a) if isinstance(a, FileLike) else _text(a, "the command")
            for a in timer.command.argv]
    if not argv[0].startswith("/"):
        raise ServiceError(f"{label}: the program '{argv[0]}' must be an absolute path",
                           location=service.location, hint=f"e.g. \"/usr/bin/{argv[0]}\"")
    unit: List[Tuple[str, str]] = [("Description", _description(service, label))]
    wants, requires = _dependencies(service, provisions)
    unit += [("Wants", w) for w in wants] + [("Requires", r) for r in requires]
    if wants or requires:
        unit.append(("After", " ".join(wants + requires)))
    body = [("Type", "oneshot"),
            ("ExecStart", " ".join(quote_word(w, label) for w in argv))]
    body += _process_options(timer.command.options, label, service)
    return _unit_file(label, (("Unit", unit), ("Service", body)))


def _timer_text(service: ShepherdService, rendering: Rendering) -> str:
    label = f"shepherd timer '{service.provision[0]}'"
    timer = timer_of(service, rendering)
    return _unit_file(label, (
        ("Unit", [("Description", _description(service, label))]),
        ("Timer", [("OnCalendar", timer.event.on_calendar())]),
        ("Install", [("WantedBy", "timers.target")])))


def _description(service: ShepherdService, label: str) -> str:
    return _value(service.documentation.strip().replace("\n", " ")
                  or f"{service.provision[0]} (lispdeploy)", label)


def _unit_file(label: str, sections) -> str:
    lines = [f"# Generated by lispdeploy from {label}.", ""]
    for section, entries in sections:
        lines.append(f"[{section}]")
        lines += [f"{key}={value}" for key, value in entries]
        lines.append("")
    return "\n".join(lines)


def unit_text(service: ShepherdService, rendering: Rendering,
              provisions: Mapping[str, Optional[str]]) -> str:
    """The text of the unit file of `service`."""
    try:
        return _unit_text(service, rendering, provisions)
    except ServiceError as e:
        if e.location is None:
            e.location = service.location
        raise


def _unit_text(service: ShepherdService, rendering: Rendering,
               provisions: Mapping[str, Optional[str]]) -> str:
    label = f"shepherd service '{service.provision[0]}'"
    start = _start_of(service, rendering, label)
    stop = _stop_of(service, rendering, label)
    unit: List[Tuple[str, str]] = [
        ("Description", _value(service.documentation
                               or f"{service.provision[0]} (lispdeploy)", label))]
    wants, requires = _dependencies(service, provisions)
    for target in wants:
        unit.append(("Wants", target))
    for required in requires:
        unit.append(("Requires", required))
    if wants or requires:
        unit.append(("After", " ".join(wants + requires)))
    if service.respawn_limit and service.respawn and not service.one_shot:
        times, seconds = service.respawn_limit
        unit += [("StartLimitBurst", str(times)), ("StartLimitIntervalSec", str(seconds))]

    body: List[Tuple[str, str]] = []
    options = start.options
    if start.kind == "forkexec":
        program = start.command[0] if start.command else ""
        if not program.startswith("/"):
            raise ServiceError(f"{label}: the program '{program}' must be an absolute path",
                               location=service.location,
                               hint=f"e.g. \"/usr/bin/{program or 'program'}\"")
        exec_start = " ".join(quote_word(w, label) for w in start.command)
    elif start.kind == "system":
        exec_start = "/bin/sh -c " + quote_word(start.command[0], label)
    else:
        exec_start = "/bin/true"
    if service.one_shot or start.kind in ("system", "const"):
        body += [("Type", "oneshot"), ("RemainAfterExit", "yes")]
    elif options.get("pid_file"):
        body += [("Type", "forking"), ("PIDFile", _path(options["pid_file"], label))]
    else:
        body.append(("Type", "simple"))
    body.append(("ExecStart", exec_start))
    if stop.kind == "system":
        body.append(("ExecStop", "/bin/sh -c " + quote_word(stop.command, label)))
    elif stop.kind == "kill":
        if stop.signal:
            body.append(("KillSignal", _signal(stop.signal, label, service)))
        if stop.grace_period:
            body.append(("TimeoutStopSec", str(int(stop.grace_period))))
    body += _process_options(options, label, service)
    if service.respawn and not service.one_shot and start.kind == "forkexec":
        body.append(("Restart", "always"))
        if service.respawn_delay is not None:
            body.append(("RestartSec", str(service.respawn_delay)))

    install = [("WantedBy", "multi-user.target")]
    for alias in service.provision[1:]:
        install.append(("Alias", f"{alias}.service"))

    lines = [f"# Generated by lispdeploy from {label}.", ""]
    for section, entries in (("Unit", unit), ("Service", body), ("Install", install)):
        lines.append(f"[{section}]")
        lines += [f"{key}={value}" for key, value in entries]
        lines.append("")
    return "\n".join(lines)


def _start_of(service: ShepherdService, rendering: Rendering, label: str) -> Start:
    start = service.start
    if start is None:
        return Start("const")
    if isinstance(start, tuple):
        return Start("forkexec", [rendering.path_of(w) if isinstance(w, FileLike) else w
                                  for w in start])
    value = rendering.evaluate(start, HELPERS, what=f"the start of {label}")
    if isinstance(value, Start):
        return value
    if isinstance(value, _Const):
        return Start("const")
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return Start("forkexec", value)
    raise ServiceError(f"the start of {label} gives {type(value).__name__}, not a constructor",
                       location=start.location,
                       hint="write #~(make-forkexec-constructor (list \"/usr/bin/x\" \"arg\"))")


def _stop_of(service: ShepherdService, rendering: Rendering, label: str) -> Stop:
    if service.stop is None:
        return Stop("const")
    value = rendering.evaluate(service.stop, HELPERS, what=f"the stop of {label}")
    if isinstance(value, Stop):
        return value
    if isinstance(value, _Const):
        return Stop("const")
    raise ServiceError(f"the stop of {label} gives {type(value).__name__}, not a destructor",
                       location=service.stop.location,
                       hint="write #~(make-kill-destructor) or #~(make-system-destructor \"...\")")


def _dependencies(service: ShepherdService, provisions: Mapping[str, Optional[str]]
                  ) -> Tuple[List[str], List[str]]:
    wants: List[str] = []
    requires: List[str] = []
    for name in service.requirement:
        if name.endswith((".service", ".socket", ".target", ".mount", ".path", ".timer")):
            unit: Optional[str] = name
        elif name in provisions:
            unit = provisions[name]
        elif name in SYSTEM_PROVISIONS:
            unit = SYSTEM_PROVISIONS[name]
        else:
            raise ServiceError(
                f"shepherd service '{service.provision[0]}' requires '{name}', which no "
                "service of this system provides", location=service.location,
                hint="add the service that provides it, or name a unit lispdeploy does not "
                     f"manage by its full name, as a string: \"{name}.service\"")
        if unit is None:
            continue
        bucket = wants if unit.endswith(".target") else requires
        if unit not in bucket:
            bucket.append(unit)
    return wants, requires


def _process_options(options: Mapping[str, Any], label: str,
                     service: ShepherdService) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    for key, option in (("User", "user"), ("Group", "group")):
        if options.get(option):
            out.append((key, _value(_text(options[option], option), label)))
    if options.get("supplementary_groups"):
        groups = options["supplementary_groups"]
        out.append(("SupplementaryGroups", " ".join(
            _value(_text(g, "supplementary-groups"), label) for g in groups)))
    if options.get("directory"):
        out.append(("WorkingDirectory", _path(options["directory"], label)))
    for assignment in options.get("environment_variables") or ():
        text = _text(assignment, "environment-variables")
        if "=" not in text:
            raise ServiceError(f"{label}: environment variable {text!r} is not NAME=VALUE",
                               location=service.location)
        out.append(("Environment", quote_word(text, label, expand=False)))
    mask = options.get("file_creation_mask")
    if mask is not None:
        out.append(("UMask", f"{int(mask):04o}"))
    if options.get("log_file"):
        log = _path(options["log_file"], label)
        out += [("StandardOutput", f"append:{log}"), ("StandardError", f"append:{log}")]
    return out


def _signal(value: Any, label: str, service: ShepherdService) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return signals.Signals(value).name
        except ValueError:
            pass
    if isinstance(value, str) and value in signals.Signals.__members__:
        return value
    raise ServiceError(f"{label}: '{value}' is not a signal", location=service.location,
                       hint="e.g. #~(make-kill-destructor SIGINT)")


_PLAIN = re.compile(r"^[A-Za-z0-9_@+=:,./-]+$")


def quote_word(word: str, label: str, *, expand: bool = True) -> str:
    """One word of a systemd command line or assignment, quoted so that systemd reads it back
    unchanged (no specifier or variable expansion)."""
    word = _checked(word, label, quoted=True).replace("%", "%%")
    if expand:
        word = word.replace("$", "$$")
    if word and _PLAIN.match(word):
        return word
    escaped = (word.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t"))
    return f'"{escaped}"'


def _checked(text: str, label: str, *, quoted: bool = False) -> str:
    """`text`, unless it holds a control character a unit file cannot hold (a quoted word
    may hold newlines and tabs: they are written as escapes)."""
    allowed = "\n\t" if quoted else "\t"
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 for c in text):
        raise ServiceError(f"{label}: {text!r} holds a control character, which a unit file "
                           "cannot hold")
    return text


def _value(text: str, label: str) -> str:
    """An unquoted value of a unit file (`%` escaped, so systemd expands no specifier)."""
    if text != text.strip() or text.endswith("\\"):
        raise ServiceError(f"{label}: {text!r} cannot be a unit file value (systemd strips "
                           "spaces around it and joins a line ending with a backslash to the "
                           "next)")
    return _checked(text, label).replace("%", "%%")


def _path(value: Any, label: str) -> str:
    text = _text(value, "a path")
    if not text.startswith("/") or any(c.isspace() for c in text):
        raise ServiceError(f"{label}: {text!r} must be an absolute path without spaces")
    return _value(text, label)


SPEC_VOCABULARY = (Vocabulary(
    records=(ShepherdService,),
    procedures={"shepherd-service-type": shepherd_service_type,
                "shepherd-timer": shepherd_timer,
                "shepherd-configuration-action": shepherd_configuration_action},
    values={"shepherd-trigger-action": SHEPHERD_TRIGGER_ACTION},
    modules=(("gnu", "services", "shepherd"),),
),)
