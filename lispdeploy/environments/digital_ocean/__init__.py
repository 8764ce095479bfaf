"""DigitalOcean droplets as machines: `digital-ocean-environment-type` and its
`digital-ocean-configuration` (see docs/environments.md, "DigitalOcean droplets").

    configuration   the record a spec writes
    environment     the environment type: delegate (find or create, wait) and destroy
    provisioning    finding, creating, waiting for and deleting one machine's droplet
    api             DigitalOcean's HTTP API (the only module that imports requests)
    keys            the user's SSH key, droplet host keys, cloud-init user data
    state           what the controller keeps about each droplet (host key, id)

Importing this package imports neither requests nor SSH: only the record and the type.
"""

from lispdeploy.environments.digital_ocean.configuration import DigitalOceanConfiguration
from lispdeploy.environments.digital_ocean.environment import digital_ocean_environment_type

__all__ = ["DigitalOceanConfiguration", "digital_ocean_environment_type"]
