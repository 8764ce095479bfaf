"""`mcron-service-type` (gnu/services/mcron.scm) as cron entries on a Debian host.

Guix declares jobs as g-expressions, `#~(job "5 0 * * *" "guix gc -F 1G")`, optionally with a
name and `#:user`. lispdeploy evaluates each job on the controller (`services.staged`) and
writes one line of /etc/cron.d/lispdeploy-mcron per job, for Debian's `cron` package and
`cron.service` (cron reads the file again by itself when it changes).

- The time must be a crontab schedule ("5 0 * * *", "@daily"); mcron's Scheme time
  procedures (`next-hour`, ...) have no crontab form and are refused with a hint.
- A string action is a shell command, run by `/bin/sh -c` as in crontab (`%` is escaped).
- A procedure action, `(lambda () ...)`, is the job's g-expression turned into a Python
  program (a `program-file`) that cron runs.
- Output is appended to `log-file` (/var/log/mcron.log, as mcron's) when `log?` is #t, and
  dropped otherwise.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, List

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.hostside.scheme import _write
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds
from lispdeploy.services.core import ServiceExtension, ServiceType, concatenate
from lispdeploy.services.rendering import Rendering
from lispdeploy.services.sinks import (EtcFile, GeneratedFile, SystemdUnit, etc_service_type,
                                       package_check, profile_service_type,
                                       shepherd_root_service_type)
from lispdeploy.vocabulary import Vocabulary

CRON_FILE = "cron.d/lispdeploy-mcron"
_SHORTCUTS = ("@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
              "@hourly")
_FIELD = re.compile(r"^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?"
                    r"(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$")
_USER = re.compile(r"^[a-z_][a-z0-9_.-]*\$?$")


# cron turns '%' into a newline anywhere in a job's line.
_log_file = kinds.within(kinds.absolute_path,
                         lambda text: "it holds '%', which cron reads as a newline"
                         if "%" in text else None,
                         "an absolute path without spaces or '%'")


class McronConfiguration(Record):
    """The jobs to run, and where their output goes."""

    record_name = "mcron-configuration"
    fields = (
        Field("mcron", "cron", check=package_check, doc="the Debian package running the jobs"),
        Field("jobs", (), check=checks.list_of(checks.instance_of(Gexp, ""),
                                               "g-expressions such as #~(job \"5 0 * * *\" "
                                               "\"cmd\")")),
        Field("log", True, check=checks.boolean, spec_name="log?"),
        Field("log_file", "/var/log/mcron.log", check=_log_file),
    )


class Job:
    """What one `#~(job ...)` describes."""

    def __init__(self, time: Any, action: Any, name: Any = None, user: Any = "root"):
        self.time = time
        self.action = action
        self.name = name
        self.user = user


def _job(time, action, name=None, *, user="root"):
    return Job(time, action, name, user)


def schedule(time: Any, gexp: Gexp) -> str:
    """The crontab schedule of a job's time, or an error at the job's location."""
    text = time.strip() if isinstance(time, str) else None
    if text is not None and (text in _SHORTCUTS or (
            len(text.split()) == 5 and all(_FIELD.match(f) for f in text.split()))):
        return " ".join(text.split())
    raise ServiceError(f"mcron job: {_write(time)} is not a crontab schedule", location=gexp.location,
                       hint="write the time as crontab does: \"MINUTE HOUR DAY MONTH WEEKDAY\" "
                            "such as \"5 0 * * *\", or @daily, @hourly, ...")


def cron_line(job_gexp: Gexp, index: int, config: McronConfiguration,
              rendering: Rendering) -> str:
    """The /etc/cron.d line of one job."""
    job = rendering.evaluate(job_gexp, {"job": _job}, what="mcron job")
    if not isinstance(job, Job):
        raise ServiceError("mcron job: the g-expression does not give a (job ...)",
                           location=job_gexp.location,
                           hint="write #~(job \"5 0 * * *\" \"command\")")
    when = schedule(job.time, job_gexp)
    if not isinstance(job.user, str) or not _USER.match(job.user):
        raise ServiceError(f"mcron job: {job.user!r} is not a user name",
                           location=job_gexp.location)
    if isinstance(job.action, str):
        problem = kinds.line._test(job.action)
        if problem or not job.action.strip():
            raise ServiceError("mcron job: the command must be one non-empty line"
                               + (f" ({problem})" if problem else ""),
                               location=job_gexp.location)
        # The command runs in its own shell, so that its own redirections, `;` or `#` cannot
        # change where the job's output goes.
        command = f"/bin/sh -c {shlex.quote(job.action)}"
    elif callable(job.action):
        command = "/usr/bin/python3 -I " + rendering.program(f"mcron-job-{index + 1}",
                                                             _program_gexp(job_gexp))
    else:
        raise ServiceError(f"mcron job: the action must be a command string or a procedure, "
                           f"not {type(job.action).__name__}", location=job_gexp.location)
    # cron turns an unescaped % into a newline.
    command = command.replace("%", "\\%")
    redirect = f" >> {shlex.quote(config.log_file)} 2>&1" if config.log else " > /dev/null 2>&1"
    # A job's name, not its spec line: moving a job in the spec must not change the file.
    label = job.name if isinstance(job.name, str) else f"job {index + 1}"
    problem = kinds.prose._test(label)
    if problem:
        raise ServiceError(f"mcron job: its name cannot be written in a crontab ({problem})",
                           location=job_gexp.location)
    return f"# {kinds.prose.normalize(label)}\n{when} {job.user} {command}{redirect}\n"


def _program_gexp(job_gexp: Gexp) -> Gexp:
    """The job's gexp as a program: `job` runs the action instead of describing it."""
    prelude = ("def job(_time, action, *_name, **_user):\n"
               "    return action()\n")
    return Gexp(source=prelude + job_gexp.source, references=job_gexp.references,
                spec_lines=(0, 0) + tuple(job_gexp.spec_lines), location=job_gexp.location)


def crontab(config: McronConfiguration, rendering: Rendering) -> str:
    """The text of /etc/cron.d/lispdeploy-mcron."""
    lines: List[str] = ["# Generated by lispdeploy from mcron-configuration.\n",
                        "SHELL=/bin/sh\n",
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"]
    lines += [cron_line(job, i, config, rendering) for i, job in enumerate(config.jobs)]
    return "".join(lines)


def _etc(config: McronConfiguration):
    return (EtcFile(path=CRON_FILE, location=config.location, file=GeneratedFile(
        name="lispdeploy-mcron", location=config.location,
        generate=lambda rendering: crontab(config, rendering))),)


mcron_service_type = ServiceType(
    name="mcron",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_etc),
        ServiceExtension(target=shepherd_root_service_type, compute=lambda c: (SystemdUnit(
            name="cron.service", provision=("mcron", "cron"), packages=(c.mcron,),
            location=c.location),)),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.mcron,)),
    ),
    compose=concatenate,
    extend=lambda config, jobs: config.replace(jobs=tuple(config.jobs) + tuple(jobs))
    if jobs else config,
    default_value=McronConfiguration(),
    description="Run jobs at scheduled times (Debian's cron).")


SPEC_VOCABULARY = (Vocabulary(
    records=(McronConfiguration,),
    values={"mcron-service-type": mcron_service_type},
    modules=(("gnu", "services", "mcron"),),
),)
