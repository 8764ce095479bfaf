"""`certbot-service-type` (gnu/services/certbot.scm): certificates from an ACME server (Let's
Encrypt by default) for nginx, with Guix's records, on Debian's `certbot` package.

What a certbot service gives the system, as Guix's does:

- nginx: for each certificate a server block on port 80 for its domains, serving
  `/.well-known` (the HTTP-01 challenge) from `webroot` and answering everything else with
  `default-location` (a redirect to HTTPS);
- activation: the webroot and certbot's directories, and for each certificate with
  `start-self-signed?` a self-signed certificate in `/etc/certs/NAME/` (fullchain.pem,
  privkey.pem) so that an HTTPS server block naming those files starts at once;
- `renew-certbot-certificates`, a one-shot unit that obtains the certificates when the
  system starts (and when a deploy changes the certificates), trying again while the ACME
  server cannot be reached; a certificate certbot cannot obtain fails the deploy, which goes
  back to the previous generation;
- `certbot-certificate-renewal`, a timer running the same command at 00:22 and 12:22
  (certbot renews what is due, and keeps the rest);
- after each issuance, the deploy hook links `/etc/certs/NAME/*.pem` to certbot's live files,
  hands them to `user` when given, reloads nginx and runs the certificate's own `deploy-hook`.

Debian: `/usr/bin/certbot` from the `certbot` package (`package`), `openssl` for the
self-signed certificates. Debian's own `certbot.timer` is disabled by the activation: the
renewal timer above, which runs the spec's options, takes its place. lispdeploy's
addition: `server-ca-file`, the CA certificate that signs the ACME server's own HTTPS
certificate, for private ACME servers (certbot is run with REQUESTS_CA_BUNDLE pointing at it).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileLike, ProgramFile
from lispdeploy.gexp.program import function_call
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds
from lispdeploy.services.core import ServiceExtension, ServiceType, concatenate
from lispdeploy.services.shepherd import ShepherdService, TimerStart
from lispdeploy.services.sinks import (activation_service_type, package_check,
                                       profile_service_type, shepherd_root_service_type)
from lispdeploy.services.timers import SHEPHERD_TRIGGER_ACTION, calendar_event
from lispdeploy.services.web import (NginxLocationConfiguration, NginxServerConfiguration,
                                     nginx_service_type)
from lispdeploy.vocabulary import Vocabulary

CERTBOT = "/usr/bin/certbot"
OPENSSL = "/usr/bin/openssl"
RENEWAL = "certbot-certificate-renewal"
AT_START = "renew-certbot-certificates"
# Tries of the one-shot while the ACME server cannot be reached, and the pause between them.
START_ATTEMPTS = 6
START_DELAY_SECONDS = 5

_DOMAIN = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                     r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")


# A domain name: the certificate's, nginx's server_name, certbot's -d, openssl's subject.
_domain = kinds.within(
    kinds.word, lambda text: None if len(text) <= 253 and _DOMAIN.match(text)
    else "it does not have that form", "domain names such as \"www.example.org\"",
    name="domain")


# certbot's name of a certificate: a directory under /etc/letsencrypt/live and /etc/certs,
# and part of its deploy hook's store name.
certificate_name = kinds.within(
    kinds.pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}", ""),
    lambda text: "it holds '..'" if ".." in text else None,
    "a certificate name made of letters, digits and '.-_'", name="certificate-name")
# A hook's path on the host. certbot (and the deploy hook) run hooks through sh, so the path
# is one sh word that expands to nothing but itself: no spaces, quotes, '$', '`', ';'...
hook_path = kinds.pattern(r"/[A-Za-z0-9_@%+=:,./-]*",
                          "an absolute path of letters, digits and '/._-+@%=:,' (certbot runs "
                          "it through sh)", base=kinds.absolute_path, name="hook-path")


# The challenge's directory: nginx serves it (`root` reads '$' as a variable, always).
webroot_path = kinds.within(
    kinds.absolute_path,
    lambda text: "it holds '$', which nginx reads as a variable" if "$" in text else None,
    "an absolute path without spaces or '$'", name="webroot")


def _file_or(kind: kinds.FieldKind, what: str):
    """A file-like (program-file, local-file...) or a path on the host of `kind`."""
    return checks.either(checks.instance_of(FileLike, ""), kind, what=what)


_hook = _file_or(hook_path, "a file-like program or an absolute path of letters, digits and "
                            "'/._-+@%=:,' (certbot runs it through sh)")


def _email(value):
    text = checks.string(value)
    if not _EMAIL.match(text):
        raise TypeError("an e-mail address")
    return text


def _url(value):
    text = checks.string(value)
    if not re.match(r"^https?://[^\s]+$", text):
        raise TypeError("an http(s) URL such as \"https://acme-staging-v02.api.letsencrypt.org/"
                        "directory\"")
    return text


class CertificateConfiguration(Record):
    """One certificate: its domains (the first names it, unless `name` is given) and how it
    is obtained and deployed."""

    record_name = "certificate-configuration"
    fields = (
        Field("name", None, check=checks.optional(certificate_name),
              doc="certbot's name for it (its directory); #f: the first domain"),
        Field("domains", (), check=checks.list_of(_domain, "domain names")),
        Field("challenge", None, check=checks.optional(checks.one_of("http", "dns")),
              doc="#f: webroot (HTTP-01 through nginx); \"dns\" or \"http\": --manual with "
                  "the hooks"),
        Field("csr", None, check=checks.optional(_file_or(
            kinds.absolute_path, "a file-like or an absolute path")), doc="a CSR file to use"),
        Field("authentication_hook", None, check=checks.optional(_hook)),
        Field("cleanup_hook", None, check=checks.optional(_hook)),
        Field("deploy_hook", None, check=checks.optional(_hook)),
        Field("dry_run", False, check=checks.boolean, spec_name="dry-run?"),
        Field("user", None, check=checks.optional(kinds.account_name),
              doc="who owns the certificate files (mode 0640), e.g. a daemon's user"),
        Field("start_self_signed", True, check=checks.boolean, spec_name="start-self-signed?"),
    )

    def _validate(self):
        if not self.domains:
            raise ServiceError("certificate-configuration: 'domains' needs at least one domain",
                               location=self.location,
                               hint="e.g. (domains '(\"example.org\" \"www.example.org\"))")
        if self.challenge and not self.authentication_hook:
            raise ServiceError(f"certificate-configuration: the {self.challenge} challenge "
                               "needs an authentication-hook that publishes it",
                               location=self.location,
                               hint="without (challenge ...), certbot answers HTTP-01 "
                                    "through nginx by itself")

    @property
    def certificate_name(self) -> str:
        """certbot's name of this certificate (its directory under /etc/letsencrypt/live)."""
        return self.name or self.domains[0]


DEFAULT_LOCATION = NginxLocationConfiguration(
    uri="/", body=("return 301 https://$host$request_uri;",))


class CertbotConfiguration(Record):
    """The certificates to obtain and keep renewed, from which ACME server, for whom."""

    record_name = "certbot-configuration"
    fields = (
        Field("package", "certbot", check=package_check),
        Field("webroot", "/var/www", check=webroot_path),
        Field("certificates", (), check=checks.list_of(
            checks.instance_of(CertificateConfiguration, ""),
            "certificate-configuration records")),
        Field("email", None, check=checks.optional(_email)),
        Field("server", None, check=checks.optional(_url),
              doc="the ACME directory URL; #f: Let's Encrypt"),
        Field("rsa_key_size", None, check=checks.optional(checks.integer)),
        Field("default_location", DEFAULT_LOCATION, check=checks.optional(
            checks.instance_of(NginxLocationConfiguration, "an nginx-location-configuration"))),
        Field("server_ca_file", None, check=checks.optional(_file_or(
            kinds.absolute_path, "a file-like object or an absolute path")),
              doc="lispdeploy: the CA certificate of a private ACME server's HTTPS"),
    )

    def _validate(self):
        names: Dict[str, CertificateConfiguration] = {}
        for certificate in self.certificates:
            other = names.get(certificate.certificate_name)
            if other is not None:
                raise ServiceError(f"certbot: two certificates are named "
                                   f"'{certificate.certificate_name}'",
                                   location=certificate.location or self.location,
                                   hint="give one of them its own (name ...)")
            names[certificate.certificate_name] = certificate


def _certbot_argv(config: CertbotConfiguration, certificate: CertificateConfiguration
                  ) -> List[Any]:
    """certbot's command line for one certificate (file-likes stand for their paths)."""
    name = certificate.certificate_name
    argv: List[Any] = [CERTBOT, "certonly", "-n", "--agree-tos"]
    if certificate.challenge:
        argv += ["--manual", f"--preferred-challenges={certificate.challenge}"]
    else:
        argv += ["--webroot", "-w", config.webroot]
    argv += ["--cert-name", name, "-d", ",".join(certificate.domains)]
    if certificate.csr:
        argv += ["--csr", certificate.csr]
    argv += ["--email", config.email] if config.email else ["--register-unsafely-without-email"]
    if config.server:
        argv += ["--server", config.server]
    if config.rsa_key_size:
        argv += ["--rsa-key-size", str(config.rsa_key_size)]
    if certificate.challenge:
        argv += ["--manual-auth-hook", certificate.authentication_hook]
        if certificate.cleanup_hook:
            argv += ["--manual-cleanup-hook", certificate.cleanup_hook]
    argv += ["--deploy-hook", _deploy_hook(certificate)]
    if certificate.dry_run:
        argv.append("--dry-run")
    return argv


def _deploy_hook(certificate: CertificateConfiguration) -> ProgramFile:
    name = certificate.certificate_name
    return ProgramFile(name=f"{name}-deploy-hook", location=certificate.location,
                       gexp=function_call("lispdeploy.hostside.certbot.deploy_hook", {
                           "name": name, "user": certificate.user,
                           "hook": certificate.deploy_hook}, location=certificate.location))


def _request(config: CertbotConfiguration) -> Dict[str, Any]:
    return {"certificates": [{"name": c.certificate_name, "argv": _certbot_argv(config, c)}
                             for c in config.certificates],
            "environment": ({"REQUESTS_CA_BUNDLE": config.server_ca_file}
                            if config.server_ca_file else {}),
            "attempts": START_ATTEMPTS, "delay": START_DELAY_SECONDS}


def certbot_command(config: CertbotConfiguration, *, at_start: bool = False) -> ProgramFile:
    """The program that obtains or renews every certificate (`at_start`: trying again while
    the ACME server cannot be reached)."""
    function = "obtain_at_start" if at_start else "obtain"
    return ProgramFile(name=AT_START if at_start else "certbot-command",
                       location=config.location,
                       gexp=function_call(f"lispdeploy.hostside.certbot.{function}",
                                          _request(config), location=config.location))


def _nginx_servers(config: CertbotConfiguration) -> Tuple[NginxServerConfiguration, ...]:
    servers = []
    for certificate in config.certificates:
        locations = []
        if not certificate.challenge:
            locations.append(NginxLocationConfiguration(
                uri="/.well-known", body=(f"root {kinds.nginx_word(config.webroot)};",)))
        if config.default_location is not None:
            locations.append(config.default_location)
        servers.append(NginxServerConfiguration(
            listen=("80", "[::]:80"), server_name=certificate.domains, locations=locations,
            location=certificate.location or config.location))
    return tuple(servers)


def _activation(config: CertbotConfiguration):
    return (function_call("lispdeploy.hostside.certbot.activate", {
        "webroot": config.webroot, "openssl": OPENSSL, "rsa-key-size": config.rsa_key_size,
        "self-signed": [{"name": c.certificate_name, "domains": list(c.domains)}
                        for c in config.certificates if c.start_self_signed]},
        location=config.location),)


def _units(config: CertbotConfiguration):
    if not config.certificates:
        return ()
    units = [
        ShepherdService(
            provision=(RENEWAL,), requirement=("nginx",),
            documentation="Periodically run certbot to renew X.509 certificates.",
            start=TimerStart(calendar_event(hours=(0, 12), minutes=(22,)),
                             [certbot_command(config)]),
            actions=(SHEPHERD_TRIGGER_ACTION,), location=config.location),
        ShepherdService(
            provision=(AT_START,), requirement=("nginx",), one_shot=True,
            documentation="Obtain or renew the certificates certbot-service-type declares.",
            start=(certbot_command(config, at_start=True),), location=config.location),
    ]
    return tuple(units)


certbot_service_type = ServiceType(
    name="certbot",
    extensions=(
        ServiceExtension(target=nginx_service_type, compute=_nginx_servers),
        ServiceExtension(target=profile_service_type,
                         compute=lambda c: (c.package, "openssl")),
        ServiceExtension(target=activation_service_type, compute=_activation),
        ServiceExtension(target=shepherd_root_service_type, compute=_units),
    ),
    compose=concatenate,
    extend=lambda config, more: config.replace(
        certificates=tuple(config.certificates) + tuple(more)) if more else config,
    description="Automatically renew Let's Encrypt HTTPS certificates by adjusting the nginx "
                "web server configuration and periodically invoking certbot.")


SPEC_VOCABULARY = (Vocabulary(
    records=(CertbotConfiguration, CertificateConfiguration),
    values={"certbot-service-type": certbot_service_type},
    modules=(("gnu", "services", "certbot"),),
),)
