"""`managed-host-environment-type`: hosts that already exist and are reached over SSH.

The procedures import the remote and deploy layers when called, so that loading a spec does
not pay for SSH. Imports machine and environments.ssh_configuration at load time.
"""

from __future__ import annotations

from lispdeploy.environments.ssh_configuration import MachineSshConfiguration
from lispdeploy.machine import EnvironmentType

managed_host_environment_type = EnvironmentType(
    name="managed-host-environment-type",
    description="Hosts that already run and are reachable over SSH.",
    configuration_type=MachineSshConfiguration,
)
