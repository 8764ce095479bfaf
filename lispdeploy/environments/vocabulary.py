"""The spec names of machines and environments: `machine`, `machine-ssh-configuration`,
`environment-type`, the environment types and their configuration records, `health-check`,
`deployment`, and Guix's generic
procedures `machine-remote-eval`, `deploy-machine` and `roll-back-machine`."""

from __future__ import annotations

from lispdeploy.environments.container.configuration import ContainerConfiguration
from lispdeploy.environments.container.environment import container_environment_type
from lispdeploy.environments.digital_ocean import (DigitalOceanConfiguration,
                                                  digital_ocean_environment_type)
from lispdeploy.environments.managed_host import (MachineSshConfiguration,
                                                  managed_host_environment_type)
from lispdeploy.health_checks import HealthCheck
from lispdeploy.machine import (DeploymentDeclaration, EnvironmentType, Machine, deploy_machine,
                                machine_remote_eval, roll_back_machine)
from lispdeploy.vocabulary import Vocabulary

SPEC_VOCABULARY = (Vocabulary(
    records=(Machine, MachineSshConfiguration, EnvironmentType, ContainerConfiguration,
             DigitalOceanConfiguration, HealthCheck, DeploymentDeclaration),
    values={
        "managed-host-environment-type": managed_host_environment_type,
        "digital-ocean-environment-type": digital_ocean_environment_type,
        "container-environment-type": container_environment_type,
        "machine-remote-eval": machine_remote_eval,
        "deploy-machine": deploy_machine,
        "roll-back-machine": roll_back_machine,
        "machine-display-name": lambda m: m.display_name,
    },
    modules=(("gnu", "machine"), ("gnu", "machine", "ssh"), ("gnu", "machine", "digital-ocean"),
             ("gnu", "machine", "container")),
),)
