"""`digital-ocean-environment-type`: machines that are DigitalOcean droplets.

Deploying such a machine finds its droplet again (by name and tags) or creates it, waits until
it is active and answers over SSH (`provision`), then deploys to it exactly like a managed
host: `delegate` gives the managed-host machine that reaches it (root at its public IPv4, the
configuration's ssh-key, and the host key lispdeploy gave the droplet when it created it).
Droplets carry the tag of the deployment that created them: `find_host`, `deployment_hosts`
and `destroy_host` are what `lispdeploy destroy` and `prune` list and delete. Nothing of Guix's DigitalOcean assumptions (a
Guix System installed over Debian, /dev/vda, eth0) applies: lispdeploy deploys onto the
droplet's own Debian.

The API client (requests) and SSH are imported only when a droplet is reached, so that
loading a spec stays fast.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional

from lispdeploy.environments.digital_ocean.configuration import DigitalOceanConfiguration
from lispdeploy.errors import LispdeployError
from lispdeploy.machine import (EnvironmentType, HostContext, Machine, PlannedHost,
                                ProvisionedHost, current_host)

if TYPE_CHECKING:
    from lispdeploy.environments.digital_ocean.provisioning import Provisioner


def provision(machine: Machine) -> Machine:
    """The machine's `provision`: the managed-host machine that reaches its droplet, creating
    the droplet if it is missing; what provisioning waits for shows as the host's phase."""
    return _reach(machine, create=True)


def delegate(machine: Machine) -> Machine:
    """The machine's `delegate`: the managed-host machine that reaches its existing droplet
    (a missing droplet is an error: only deploys create droplets, which cost money)."""
    return _reach(machine, create=False)


def _reach(machine: Machine, *, create: bool) -> Machine:
    from lispdeploy.environments.digital_ocean import keys
    from lispdeploy.environments.digital_ocean.provisioning import managed_machine
    config: DigitalOceanConfiguration = machine.configuration
    subject = f"droplet {machine.display_name}"
    host = current_host()
    with _provisioner(machine, host) as provisioner:
        identity = keys.user_key_path(config.ssh_key, subject)
        with provisioner.state.lock():
            droplet, host_key = provisioner.ready(identity, create=create)
    return managed_machine(machine, droplet.public_ipv4 or "", host_key, identity)


@contextlib.contextmanager
def _provisioner(machine: Machine, host: Optional[HostContext] = None, *,
                 deployment: Optional[str] = None) -> Iterator["Provisioner"]:
    """A provisioner of the machine's droplet over a new API client, with errors located at
    the machine's configuration; progress and warnings go to the host context."""
    from lispdeploy.environments.digital_ocean.api import DigitalOceanApi
    from lispdeploy.environments.digital_ocean.provisioning import Provisioner
    from lispdeploy.environments.digital_ocean.state import DropletState
    progress = host.phase if host is not None else None
    try:
        with DigitalOceanApi.from_environment(f"droplet {machine.display_name}",
                                              on_retry=progress) as api:
            yield Provisioner(machine, api, DropletState.of(machine.display_name),
                              progress=progress,
                              deployment=host.deployment if host is not None else deployment,
                              warn=host.warn if host is not None else None,
                              interrupted=host.interrupted if host is not None else None)
    except LispdeployError as error:
        raise _located(error, machine)


def plan_provision(machine: Machine) -> PlannedHost:
    """The machine's `plan-provision`: the droplet `provision` would create, for a dry run
    (nothing is created, nothing costs money). The facts of a DigitalOcean image are not
    known here: the plan is for an empty host."""
    from lispdeploy.environments import deploy_options
    from lispdeploy.environments.managed_host import (MachineSshConfiguration,
                                                      managed_host_environment_type)
    config: DigitalOceanConfiguration = machine.configuration
    description = {"kind": "droplet", "name": machine.display_name, "region": config.region,
                   "size": config.size, "image": config.image}
    if config.tags:
        description["tags"] = list(config.tags)
    ssh = MachineSshConfiguration(host_name="0.0.0.0", location=config.location,
                                  **deploy_options.carried(config))
    return PlannedHost(description, machine.replace(environment=managed_host_environment_type,
                                                    configuration=ssh))


def destroy(machine: Machine) -> bool:
    """Delete the machine's droplet and what lispdeploy kept about it; False if it had
    none."""
    with _provisioner(machine) as provisioner:
        with provisioner.state.lock():
            return bool(provisioner.destroy())


def find_host(machine: Machine) -> Optional[ProvisionedHost]:
    """The machine's droplet, as destroy lists it, or None."""
    with _provisioner(machine) as provisioner:
        droplet = provisioner.find()
        return provisioner.provisioned(droplet) if droplet is not None else None


def deployment_hosts(deployment: str) -> List[ProvisionedHost]:
    """Every droplet carrying the deployment's tag."""
    from lispdeploy.environments.digital_ocean.api import DigitalOceanApi
    from lispdeploy.environments.digital_ocean.provisioning import (DEPLOYMENT_TAG,
                                                                    provisioned_host)
    with DigitalOceanApi.from_environment(f"deployment {deployment}") as api:
        return [provisioned_host(d) for d in api.droplets(DEPLOYMENT_TAG + deployment)]


def destroy_host(found: ProvisionedHost) -> None:
    """Delete a droplet, and what lispdeploy kept about it if it is that droplet's."""
    from lispdeploy.environments.digital_ocean.api import DigitalOceanApi
    from lispdeploy.environments.digital_ocean.state import DropletState
    with DigitalOceanApi.from_environment(f"droplet {found.name}") as api:
        state = DropletState.of(found.name)
        with state.lock():
            api.delete_droplet(found.key)
            if state.droplet_id() in (None, found.key):
                state.remove()


def build_options(machine: Machine) -> Dict[str, Any]:
    """How the machine's system is built. A droplet at a loopback address is a container
    host of the stand-in (stand_in.py), sharing this machine's loopback interface: its
    services bind to its own address and it has no block devices to check, as for
    container-environment-type. A real droplet's address never is."""
    from lispdeploy.environments.digital_ocean.state import DropletState
    record = DropletState.of(machine.display_name).record() or {}
    address = str(record.get("public_ipv4") or "")
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = False
    return {"listen_address": address, "container": True} if loopback else {}


def _located(error: LispdeployError, machine: Machine) -> LispdeployError:
    """The error, pointing at the machine's configuration in the spec if it points nowhere."""
    if error.location is None:
        error.location = machine.configuration.location or machine.location
    return error


digital_ocean_environment_type = EnvironmentType(
    name="digital-ocean-environment-type",
    description='Provisioning of "droplets": virtual machines provided by the DigitalOcean '
                "virtual private server (VPS) service.",
    delegate=delegate,
    provision=provision,
    destroy_machine=destroy,
    find_host=find_host,
    deployment_hosts=deployment_hosts,
    destroy_host=destroy_host,
    build_options=build_options,
    plan_provision=plan_provision,
    configuration_type=DigitalOceanConfiguration,
)
