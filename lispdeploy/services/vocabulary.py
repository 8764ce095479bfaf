"""The spec names of the service layer: `service-type`, `service-extension`,
`simple-service`, the sinks and their records (`etc-file`, `systemd-unit`,
`shepherd-service`), `%base-services`, and each catalogue module's service types.
Catalogue modules are listed in CATALOGUE; each exposes SPEC_VOCABULARY."""

from __future__ import annotations

import importlib

from lispdeploy.services import base, sinks
from lispdeploy.services.core import (Service, ServiceExtension, ServiceType, concatenate,
                                      fold_services, simple_service)
from lispdeploy.vocabulary import Vocabulary

# Catalogue modules (lispdeploy.services.<name>), each with SPEC_VOCABULARY.
# guix_system comes first: a catalogue module providing one of its services for real wins.
CATALOGUE = ("guix_system", "shepherd", "ssh", "networking", "web", "mcron", "databases", "php",
             "monitoring", "admin", "syslog", "certbot", "apt")


def _service_extension(target, compute, *, location=None):
    """`(service-extension TARGET COMPUTE)`."""
    return ServiceExtension(target=target, compute=compute, location=location)


def _simple_service(name, target, value, *, location=None):
    """`(simple-service NAME TARGET VALUE)`."""
    return simple_service(name, target, value, location=location)


_CORE = Vocabulary(
    records=(ServiceType, sinks.EtcFile, sinks.SystemdUnit, sinks.SpecialFile,
             base.LoginConfiguration,
             base.SysctlConfiguration, base.JournaldConfiguration),
    procedures={"service-extension": _service_extension, "simple-service": _simple_service,
                "extra-special-file": sinks.extra_special_file},
    values={
        "system-service-type": base.system_service_type,
        "etc-service-type": base.etc_service_type,
        "account-service-type": base.account_service_type,
        "activation-service-type": base.activation_service_type,
        "shepherd-root-service-type": base.shepherd_root_service_type,
        "profile-service-type": base.profile_service_type,
        "special-files-service-type": sinks.special_files_service_type,
        "host-settings-service-type": base.host_settings_service_type,
        "login-service-type": base.login_service_type,
        "journald-service-type": base.journald_service_type,
        "sysctl-service-type": base.sysctl_service_type,
        "%base-services": base.BASE_SERVICES,
        # SRFI-1's, which service types use as their compose procedure.
        "concatenate": lambda lists: list(concatenate(lists)),
        "service?": lambda v: isinstance(v, Service),
        "service-kind": lambda s: s.kind,
        "service-value": lambda s: s.value,
        "fold-services": lambda services, target_type=base.system_service_type:
            fold_services(services, target_type),
    },
    modules=(("gnu", "services"), ("gnu", "services", "base"), ("gnu", "services", "sysctl")),
)

SPEC_VOCABULARY = (_CORE,) + tuple(
    v for name in CATALOGUE
    for v in importlib.import_module(f"lispdeploy.services.{name}").SPEC_VOCABULARY)
