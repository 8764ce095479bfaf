"""`digital-ocean-configuration`: a droplet to provision (gnu/machine/digital-ocean.scm).
Guix requires `ssh-key` and `tags`; here `ssh-key` defaults to the user's default key and
`tags` to none (droplets are found again by name). Imports records and checks."""

from __future__ import annotations

from lispdeploy import checks
from lispdeploy.records import Field, Record


class DigitalOceanConfiguration(Record):
    """A DigitalOcean droplet: region, size, image, key and tags."""

    record_name = "digital-ocean-configuration"
    fields = (
        Field("ssh_key", None, check=checks.optional(checks.string, "a private key file")),
        Field("tags", (), check=checks.list_of(checks.string, "tag strings")),
        Field("region", check=checks.string),
        Field("size", check=checks.string),
        Field("enable_ipv6", False, check=checks.boolean, spec_name="enable-ipv6?"),
        Field("image", "debian-12-x64", check=checks.string),
    )
