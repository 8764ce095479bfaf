"""The spec names of machines and environments: `machine`, `machine-ssh-configuration`,
`environment-type`, the environment types and their configuration records."""

from __future__ import annotations

from lispdeploy.environments.container.environment import container_environment_type
from lispdeploy.environments.container_configuration import ContainerConfiguration
from lispdeploy.environments.digital_ocean import (DigitalOceanConfiguration,
                                                  digital_ocean_environment_type)
from lispdeploy.environments.managed_host import managed_host_environment_type
from lispdeploy.environments.ssh_configuration import MachineSshConfiguration
from lispdeploy.machine import EnvironmentType, Machine, machine_remote_eval
from lispdeploy.vocabulary import Vocabulary

SPEC_VOCABULARY = (Vocabulary(
    records=(Machine, MachineSshConfiguration, EnvironmentType, ContainerConfiguration,
             DigitalOceanConfiguration),
    values={
        "managed-host-environment-type": managed_host_environment_type,
        "digital-ocean-environment-type": digital_ocean_environment_type,
        "container-environment-type": container_environment_type,
        "machine-remote-eval": machine_remote_eval,
        "machine-display-name": lambda m: m.display_name,
    },
    modules=(("gnu", "machine"), ("gnu", "machine", "ssh"), ("gnu", "machine", "digital-ocean"),
             ("gnu", "machine", "container")),
),)
