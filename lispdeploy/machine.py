"""Machines and environment types (gnu/machine.scm): a machine is an operating system, the
environment that provides the host, and that environment's configuration. The generic entry
points (`machine_remote_eval`, `deploy_machine`, `roll_back_machine`) dispatch on the
machine's environment.

Every procedure of an environment type takes the machine only, as in Guix; what the command
working on a host gives them besides (how to report progress, where the host's output goes,
the deploy's options, connections to reuse) is the `HostContext` of the thread
(`current_host()`). See docs/environments.md, "Your own environment types".
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import re
import threading
import uuid
from typing import Any, Callable, Dict, Hashable, List, Optional

from lispdeploy import checks
from lispdeploy.errors import EnvironmentError_, HostMissingError, RecordError
from lispdeploy.health_checks import HealthCheck
from lispdeploy.records import Field, Record
from lispdeploy.report import DEPLOYED, HostReport


def operating_system_check(value):
    """An operating-system record (checked by its record name: the machine layer sits below
    the system layer that defines it)."""
    if getattr(type(value), "record_name", None) == "operating-system":
        return value
    raise TypeError("an (operating-system ...)")


class EnvironmentType(Record):
    """How machines of one kind are provisioned, deployed, rolled back and evaluated on.

    Guix's three procedures (`machine-remote-eval`, `deploy-machine`, `roll-back-machine`) take
    the machine (and the g-expression). A type that provides hosts instead gives `delegate`,
    the managed-host machine that reaches a machine's existing host, and `provision`, which
    creates the host if it is missing (only deploys call it) and returns that same machine;
    the generic procedures then work on the machine they return. Every procedure takes the
    machine only: one signature for all of them. `plan_provision` says what `provision` would
    create, so that a dry run can show a machine whose host does not exist yet.
    """

    record_name = "environment-type"
    fields = (
        Field("name", check=checks.string),
        Field("description", "", check=checks.string),
        Field("machine_remote_eval", None, check=checks.optional(checks.procedure),
              doc="(machine gexp) -> the gexp's value on the machine's host"),
        Field("deploy_machine", None, check=checks.optional(checks.procedure),
              doc="machine -> its deploy's report (a dry run's when the deploy is one)"),
        Field("roll_back_machine", None, check=checks.optional(checks.procedure),
              doc="machine -> its roll-back's report"),
        Field("delegate", None, check=checks.optional(checks.procedure),
              doc="machine -> the managed-host machine that reaches its existing host"),
        Field("provision", None, check=checks.optional(checks.procedure),
              doc="machine -> the managed-host machine reaching its host, creating the host "
                  "if it is missing (deploys only)"),
        Field("destroy_machine", None, check=checks.optional(checks.procedure),
              doc="machine -> whether it removed the machine's host"),
        Field("plan_provision", None, check=checks.optional(checks.procedure),
              doc="machine -> PlannedHost: what `provision` would create, for a dry run of a "
                  "machine whose host does not exist yet (creates nothing)"),
        Field("find_host", None, check=checks.optional(checks.procedure),
              doc="machine -> the provisioned-host it has, or #f (what destroy lists)"),
        Field("deployment_hosts", None, check=checks.optional(checks.procedure),
              doc="deployment name -> every provisioned-host that deployment created (what "
                  "prune looks through)"),
        Field("destroy_host", None, check=checks.optional(checks.procedure),
              doc="provisioned-host -> remove it"),
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


_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*\Z")


def _tag(value):
    text = checks.string(value)
    if not _TAG.match(text):
        raise TypeError("tags of letters, digits, '_', '.', ':' and '-' (not starting with "
                        "'-', '.' or ':')")
    return text


def _wave(value):
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise TypeError("a wave number, 0 or more")


class Machine(Record):
    """A machine to deploy: `(machine (operating-system os) (environment e) (configuration c))`.
    `(system os)` is the older spelling of `operating-system`. lispdeploy adds `tags` (for
    `--on @tag`), `health-checks` (run after activation, before confirmation) and `wave`
    (the machine's place in a rolling deploy)."""

    record_name = "machine"
    fields = (
        Field("operating_system", check=operating_system_check,
              aliases={"system": lambda os: os}),
        Field("environment", check=_environment_check),
        Field("configuration", None, check=checks.anything),
        Field("tags", (), check=checks.list_of(_tag, "tag strings such as \"web\""),
              doc="names to select machines by: --on @web"),
        Field("health_checks", (), check=checks.list_of(
            checks.instance_of(HealthCheck, "a health-check"), "health-check records"),
              doc="checks that must pass after activation, or the host goes back"),
        Field("wave", None, check=checks.optional(_wave),
              doc="rolling deploys: machines go in ascending wave order, those without one "
                  "last, each wave in spec order"),
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
        os = self.operating_system
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


class PlannedHost:
    """What provisioning would create for a machine whose host does not exist yet, for a dry
    run: `description` (shown: {"kind": "container host", "name", "address", "image"}, or a
    droplet's name, region, size and image), `machine` (the managed-host machine that would
    reach the new host; the dry run plans it without connecting), `root` (a directory holding
    the files of the host's image, whose facts stand for the fresh host's; None: plan for an
    empty host), `written` (files, path -> text, the environment writes when it creates the
    host) and the host name the new host gets."""

    def __init__(self, description: Dict[str, Any], machine: "Machine", *,
                 root: Optional[str] = None, written: Optional[Dict[str, str]] = None,
                 host_name: str = ""):
        self.description = dict(description)
        self.machine = machine
        self.root = root
        self.written = dict(written or {})
        self.host_name = host_name or machine.display_name

    def __repr__(self) -> str:
        return f"#<planned-host {self.description}>"


@dataclasses.dataclass(frozen=True)
class ProvisionedHost:
    """A host an environment created: a container host, a droplet. `name` is the host's own
    name in its environment (the container's, the droplet's), `what` says what destroying it
    deletes ("droplet 3164494 (nyc3, s-1vcpu-1gb) at 203.0.113.7"), `deployment` is the
    deployment that created it (None: made before deployments were recorded), `key` is what
    the environment needs to destroy it (an id)."""

    environment: str
    name: str
    what: str
    deployment: Optional[str]
    key: Any = None

    def to_json(self) -> Dict[str, Any]:
        """The host for reports."""
        return {"environment": self.environment, "name": self.name, "what": self.what,
                "deployment": self.deployment}


class DeploymentCollision(EnvironmentError_):
    """A machine's host belongs to another deployment: lispdeploy never deploys to,
    destroys or prunes it from this one."""


def check_owner(machine: Machine, found: ProvisionedHost, deployment: Optional[str]) -> None:
    """Refuse a machine whose host another deployment created."""
    if deployment is None or found.deployment in (None, deployment):
        return
    raise DeploymentCollision(
        f"machine '{machine.display_name}': {found.what} belongs to deployment "
        f"'{found.deployment}', not to this spec's deployment '{deployment}'; lispdeploy "
        "will not touch another deployment's host",
        location=machine.configuration.location if isinstance(machine.configuration, Record)
        and machine.configuration.location else machine.location,
        hint="give this machine a host of its own (another host name, or the configuration's "
             "name), or, if both specs are one deployment, give them the same "
             "(deployment (name ...))")


_DEPLOYMENT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}\Z")


def deployment_name(value) -> str:
    """A deployment name: lower-case letters, digits, '-' and '_' (it becomes a droplet tag
    and is kept with each container host)."""
    text = checks.string(value)
    if not _DEPLOYMENT_NAME.match(text):
        raise TypeError("a name of 1 to 63 lower-case letters, digits, '-' and '_'")
    return text


def default_deployment_name(spec_path: str) -> str:
    """The deployment name of a spec that sets none: its file name without the extension,
    made a valid name ("Forum Servers.hy" -> "forum-servers"); the same wherever the file is
    moved or copied."""
    stem = os.path.splitext(os.path.basename(spec_path))[0].lower()
    name = re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-_")[:63].strip("-_")
    return name or "deployment"


class DeploymentDeclaration(Record):
    """`(deployment (name "forum") (machines (list ...)))`: a spec's machines with the name of
    the deployment they form, which owns the hosts it creates (a spec whose last value is a
    plain list of machines is the deployment named after its file)."""

    record_name = "deployment"
    fields = (
        Field("name", check=deployment_name,
              doc="the deployment's name: its hosts carry it"),
        Field("machines", check=checks.list_of(checks.instance_of(Machine, "a machine"),
                                               "machine records")),
    )

    def _validate(self):
        if not self.machines:
            raise RecordError("deployment: no machines", location=self.location,
                              hint="(deployment (name ...) (machines (list (machine ...))))")


# The host context ------------------------------------------------------------------------------

@dataclasses.dataclass
class DeployOptions:
    """What one deploy (or another command) asks of every machine: a dry run or not, the
    deployment the spec's machines form (their hosts belong to it), how long a host may wait
    for its confirmation (None: no confirmation), who deploys (recorded with each generation),
    and the spec (for provenance). `prepared` keeps what is made once per deploy and shared by its
    hosts (the confirmation watchdog, ...), filled by whoever needs it."""

    dry_run: bool = False
    deployment: Optional[str] = None
    confirm_timeout: Optional[float] = 60.0
    # How long a host another deploy is changing may be waited for (None: fail at once).
    wait_lock: Optional[float] = None
    # This deploy on every host it changes (the host's lease names it).
    lease_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    who: str = "lispdeploy"
    spec_path: Optional[str] = None
    spec_text: Optional[str] = None
    prepared: Dict[str, Any] = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def holder(self) -> Dict[str, Any]:
        """Who this deploy is, as a host it changes records it (hostside.lease)."""
        return {"id": self.lease_id, "who": self.who,
                "spec": os.path.abspath(self.spec_path) if self.spec_path else None}

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """The value made once per deploy under `key` (made now if it is the first ask)."""
        with self.lock:
            if key not in self.prepared:
                self.prepared[key] = make()
            return self.prepared[key]


class HostContext:
    """The work of one command on one host, as the procedures working on it see it.

    `phase(text)` reports what the host's work is doing (provisioning waits show there);
    `output(data)` passes on what the host prints; `options` are the deploy's (None outside
    deploys). Connections opened through `connection` are reused by every step on the host
    and closed (and counted) when the work ends, or at once by `interrupt` (Ctrl-C).
    `stage` and `stage_detail` say how far a deploy got, for what an interrupt reports;
    `machine` is the machine the work is for.
    Use it as a context manager: it is the thread's current host while entered.
    """

    def __init__(self, name: str, *, machine: Optional["Machine"] = None,
                 phase: Optional[Callable[[str], None]] = None,
                 output: Optional[Callable[[bytes], None]] = None,
                 options: Optional[DeployOptions] = None):
        self.name = name
        self.machine = machine
        self._phase = phase
        self._output = output
        self.options = options
        self.connections = 0
        self.round_trips = 0
        # What crossed the wire to and from the host (SSH included), and the share of the sent
        # bytes that were requests and store items (see remote.transport's memo keys).
        self.traffic = {"sent": 0, "received": 0, "requests": 0, "items": 0}
        self.build_options: Dict[str, Any] = {}
        # The environment whose delegate gave the machine the work reaches, if any.
        self.reached_through: Optional[str] = None
        # In a dry run of a machine whose host does not exist yet: what would be created.
        self.planned_host: Optional[PlannedHost] = None
        self.stage = "untouched"
        self.stage_detail: Dict[str, Any] = {}
        self.warnings: List[str] = []
        self.interrupted = threading.Event()
        self._cached: Dict[Hashable, Any] = {}
        self._open: List[Any] = []
        self._finishing: List[Any] = []
        self._lock = threading.Lock()
        self._tokens: List[contextvars.Token] = []

    def phase(self, text: str) -> None:
        """Report the host's new phase (building, probing, waiting for a droplet...)."""
        if self._phase is not None:
            self._phase(text)

    def output(self, data: bytes) -> None:
        """Pass on bytes the host printed."""
        if self._output is not None:
            self._output(data)

    def set_output(self, output: Callable[[bytes], None]) -> None:
        """Send what the host prints to `output` from now on (to collect it)."""
        self._output = output

    def warn(self, text: str) -> None:
        """Add a warning to the host's report."""
        with self._lock:
            self.warnings.append(text)

    @property
    def deployment(self) -> Optional[str]:
        """The deployment of the command's spec, if known."""
        return self.options.deployment if self.options is not None else None

    def set_stage(self, stage: str, **detail: Any) -> None:
        """Record how far the host's deploy got (see `ui.deploy.interrupted`)."""
        with self._lock:
            self.stage = stage
            self.stage_detail = detail

    def connection(self, key: Hashable, open_: Callable[[], Any]) -> Any:
        """The open connection for `key`, opened with `open_()` the first time."""
        with self._lock:
            if key in self._cached:
                return self._cached[key]
        self._check_interrupted()
        transport = open_()
        with self._lock:
            if key in self._cached:  # opened meanwhile by another thread of this host
                other = self._cached[key]
            else:
                self._cached[key] = transport
                self._open.append(transport)
                other = None
        if other is not None:
            self.release(transport)
            return other
        if self.interrupted.is_set():
            self.release(transport)
            self._check_interrupted()
        return transport

    def new_connection(self, open_: Callable[[], Any], *, finish: bool = False) -> Any:
        """A connection of its own (not reused), closed by `release` or when the work ends.
        With `finish`, an interruption leaves it open, so that the short step begun on it
        (a confirmation) ends and says how it went."""
        self._check_interrupted()
        transport = open_()
        with self._lock:
            (self._finishing if finish else self._open).append(transport)
        if self.interrupted.is_set():
            self.release(transport)
            self._check_interrupted()
        return transport

    def release(self, transport: Any) -> None:
        """Close a connection now and count what it did."""
        with self._lock:
            for opened in (self._open, self._finishing):
                if transport in opened:
                    opened.remove(transport)
            for key, value in list(self._cached.items()):
                if value is transport:
                    del self._cached[key]
        self._close(transport)

    def close(self) -> None:
        """Close every connection the host's work opened."""
        with self._lock:
            opened = self._open + self._finishing
            self._open, self._finishing, self._cached = [], [], {}
        for transport in opened:
            self._close(transport)

    def interrupt(self) -> None:
        """Stop the host's work (from another thread): close its connections (but those of
        a step that must finish), so that what waits on the host returns, and refuse new
        ones."""
        self.interrupted.set()
        with self._lock:
            opened, self._open, self._cached = self._open, [], {}
        for transport in opened:
            self._close(transport)

    def _check_interrupted(self) -> None:
        if self.interrupted.is_set():
            raise KeyboardInterrupt("interrupted")

    def _close(self, transport: Any) -> None:
        self.connections += getattr(transport, "connections", 1)
        self.round_trips += getattr(transport, "round_trips", 0)
        sent, received = getattr(transport, "wire_bytes", (0, 0))
        memo = getattr(transport, "memo", {})
        for key, value in (("sent", sent), ("received", received),
                           ("requests", memo.get("request-bytes", 0)),
                           ("items", memo.get("item-bytes", 0))):
            self.traffic[key] += value
        try:
            transport.close()
        except Exception:
            # Closing is best effort: the host may be gone already, which its result says.
            pass

    def __enter__(self) -> "HostContext":
        self._tokens.append(_current.set(self))
        return self

    def __exit__(self, *exc) -> None:
        _current.reset(self._tokens.pop())
        self.close()


_current: contextvars.ContextVar[Optional[HostContext]] = contextvars.ContextVar(
    "lispdeploy_host", default=None)


def current_host() -> Optional[HostContext]:
    """The host context of this thread, or None outside any command's work on a host."""
    return _current.get()


def report_progress(text: str) -> None:
    """Show `text` as the current host's phase (what provisioning waits for, say)."""
    host = current_host()
    if host is not None:
        host.phase(text)


def within_host(machine: Machine, work: Callable[[HostContext], Any]) -> Any:
    """Run `work` in the current host context, or in a new one for the call (a call from a
    spec or from Python outside any command), whose connections close when it returns."""
    host = current_host()
    if host is not None:
        return work(host)
    with HostContext(machine.display_name) as host:
        return work(host)


# Generic entry points --------------------------------------------------------------------------

def _missing(machine: Machine, procedure: str) -> EnvironmentError_:
    return EnvironmentError_(
        f"machine '{machine.display_name}': {machine.environment.name} has neither a "
        f"{procedure} procedure nor a delegate", location=machine.environment.location or
        machine.location, hint=f"give the environment-type a ({procedure} ...) or a "
                               "(delegate ...) procedure")


def reach(machine: Machine, *, provision: bool = False) -> Machine:
    """The managed-host machine that reaches the machine's host: the environment's `delegate`
    (the host must exist), or with `provision` its `provision` (creating a missing host).
    A machine of an environment with neither is returned as it is."""
    environment = machine.environment
    procedure = environment.provision if provision and environment.provision is not None \
        else environment.delegate
    if procedure is None:
        return machine
    host = current_host()
    if host is not None:
        host.reached_through = environment.name
    return procedure(machine)


def machine_remote_eval(machine: Machine, gexp) -> Any:
    """`(machine-remote-eval machine gexp)`: evaluate a g-expression on the machine's host and
    return its value. An environment without its own procedure evaluates on the machine its
    `delegate` returns (as Guix's digital-ocean and hetzner environments do); evaluating never
    creates a host (a droplet costs money): only deploys do."""
    def work(host: HostContext) -> Any:
        environment = machine.environment
        if environment.machine_remote_eval is not None:
            return environment.machine_remote_eval(machine, gexp)
        target = reach(machine)
        if target is machine:
            raise _missing(machine, "machine-remote-eval")
        return machine_remote_eval(target, gexp)
    return within_host(machine, work)


def deploy_machine(machine: Machine) -> HostReport:
    """`(deploy-machine machine)`: deploy the machine (a dry run when the current deploy is
    one) and return its report; a failure is a report whose result is `failed`. An
    environment without its own procedure deploys the machine its `provision` returns (its
    `delegate` in a dry run, which creates nothing), with the system built as the
    environment's `build-options` say."""
    def work(host: HostContext) -> HostReport:
        environment = machine.environment
        if environment.deploy_machine is not None:
            return as_report(machine, environment.deploy_machine(machine))
        dry_run = host.options is not None and host.options.dry_run
        try:
            target = reach(machine, provision=not dry_run)
        except HostMissingError:
            if not dry_run or environment.plan_provision is None:
                raise
            # Nothing is created: the dry run plans the host provisioning would make.
            host.planned_host = environment.plan_provision(machine)
            target = host.planned_host.machine
        if target is machine:
            raise _missing(machine, "deploy-machine")
        if environment.build_options is not None:
            host.build_options = dict(environment.build_options(machine))
        return deploy_machine(target)
    return within_host(machine, work)


def roll_back_machine(machine: Machine) -> HostReport:
    """`(roll-back-machine machine)`: switch the machine's host to its previous generation;
    its report."""
    def work(host: HostContext) -> HostReport:
        environment = machine.environment
        if environment.roll_back_machine is not None:
            return as_report(machine, environment.roll_back_machine(machine))
        target = reach(machine)
        if target is machine:
            raise _missing(machine, "roll-back-machine")
        return roll_back_machine(target)
    return within_host(machine, work)


def as_report(machine: Machine, value: Any) -> HostReport:
    """What an environment's deploy or roll-back procedure returned, as the machine's report
    (a procedure of a spec may return anything: then the host counts as deployed)."""
    if isinstance(value, HostReport):
        value.host = machine.display_name
        return value
    return HostReport(machine.display_name, DEPLOYED)


__all__ = ["EnvironmentType", "Machine", "DeployOptions", "ProvisionedHost",
           "DeploymentCollision", "check_owner", "HostContext", "HostMissingError",
           "PlannedHost", "current_host", "within_host", "report_progress", "reach",
           "machine_remote_eval", "deploy_machine", "roll_back_machine", "as_report"]
