"""`digital-ocean-environment-type`: machines that are DigitalOcean droplets.

Deploying such a machine finds its droplet again (by name and tags) or creates it, waits until
it is active and answers over SSH (`provision`), then deploys to it exactly like a managed
host: `delegate` gives the managed-host machine that reaches it (root at its public IPv4, the configuration's
ssh-key, and the host key lispdeploy gave the droplet when it created it). `lispdeploy destroy`
deletes the droplet (`destroy_machine`). Nothing of Guix's DigitalOcean assumptions (a
Guix System installed over Debian, /dev/vda, eth0) applies: lispdeploy deploys onto the
droplet's own Debian.

Imports machine and the configuration record at load time; the API client (requests) and SSH
only when a droplet is reached, so that loading a spec stays fast.
"""

from __future__ import annotations

from lispdeploy.environments.digital_ocean.configuration import DigitalOceanConfiguration
from lispdeploy.errors import LispdeployError
from lispdeploy.machine import EnvironmentType, Machine, report_progress


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
    from lispdeploy.environments.digital_ocean.api import DigitalOceanApi
    from lispdeploy.environments.digital_ocean.provisioning import Provisioner, managed_machine
    from lispdeploy.environments.digital_ocean.state import DropletState
    config: DigitalOceanConfiguration = machine.configuration
    subject = f"droplet {machine.display_name}"
    try:
        with DigitalOceanApi.from_environment(subject) as api:
            identity = keys.user_key_path(config.ssh_key, subject)
            state = DropletState.of(machine.display_name)
            with state.lock():
                droplet, host_key = Provisioner(machine, api, state,
                                                progress=report_progress).ready(identity,
                                                                                create=create)
    except LispdeployError as error:
        raise _located(error, machine)
    return managed_machine(machine, droplet.public_ipv4 or "", host_key, identity)


def destroy(machine: Machine) -> bool:
    """Delete the machine's droplet and what lispdeploy kept about it; False if it had
    none."""
    from lispdeploy.environments.digital_ocean.api import DigitalOceanApi
    from lispdeploy.environments.digital_ocean.provisioning import Provisioner
    from lispdeploy.environments.digital_ocean.state import DropletState
    try:
        with DigitalOceanApi.from_environment(f"droplet {machine.display_name}") as api:
            state = DropletState.of(machine.display_name)
            with state.lock():
                return bool(Provisioner(machine, api, state).destroy())
    except LispdeployError as error:
        raise _located(error, machine)


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
    configuration_type=DigitalOceanConfiguration,
)
