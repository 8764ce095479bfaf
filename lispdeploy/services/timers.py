"""Timers: the Shepherd's `make-timer-constructor`, `calendar-event` and `command`, and
Guix's `shepherd-timer`, as a systemd timer and the service it starts.

A shepherd service whose `start` is

    #~(make-timer-constructor (calendar-event #:hours '(0 12) #:minutes '(22))
                              (command '("/usr/bin/certbot" "renew") #:user "root")
                              #:wait-for-termination? #t)

or one made by `(shepherd-timer '(NAME) "22 0,12 * * *" (list "/usr/bin/x" ...))`, becomes two
units declared together: `NAME.timer` (`OnCalendar=`, enabled and started) and
`NAME.service` (`Type=oneshot`, started by the timer only). A timer never runs two instances
at once (systemd does not start a unit that is still running), as Shepherd's
`#:wait-for-termination? #t`. `shepherd-trigger-action` (Shepherd's `herd trigger NAME`) is
`systemctl start NAME.service` here.

Schedules: a calendar event's lists (seconds 0 by default, as Shepherd's), or a Vixie cron
string (5 fields, names of months and days, ranges, steps), written as systemd's
`OnCalendar=` expression. cron matches a day when *either* day-of-month or day-of-week
matches; systemd wants both, so a cron string that restricts both is refused.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

from lispdeploy.hostside.names import mangle

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_SYSTEMD_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")

# (name, lowest, highest) of each calendar field, in the order systemd writes them.
_RANGES = {"seconds": (0, 59), "minutes": (0, 59), "hours": (0, 23), "days_of_month": (1, 31),
           "months": (1, 12), "days_of_week": (0, 6)}


class CalendarEvent:
    """When a timer fires: for each field, the values it matches (None: any)."""

    def __init__(self, **fields: Optional[Tuple[int, ...]]):
        self.fields = fields

    def on_calendar(self) -> str:
        """The systemd `OnCalendar=` expression of this event."""
        def part(name: str, width: int) -> str:
            values = self.fields.get(name)
            return "*" if values is None else ",".join(f"{v:0{width}d}" for v in values)
        days = self.fields.get("days_of_week")
        prefix = "" if days is None else ",".join(_SYSTEMD_DAYS[d] for d in days) + " "
        return (f"{prefix}*-{part('months', 2)}-{part('days_of_month', 2)} "
                f"{part('hours', 2)}:{part('minutes', 2)}:{part('seconds', 2)}")


def _values(name: str, value: Any) -> Optional[Tuple[int, ...]]:
    low, high = _RANGES[name]
    if value is None or value is True:
        return None
    items = value if isinstance(value, (list, tuple)) else (value,)
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise TypeError(f"calendar-event: #:{name.replace('_', '-')} takes integers from "
                            f"{low} to {high}, not {item!r}")
        out.append(int(item))
    if not out:
        raise TypeError(f"calendar-event: #:{name.replace('_', '-')} is an empty list")
    return tuple(sorted(set(out)))


def calendar_event(*, seconds=(0,), minutes=None, hours=None, days_of_month=None,
                   months=None, days_of_week=None) -> CalendarEvent:
    """Shepherd's `(calendar-event #:seconds #:minutes #:hours #:days-of-month #:months
    #:days-of-week)`; a field left out matches any value (seconds: 0). Days of the week count
    from 0, Sunday."""
    return CalendarEvent(seconds=_values("seconds", seconds), minutes=_values("minutes", minutes),
                         hours=_values("hours", hours),
                         days_of_month=_values("days_of_month", days_of_month),
                         months=_values("months", months),
                         days_of_week=_values("days_of_week", days_of_week))


def _cron_number(text: str, names: Sequence[str], low: int) -> int:
    """A number of a cron field, or a name (`jan`, `mon`) counted from `low`."""
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + low
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _cron_field(text: str, name: str, names: Sequence[str] = ()) -> Optional[Tuple[int, ...]]:
    low, high = _RANGES[name]
    if name == "days_of_week":
        high = 7            # cron's 7 is Sunday too
    values = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(item)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _cron_number(a, names, low), _cron_number(b, names, low)
        else:
            first = _cron_number(base, names, low)
            last = high if step else first
        if not (low <= first <= last <= high):
            raise ValueError(item)
        values.update(range(first, last + 1, step or 1))
    if name == "days_of_week" and 7 in values:
        values.discard(7)
        values.add(0)
    if values == set(range(low, _RANGES[name][1] + 1)) and "*" in text:
        return None
    return tuple(sorted(values))


def cron_string_to_calendar_event(text: Any) -> CalendarEvent:
    """Shepherd's `cron-string->calendar-event`: "MINUTE HOUR DAY MONTH WEEKDAY"."""
    if not isinstance(text, str):
        raise TypeError("cron-string->calendar-event expects a string such as \"0 3 * * *\"")
    shortcuts = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                 "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
                 "@annually": "0 0 1 1 *"}
    fields = shortcuts.get(text.strip(), text).split()
    if len(fields) != 5:
        raise TypeError(f"{text!r} is not a cron schedule: it needs five fields, "
                        "\"MINUTE HOUR DAY MONTH WEEKDAY\", such as \"0 3 * * *\"")
    try:
        minutes = _cron_field(fields[0], "minutes")
        hours = _cron_field(fields[1], "hours")
        days = _cron_field(fields[2], "days_of_month")
        months = _cron_field(fields[3], "months", _MONTHS)
        weekdays = _cron_field(fields[4], "days_of_week", _DAYS)
    except ValueError as e:
        raise TypeError(f"{text!r} is not a cron schedule: cannot read {str(e)!r}") from None
    if days is not None and weekdays is not None:
        raise TypeError(f"{text!r} restricts both the day of the month and the day of the "
                        "week: cron runs on either, systemd timers only when both match; "
                        "use two timers")
    return CalendarEvent(seconds=(0,), minutes=minutes, hours=hours, days_of_month=days,
                         months=months, days_of_week=weekdays)


class Command:
    """Shepherd's `(command ARGV #:user #:group #:environment-variables #:directory)`."""

    def __init__(self, argv: Sequence[Any], user: Any = None, group: Any = None,
                 supplementary_groups: Sequence[Any] = (), environment_variables: Any = None,
                 directory: Any = None, resource_limits: Sequence[Any] = ()):
        if isinstance(argv, str) or not isinstance(argv, (list, tuple)) or not argv:
            raise TypeError("command expects the program and its arguments as a list, "
                            "e.g. (command '(\"/usr/bin/updatedb\"))")
        self.argv = tuple(str(a) if isinstance(a, (int, float)) and not isinstance(a, bool)
                          else a for a in argv)
        self.options: Dict[str, Any] = {
            "user": user, "group": group, "supplementary_groups": tuple(supplementary_groups or ()),
            "environment_variables": environment_variables, "directory": directory}


def command(argv, *, user=None, group=None, supplementary_groups=(), environment_variables=None,
            directory=None, resource_limits=()) -> Command:
    """Shepherd's `command`: what a timer runs, and as whom."""
    return Command(argv, user=user, group=group, supplementary_groups=supplementary_groups,
                   environment_variables=environment_variables, directory=directory,
                   resource_limits=resource_limits)


class Timer:
    """What `make-timer-constructor` describes: when, and what to run."""

    def __init__(self, event: CalendarEvent, action: Command):
        self.event = event
        self.command = action


_WAIT = mangle("wait-for-termination?")
_TIMER_OPTIONS = {_WAIT, "max_duration", "log_file", "occurrences"}


def make_timer_constructor(event, action, **options) -> Timer:
    """Shepherd's `make-timer-constructor EVENT COMMAND #:wait-for-termination? ...`."""
    unknown = sorted(set(options) - _TIMER_OPTIONS)
    if unknown:
        raise TypeError(f"make-timer-constructor takes no #:{unknown[0].replace('_', '-')}")
    wait_for_termination = options.get(_WAIT, True)
    if isinstance(event, str):
        event = cron_string_to_calendar_event(event)
    if not isinstance(event, CalendarEvent):
        raise TypeError("make-timer-constructor expects a (calendar-event ...) first")
    if isinstance(action, (list, tuple)):
        action = Command(action)
    if not isinstance(action, Command):
        raise TypeError("make-timer-constructor expects a (command '(...)) second")
    if not wait_for_termination:
        raise TypeError("#:wait-for-termination? #f has no systemd counterpart: a timer never "
                        "starts its service while the last run is still going")
    return Timer(event, action)


class ShepherdAction:
    """A Shepherd action Guix attaches to services, with its systemd counterpart."""

    def __init__(self, name: str, documentation: str):
        self.name = name
        self.documentation = documentation

    def __repr__(self) -> str:
        return f"#<shepherd-action {self.name}>"


SHEPHERD_TRIGGER_ACTION = ShepherdAction(
    "trigger", "Run the timer's command now: systemctl start NAME.service.")


def shepherd_configuration_action(file, *, location=None) -> ShepherdAction:
    """Guix's `(shepherd-configuration-action FILE)`: `herd configuration` shows FILE; here
    the unit's manifest entry and item say where the configuration is."""
    return ShepherdAction("configuration", "Show the service's configuration file.")


TIMER_HELPERS: Dict[str, Any] = {
    "make-timer-constructor": make_timer_constructor,
    "make-timer-destructor": lambda *args, **kwargs: None,
    "calendar-event": calendar_event,
    "cron-string->calendar-event": cron_string_to_calendar_event,
    "command": command,
}
