"""The `digital_ocean` fixture: lispdeploy's stand-in for DigitalOcean's API
(lispdeploy.environments.digital_ocean.stand_in), with droplets that are this session's
container hosts.

    def test_something(digital_ocean, world):
        fake = digital_ocean                  # fake.url, fake.token, fake.environment()
        ...                                   # run lispdeploy with fake.environment()
        assert fake.creations == 2            # POST /v2/droplets answered with a droplet

Its container hosts are named like the fleet's and destroyed after the test, also when it
fails; the session's fleet destroys any that teardown missed.
"""

from __future__ import annotations

import pytest

from lispdeploy.environments.digital_ocean.stand_in import Fault, FakeDigitalOcean  # noqa: F401


@pytest.fixture
def digital_ocean(container_fleet):
    """A fake DigitalOcean account and API server; its container hosts are destroyed after
    the test."""
    fake = FakeDigitalOcean(container_fleet.engine, container_fleet.new_name)
    try:
        yield fake
    finally:
        fake.close()
