"""`digital-ocean-configuration`: a droplet to provision (gnu/machine/digital-ocean.scm).

Guix requires every field; here `ssh-key` defaults to the user's default key, `tags` to none
(droplets are found again by name and lispdeploy's own tag), `image` to Debian 12, and the
deploy options every configuration shares (`system`, `safety-checks?`, `allow-downgrades?`)
and the provisioning bound (`provisioning-timeout`) are added.
"""

from __future__ import annotations

import re

from lispdeploy import checks
from lispdeploy.environments import deploy_options
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds

# DigitalOcean's rule for tag names (its API refuses anything else with a 422).
_TAG = re.compile(r"^[A-Za-z0-9:_\-]{1,255}$")


def _tag(value):
    text = checks.string(value)
    if not _TAG.match(text):
        raise TypeError("tags of letters, digits, ':', '-' and '_' (DigitalOcean's rule)")
    return text


def _seconds(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return value
    raise TypeError("a number of seconds greater than 0")


class DigitalOceanConfiguration(Record):
    """A DigitalOcean droplet: region, size, image, key and tags."""

    record_name = "digital-ocean-configuration"
    fields = (
        Field("ssh_key", None, check=checks.optional(kinds.line, "a private key file"),
              doc="the private key root logs in with; its public key is registered in the "
                  "account if missing; #f: ~/.ssh/id_ed25519, else ~/.ssh/id_rsa"),
        Field("tags", (), check=checks.list_of(_tag, "tag strings"),
              doc="tags the droplet gets, besides lispdeploy's own"),
        Field("region", check=kinds.word),
        Field("size", check=kinds.word),
        Field("enable_ipv6", False, check=checks.boolean, spec_name="enable-ipv6?"),
        Field("image", "debian-12-x64", check=kinds.word),
        Field("provisioning_timeout", 600, check=_seconds,
              doc="how long a new droplet may take to become active and answer over SSH"),
        *deploy_options.fields(),
    )
