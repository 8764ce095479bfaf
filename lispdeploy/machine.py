"""Machines and environment types (gnu/machine.scm): a machine is an operating system, the
environment that provides the host, and that environment's configuration. The generic entry
points dispatch on the machine's environment.

Imports records, checks, errors and system.operating_system only; environments register
themselves by being values of `environment-type`.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from lispdeploy import checks
from lispdeploy.errors import EnvironmentError_
from lispdeploy.records import Field, Record
from lispdeploy.system.operating_system import OperatingSystem, operating_system_check


class EnvironmentType(Record):
    """How machines of one kind are provisioned, deployed, rolled back and evaluated on.

    Guix's three procedures (`machine-remote-eval`, `deploy-machine`, `roll-back-machine`) take
    the machine first; lispdeploy passes the collaborators they need (transport factory,
    reporter, ...) as keyword arguments. `provision`/`destroy` create and remove the host for
    environments that provide hosts (containers, cloud); `delegate` returns the
    managed-host machine that reaches a provisioned host over SSH.
    """

    record_name = "environment-type"
    fields = (
        Field("name", check=checks.string),
        Field("description", "", check=checks.string),
        Field("machine_remote_eval", None, check=checks.optional(checks.procedure)),
        Field("deploy_machine", None, check=checks.optional(checks.procedure)),
        Field("roll_back_machine", None, check=checks.optional(checks.procedure)),
        Field("delegate", None, check=checks.optional(checks.procedure),
              doc="machine -> managed-host machine that reaches it (provisioning if needed)"),
        Field("destroy_machine", None, check=checks.optional(checks.procedure)),
        Field("build_options", None, check=checks.optional(checks.procedure),
              doc="machine -> keyword arguments for building its system (e.g. the address "
                  "its services listen on)"),
        Field("configuration_type", None, check=checks.anything,
              doc="the record class its machines' configuration must be"),
    )

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __repr__(self):
        return f"#<environment-type {self.name}>"


def _environment_check(value):
    if isinstance(value, EnvironmentType):
        return value
    raise TypeError("an environment type such as managed-host-environment-type")


class Machine(Record):
    """A machine to deploy: `(machine (operating-system os) (environment e) (configuration c))`.
    `(system os)` is the older spelling of `operating-system`."""

    record_name = "machine"
    fields = (
        Field("operating_system", check=operating_system_check,
              aliases={"system": lambda os: os}),
        Field("environment", check=_environment_check),
        Field("configuration", None, check=checks.anything),
    )

    def _validate(self):
        expected = self.environment.configuration_type
        if expected is not None and not isinstance(self.configuration, expected):
            got = getattr(self.configuration, "record_name", None) or "#f"
            raise EnvironmentError_(
                f"machine '{self.display_name}': {self.environment.name} needs a "
                f"({expected.record_name} ...) configuration, got {got}",
                location=self.location,
                hint=f"add (configuration ({expected.record_name} ...)) to the machine")

    @property
    def display_name(self) -> str:
        """The name used in every message: the operating system's host name."""
        os: OperatingSystem = self.operating_system
        return os.host_name


def machine_targets(machine: Machine) -> tuple:
    """What identifies the host a machine deploys to (("ssh", address, port), ("container",
    name), ...), as its configuration says; () when its configuration cannot tell."""
    targets = getattr(machine.configuration, "targets", None)
    return tuple(targets(machine)) if callable(targets) else ()


def describe_target(target: tuple) -> str:
    """A target as a message shows it: "address 192.0.2.1 port 22", "container web-1"."""
    if target[0] == "ssh":
        return f"address {target[1]} port {target[2]}"
    return f"{target[0]} {' '.join(str(t) for t in target[1:])}"


def _call(machine: Machine, hook: str, *args: Any, **kwargs: Any) -> Any:
    proc: Optional[Callable] = getattr(machine.environment, hook)
    if proc is None:
        raise EnvironmentError_(
            f"{machine.environment.name} does not support {hook.replace('_', '-')}",
            location=machine.location)
    return proc(machine, *args, **kwargs)


def machine_remote_eval(machine: Machine, gexp, **kwargs: Any) -> Any:
    """Evaluate a g-expression on the machine and return its value. An environment without
    its own procedure evaluates on the machine its `delegate` returns (as Guix's
    digital-ocean and hetzner environments do)."""
    environment = machine.environment
    if environment.machine_remote_eval is None and environment.delegate is not None:
        delegate = environment.delegate
        # Evaluating never creates a host (a droplet costs money): only deploys do.
        target = (delegate(machine, create=False) if accepts_keyword(delegate, "create")
                  else delegate(machine))
        return machine_remote_eval(target, gexp, **kwargs)
    return _call(machine, "machine_remote_eval", gexp, **kwargs)


def accepts_keyword(procedure: Callable, keyword: str) -> bool:
    """Whether `procedure` takes `keyword=` (lispdeploy's own delegates take `create` and
    `progress`; a spec's lambdas usually take the machine only)."""
    import inspect  # rarely needed; costs start-up time of every command if imported above
    try:
        parameters = inspect.signature(procedure).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == keyword and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
               or p.kind is p.VAR_KEYWORD for p in parameters)
