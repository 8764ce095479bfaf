"""The sinks every system has, and `%base-services`.

Every service ultimately extends one of these sinks, which all extend the root,
`system-service-type`:
    etc-service-type          files under /etc: (path, file-like) pairs
    account-service-type      user-account and user-group records
    activation-service-type   g-expressions run, in order, when a generation is activated
    shepherd-root-service-type  daemons: shepherd-service records, run as systemd units
    profile-service-type      packages installed with the host's package manager
The sinks have default values, so folding instantiates any that a spec leaves out.

Imports services.core, records, checks.
"""

from __future__ import annotations

from lispdeploy.services.core import (ServiceExtension, ServiceType, concatenate, service)


def _merge_system(_value, contributions):
    merged = {}
    for name, value in contributions:
        merged[name] = tuple(merged.get(name, ())) + tuple(value)
    return merged


system_service_type = ServiceType(
    name="system",
    compose=list,
    extend=_merge_system,
    default_value={},
    description="The root of the service graph: what one system generation consists of.")


def _sink(name: str, entry: str, description: str) -> ServiceType:
    return ServiceType(
        name=name,
        extensions=(ServiceExtension(target=system_service_type,
                                     compute=lambda value, entry=entry: (entry, value)),),
        compose=concatenate,
        extend=lambda value, extra: tuple(value) + tuple(extra),
        default_value=(),
        description=description)


etc_service_type = _sink("etc", "etc", "Files under /etc, as (path file-like) pairs.")
account_service_type = _sink("account", "accounts", "User accounts and groups.")
activation_service_type = _sink("activation", "activation",
                                "G-expressions run when a generation is activated.")
shepherd_root_service_type = _sink("shepherd-root", "units",
                                   "Daemons (shepherd-service records), run as systemd units.")
profile_service_type = _sink("profile", "packages",
                             "Packages installed with the host's package manager.")

SINKS = (etc_service_type, account_service_type, activation_service_type,
         shepherd_root_service_type, profile_service_type)

BASE_SERVICES = tuple(service(kind) for kind in SINKS)
