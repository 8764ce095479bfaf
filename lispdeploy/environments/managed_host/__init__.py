"""Managed hosts: hosts that exist and are reached over SSH (gnu/machine/ssh.scm).

    configuration   machine-ssh-configuration, the record a spec writes
    environment     managed-host-environment-type: its three procedures, SSH connections
    deploy          the managed host's deploy (Guix's deploy-managed-host) and roll-back
    checks          the deploy's checks, judged on the controller from the probe's answers

Importing this package imports neither SSH nor the deploy machinery.
"""

from lispdeploy.environments.managed_host.configuration import MachineSshConfiguration
from lispdeploy.environments.managed_host.environment import (managed_host_environment_type,
                                                              open_transport)

__all__ = ["MachineSshConfiguration", "managed_host_environment_type", "open_transport"]
