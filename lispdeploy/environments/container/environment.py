"""`container-environment-type`: machines that are local container hosts.

Deploying a machine of this type creates its container host if missing (from the
configuration's image: the minimal image of this machine's Debian release unless it says
otherwise, built on first use), starts it if stopped (`provision`), then deploys over SSH
exactly like a managed host: `delegate` gives the
managed-host machine that reaches it (its loopback address, the key lispdeploy generated, the
host key lispdeploy recorded when it created the host). The system is built to listen on the
host's own address, and the safety checks skip block devices, which a container has none of.

Hosts created from a spec are kept until `lispdeploy destroy`; with LISPDEPLOY_CONTAINER_OWNER
set (tests), they belong to that process and are cleaned up with its other leftovers.
No SSH here: the engine is imported when a host is first needed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from lispdeploy.environments import deploy_options
from lispdeploy.environments.container.configuration import (ContainerConfiguration,
                                                             default_name, mapping)
from lispdeploy.environments.managed_host import (MachineSshConfiguration,
                                                  managed_host_environment_type)
from lispdeploy.errors import EnvironmentError_, HostMissingError
from lispdeploy.machine import (EnvironmentType, Machine, PlannedHost, ProvisionedHost,
                                check_owner, current_host, report_progress)

if TYPE_CHECKING:
    from lispdeploy.environments.container.engine import ContainerEngine
    from lispdeploy.environments.container.info import ContainerInfo

_engine: Optional["ContainerEngine"] = None


def engine() -> "ContainerEngine":
    """The container engine of this process (state under /var/lib/lispdeploy/containers,
    or LISPDEPLOY_CONTAINER_DIR)."""
    global _engine
    if _engine is None:
        # Imported here: loading a spec must not pay for the engine.
        from lispdeploy.environments.container.engine import ContainerEngine
        directory = os.environ.get("LISPDEPLOY_CONTAINER_DIR")
        _engine = ContainerEngine(directory) if directory else ContainerEngine()
    return _engine


def container_name(machine: Machine) -> str:
    """The container's name: the configuration's `name`, else the machine's host name."""
    config: ContainerConfiguration = machine.configuration
    return config.name or default_name(machine.display_name)


def image_of(machine: Machine) -> str:
    """The image the machine's host is made from, as the engine takes it: "debian-12",
    "machine", or an absolute path (a relative one is relative to the spec)."""
    config: ContainerConfiguration = machine.configuration
    from lispdeploy.environments.container import images
    if config.image is None:
        try:
            return images.default_image()
        except EnvironmentError_ as error:
            raise EnvironmentError_(f"machine '{machine.display_name}': {error.message}",
                                    location=config.location, hint=error.hint) from None
    if config.image in images.release_names() or config.image == images.MACHINE:
        return config.image
    base = os.path.dirname(config.location.file) if config.location is not None and \
        config.location.file else os.getcwd()
    return os.path.normpath(os.path.join(base, config.image))


def provision(machine: Machine) -> Machine:
    """The machine's `provision`: its container host, created if missing and started if
    stopped; the managed-host machine that reaches it."""
    host = current_host()
    options = host.options if host is not None else None
    return _reaching(machine, started(machine, deployment=host.deployment if host else None,
                                      spec=options.spec_path if options else None))


def started(machine: Machine, *, deployment: Optional[str] = None,
            spec: Optional[str] = None) -> "ContainerInfo":
    """The machine's container host, created if missing (from its image, built first if
    needed, each step shown as the host's phase; recording `deployment` and `spec`) and
    started if stopped. A host of another deployment is refused; one made before
    deployments were recorded becomes `deployment`'s."""
    config: ContainerConfiguration = machine.configuration
    name = container_name(machine)
    image = image_of(machine)
    info = engine().get(name)
    if info is not None:
        check_owner(machine, _provisioned(info), deployment)
    if info is not None and config.address and info.address != config.address:
        raise EnvironmentError_(
            f"machine '{machine.display_name}': container host '{name}' exists with address "
            f"{info.address}, but the spec says {config.address}",
            location=config.location,
            hint=f"destroy it first (lispdeploy destroy SPEC --on {machine.display_name}), or "
                 "keep its address")
    if info is not None and config.image is not None and info.image != image:
        raise EnvironmentError_(
            f"machine '{machine.display_name}': container host '{name}' exists, made from "
            f"image {info.image}, but the spec says {image}",
            location=config.location,
            hint=f"destroy it first (lispdeploy destroy SPEC --on {machine.display_name}) to "
                 "make it again from the new image")
    if info is None:
        binds = [mapping(b, True) for b in config.binds] + [
            mapping(b, False) for b in config.read_only_binds]
        owner = _test_owner()
        try:
            info = engine().create(name, config.address, host_name=machine.display_name,
                                   binds=binds, memory_max=config.memory_max,
                                   ephemeral=owner is not None, owner=owner, image=image,
                                   progress=report_progress, deployment=deployment,
                                   spec=_absolute(spec))
        except EnvironmentError_ as error:
            if error.location is not None or not error.message.startswith("image"):
                raise
            raise EnvironmentError_(error.message, location=config.location,
                                    hint=error.hint) from None
    elif deployment is not None and (info.deployment, info.spec) != (deployment,
                                                                      _absolute(spec)):
        if info.deployment is None:
            _warn(f"container host {name} was made before lispdeploy recorded deployments: "
                  f"it now belongs to deployment '{deployment}'")
        info = engine().claim(name, deployment, _absolute(spec))
    if not info.running:
        info = engine().start(name)
    return info


def _absolute(path: Optional[str]) -> Optional[str]:
    return os.path.abspath(path) if path else None


def _warn(text: str) -> None:
    host = current_host()
    if host is not None:
        host.warn(text)


def _test_owner() -> Optional[int]:
    owner = os.environ.get("LISPDEPLOY_CONTAINER_OWNER")
    return int(owner) if owner and owner.isdigit() else None


def delegate(machine: Machine) -> Machine:
    """The machine's `delegate`: the managed-host machine that reaches its running container
    host over SSH (a host that is missing or stopped is an error: only deploys create and
    start hosts; a host of another deployment is refused)."""
    info = engine().get(container_name(machine))
    if info is not None:
        host = current_host()
        check_owner(machine, _provisioned(info), host.deployment if host else None)
    if info is None or not info.running:
        raise HostMissingError(
            f"machine '{machine.display_name}': its container host is "
            f"{'not created yet' if info is None else 'not running'}",
            location=machine.location,
            hint="deploy the spec (which creates and starts it) or run lispdeploy container "
                 "start SPEC")
    return _reaching(machine, info)


def plan_provision(machine: Machine) -> PlannedHost:
    """The machine's `plan-provision`: the container host `provision` would create, for a dry
    run (no host is created). A fresh host is an overlay of its image, so the facts of the
    image's files are the fresh host's; an image not built yet is built first (once, as the
    first deploy would). A host that exists but is stopped is not planned for: its own disk
    is only readable once it runs."""
    config: ContainerConfiguration = machine.configuration
    name = container_name(machine)
    if engine().get(name) is not None:
        raise HostMissingError(
            f"machine '{machine.display_name}': its container host is not running",
            location=machine.location, hint="start it (lispdeploy container start SPEC), then "
                                            "run the dry run again")
    image = engine().images.get(image_of(machine), progress=report_progress)
    lower = image.root
    description = {"kind": "container host", "name": name,
                   "address": config.address or "a free loopback address, chosen when it is "
                                                "created",
                   "image": "an overlay of this machine's file system" if lower == "/"
                   else f"{image.name} ({lower})"}
    ssh = MachineSshConfiguration(host_name=config.address or "127.0.0.1",
                                  location=config.location, **deploy_options.carried(config))
    from lispdeploy.environments.container.disk import identity_files
    return PlannedHost(description, machine.replace(environment=managed_host_environment_type,
                                                    configuration=ssh),
                       root=lower, host_name=machine.display_name,
                       written=identity_files(machine.display_name, config.address))


def _reaching(machine: Machine, info: "ContainerInfo") -> Machine:
    config: ContainerConfiguration = machine.configuration
    ssh = MachineSshConfiguration(host_name=info.address, identity=info.identity,
                                  host_key=info.host_key, port=info.port, user=info.user,
                                  location=config.location, **deploy_options.carried(config))
    return machine.replace(environment=managed_host_environment_type, configuration=ssh)


def build_options(machine: Machine) -> Dict[str, Any]:
    """How this machine's system is built: listening on the host's own address."""
    config: ContainerConfiguration = machine.configuration
    info = engine().get(container_name(machine))
    address = config.address or (info.address if info is not None else None)
    return {"listen_address": address, "container": True}


def _provisioned(info: "ContainerInfo") -> ProvisionedHost:
    what = (f"container host {info.name} ({info.address}, {info.state}; its disk "
            f"{info.directory})")
    return ProvisionedHost(ENVIRONMENT, info.name, what, info.deployment, key=info.name)


def find_host(machine: Machine) -> Optional[ProvisionedHost]:
    """The machine's container host, if it has one."""
    info = engine().get(container_name(machine))
    return _provisioned(info) if info is not None else None


def deployment_hosts(deployment: str) -> List[ProvisionedHost]:
    """Every container host `deployment` created (with LISPDEPLOY_CONTAINER_OWNER set, only
    that process's: concurrent test runs may each have a deployment of the same name)."""
    owner = _test_owner()
    return [_provisioned(info) for info in engine().list() if info.deployment == deployment
            and (owner is None or info.owner == owner)]


def destroy_host(found: ProvisionedHost) -> None:
    """Stop a container host and remove its disk and state."""
    engine().destroy(found.key, missing_ok=True)


def destroy(machine: Machine) -> bool:
    """Remove the machine's container host (disk included); False if it had none."""
    found = find_host(machine)
    if found is None:
        return False
    destroy_host(found)
    return True


ENVIRONMENT = "container-environment-type"

container_environment_type = EnvironmentType(
    name=ENVIRONMENT,
    description="Local container hosts: systemd machines booted with systemd-nspawn on an "
                "overlay of an image (a minimal Debian, a root file system, or this machine's "
                "/), each on its own loopback address.",
    delegate=delegate,
    provision=provision,
    destroy_machine=destroy,
    find_host=find_host,
    deployment_hosts=deployment_hosts,
    destroy_host=destroy_host,
    plan_provision=plan_provision,
    build_options=build_options,
    configuration_type=ContainerConfiguration,
)
