"""`digital-ocean-environment-type`: droplets provisioned through DigitalOcean's HTTP API.

Imports machine and the configuration record at load time; the API client (requests) only
when a droplet is provisioned.
"""

from __future__ import annotations

from lispdeploy.environments.digital_ocean_configuration import DigitalOceanConfiguration
from lispdeploy.machine import EnvironmentType

digital_ocean_environment_type = EnvironmentType(
    name="digital-ocean-environment-type",
    description='Provisioning of "droplets": virtual machines provided by the DigitalOcean '
                "virtual private server (VPS) service.",
    configuration_type=DigitalOceanConfiguration,
)
