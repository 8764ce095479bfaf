"""The exception tree of lispdeploy.

    LispdeployError                 every error a user can act on: message, location, hint
    ├── SpecError                   a spec file is wrong (reader, unknown name, bad field, ...)
    │   └── RecordError             a record was given a field it lacks, misses one, wrong type
    ├── ServiceError                services do not fold (missing target, duplicate, cycle)
    ├── GexpError                   staged code cannot be lowered (bad value, needs Hy runtime)
    ├── HostError                   something went wrong on or with a host (names the host)
    │   ├── ConnectionError_        cannot reach or authenticate a host
    │   │   └── HostKeyError        the host's key is unknown or not the one expected
    │   ├── RemoteEvalError         a staged program raised on the host (remote traceback)
    │   └── DeployError             a deploy step failed; says whether it was rolled back
    ├── EnvironmentError_           an environment cannot provision (container, cloud API)
    │   └── HostMissingError        the machine's host does not exist (yet): only deploys create
    └── UsageError                  the command line is wrong (exit status 2)

Only the command line turns these into exit statuses; the library raises and never exits.
"""

from __future__ import annotations

from typing import Optional

from lispdeploy.location import Location


class LispdeployError(Exception):
    """Base of every error lispdeploy reports to a user.

    `location` says where in a spec the problem comes from, `hint` how to fix it when known.
    """

    def __init__(self, message: str, *, location: Optional[Location] = None,
                 hint: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def render(self) -> str:
        """The error as a user reads it: `file:line:col: error: message` and a hint line."""
        where = f"{self.location}: " if self.location is not None else ""
        text = f"{where}error: {self.message}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class SpecError(LispdeployError):
    """A deployment file (or a module it loads) is wrong."""


class RecordError(SpecError):
    """A record form has an unknown, duplicate or missing field, or a value of the wrong type."""


class ServiceError(LispdeployError):
    """The services of an operating system cannot be folded into a system."""


class GexpError(LispdeployError):
    """A g-expression cannot be lowered into a program for a host."""


class HostError(LispdeployError):
    """Something failed on or with one host; `host` names it in every message."""

    def __init__(self, message: str, *, host: Optional[str] = None, **kwargs):
        super().__init__(message, **kwargs)
        self.host = host

    def render(self) -> str:
        """The error prefixed with the host it concerns."""
        text = super().render()
        if self.host and not self.message.startswith(self.host):
            return f"{self.host}: {text}"
        return text


class ConnectionError_(HostError):
    """A host cannot be reached or will not let us in (refused, timeout, auth, host key)."""


class HostKeyError(ConnectionError_):
    """The host presented a key that is unknown or differs from the expected one: never
    worth retrying, since waiting does not make an unknown host trustworthy."""


class RemoteEvalError(HostError):
    """A program raised on a host; `remote_traceback` is the host's traceback text, `kind` the
    host's classification of the error."""

    def __init__(self, message: str, *, remote_traceback: str = "", exception_type: str = "",
                 kind: str = "program", **kwargs):
        super().__init__(message, **kwargs)
        self.remote_traceback = remote_traceback
        self.exception_type = exception_type
        # What went wrong, as the host classified it (lispdeploy.hostside.contract's kinds).
        self.kind = kind


class DeployError(HostError):
    """A deploy step failed on a host; `rolled_back` says whether the host was restored."""

    def __init__(self, message: str, *, step: str = "", rolled_back: Optional[bool] = None,
                 **kwargs):
        super().__init__(message, **kwargs)
        self.step = step
        self.rolled_back = rolled_back


class EnvironmentError_(LispdeployError):
    """An environment type cannot provision, start or tear down a machine."""


class HostMissingError(EnvironmentError_):
    """The machine's host (a container, a droplet) does not exist: a command other than a
    deploy needs it (only deploys create hosts)."""


class UsageError(LispdeployError):
    """The command line was used wrongly; the CLI exits with status 2."""
