"""`managed-host-environment-type`: hosts that already exist and are reached over SSH.

Its three procedures are Guix's: `machine-remote-eval` evaluates over the host context's
connection to the host (one per host and command, reused by every step), `deploy-machine` is
the managed host's deploy (`managed_host.deploy`, Guix's `deploy-managed-host`), and
`roll-back-machine` switches the host to its previous generation. The procedures import SSH
and the deploy machinery when called, so that loading a spec does not pay for them.
"""

from __future__ import annotations

from typing import Any

from lispdeploy.environments.managed_host.configuration import MachineSshConfiguration
from lispdeploy.machine import EnvironmentType, HostContext, Machine, current_host, within_host


def open_transport(machine: Machine, *, name: str = "", **options: Any):
    """A new SSH connection to a managed-host machine, as its configuration says; `name` is
    the host's name in messages (the machine's host name by default). `options` go to
    `SshTransport.connect` (timeout, keepalive, known_hosts, host_key_source). When the
    machine stands for the host of another environment (a container, a droplet), messages
    about its host key say that the key comes from that environment."""
    from lispdeploy.remote.ssh import SshTransport
    config: MachineSshConfiguration = machine.configuration
    host = current_host()
    if host is not None and host.reached_through:
        options.setdefault("host_key_source", f"the host key {host.reached_through} gives for it")
    return SshTransport.connect(config.host_name, port=config.port, user=config.user,
                                identity=config.identity_path, host_key=config.host_key,
                                name=name or machine.display_name,
                                location=config.location or machine.location, **options)


def connection(machine: Machine, host: HostContext):
    """The host context's connection to the machine's host, opened on first use."""
    config: MachineSshConfiguration = machine.configuration
    key = ("ssh", config.host_name, config.port, config.user, config.identity_path,
           config.host_key)
    return host.connection(key, lambda: open_transport(machine))


def _remote_eval(machine: Machine, gexp) -> Any:
    """`machine-remote-eval` for managed hosts, over the host context's connection; what the
    host prints goes to the context's output."""
    from lispdeploy.remote.eval import remote_eval
    return within_host(machine, lambda host: remote_eval(connection(machine, host), gexp,
                                                         on_stderr=host.output))


def _deploy(machine: Machine):
    from lispdeploy.environments.managed_host import deploy
    return deploy.deploy_managed_host(machine)


def _roll_back(machine: Machine):
    from lispdeploy.environments.managed_host import deploy
    return deploy.roll_back_managed_host(machine)


managed_host_environment_type = EnvironmentType(
    name="managed-host-environment-type",
    description="Hosts that already run and are reachable over SSH.",
    machine_remote_eval=_remote_eval,
    deploy_machine=_deploy,
    roll_back_machine=_roll_back,
    configuration_type=MachineSshConfiguration,
)
