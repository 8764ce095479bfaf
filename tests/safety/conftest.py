"""Safety tests: container hosts created by the deploys themselves (see deploy_hosts)."""

from deploy_hosts import world  # noqa: F401
