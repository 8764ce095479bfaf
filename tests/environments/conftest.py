"""Environment tests: machines deployed as users write them (deploy_hosts) and the fake
DigitalOcean API (digital_ocean_fake)."""

from deploy_hosts import world  # noqa: F401
from digital_ocean_fake import digital_ocean  # noqa: F401
