"""`managed-host-environment-type`: hosts that already exist and are reached over SSH.

The procedures import the remote and deploy layers when called, so that loading a spec does
not pay for SSH. Imports machine and environments.ssh_configuration at load time.
"""

from __future__ import annotations

from typing import Any

from lispdeploy.environments.ssh_configuration import MachineSshConfiguration
from lispdeploy.machine import EnvironmentType, Machine


def open_transport(machine: Machine, *, name: str = "", **options: Any):
    """An SSH connection to a managed-host machine, as its configuration says; `name` is the
    host's name in messages (the machine's host name by default). `options` go to
    `SshTransport.connect` (timeout, keepalive, known_hosts)."""
    from lispdeploy.remote.ssh import SshTransport
    config: MachineSshConfiguration = machine.configuration
    return SshTransport.connect(config.host_name, port=config.port, user=config.user,
                                identity=config.identity_path, host_key=config.host_key,
                                name=name or machine.display_name,
                                location=config.location or machine.location, **options)


def _remote_eval(machine: Machine, gexp, *, transport=None, lowerer=None, on_stderr=None):
    """`machine-remote-eval` for managed hosts: over `transport` when given (a connection the
    caller reuses for several steps), else over a connection opened for this call."""
    from lispdeploy.remote.eval import remote_eval
    if transport is not None:
        return remote_eval(transport, gexp, lowerer=lowerer, on_stderr=on_stderr)
    with open_transport(machine) as opened:
        return remote_eval(opened, gexp, lowerer=lowerer, on_stderr=on_stderr)


managed_host_environment_type = EnvironmentType(
    name="managed-host-environment-type",
    description="Hosts that already run and are reachable over SSH.",
    machine_remote_eval=_remote_eval,
    configuration_type=MachineSshConfiguration,
)
