"""`openssh-service-type` (gnu/services/ssh.scm): Debian's OpenSSH server, configured by
an `openssh-configuration` with Guix's fields.

On a Debian host it is the `openssh-server` package and its own `ssh.service`, reloaded when
`/etc/ssh/sshd_config` changes (sshd checks the file and starts again in place on SIGHUP:
open sessions stay, new ones get the new settings). The configuration file is
written whole, and the host must accept it (`sshd -t -f FILE`) before it is put in place.

sshd keeps the first value it reads for most keywords, so the file is laid out in three parts:
the settings this spec declares (those that differ from Guix's defaults, the port, listen
addresses and the authorized-keys location), then `Include /etc/ssh/sshd_config.d/*.conf`,
then the remaining defaults. Drop-ins written on the host (by a container engine or a cloud
image: host keys, listen addresses) therefore still apply, and can change a default, but never
a setting the spec declares. A `Match` block in `extra-content` goes last, where sshd needs it.

Listen address: with no `listen-addresses` (a lispdeploy addition) and no `ListenAddress` in
`extra-content`, sshd listens on the build's listen address (container hosts) if there is one,
else on every address.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileLike
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds
from lispdeploy.services.core import ServiceExtension, ServiceType, concatenate
from lispdeploy.services.rendering import Rendering
from lispdeploy.services.sinks import (EtcFile, GeneratedFile, SystemdUnit, etc_service_type,
                                       package_check, profile_service_type,
                                       shepherd_root_service_type)
from lispdeploy.vocabulary import Vocabulary

SSHD = "/usr/sbin/sshd"
DROP_INS = "/etc/ssh/sshd_config.d/*.conf"
AUTHORIZED_KEYS_DIRECTORY = "ssh/authorized_keys.d"
LOG_LEVELS = ("QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2",
              "DEBUG3")


def _permit_root_login(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("prohibit-password", "without-password",
                                            "forced-commands-only"):
        return "prohibit-password" if value == "without-password" else str(value)
    raise TypeError("#t, #f, 'prohibit-password or 'forced-commands-only")


def _log_level(value):
    text = checks.string(value).upper()
    if text not in LOG_LEVELS:
        raise TypeError("a log level: " + ", ".join("'" + level.lower() for level in LOG_LEVELS))
    return text.lower()


_command = kinds.within(kinds.line, lambda text: "it is empty" if not text.strip() else None,
                        "a command line")


# sshd refuses an AcceptEnv name holding '=' ("Invalid environment name") at its start.
_environment_name = kinds.within(
    kinds.word, lambda text: "it holds '='" if "=" in text else None,
    "an environment variable name or pattern such as \"LC_*\"")


def _subsystem(value):
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise TypeError("(NAME COMMAND) pairs")
    try:
        return (kinds.word(value[0]), _command(value[1]))
    except TypeError as e:
        which = "name" if not isinstance(value[0], str) or kinds.word._test(value[0]) else \
            "command"
        reason = f"its {which}: {getattr(e, 'reason', None) or e}"
        raise checks.refusal(f"(NAME COMMAND) pairs ({reason})", reason) from None


# A key given as a string is one line of an authorized_keys file.
_key_line = kinds.within(kinds.line, lambda text: "it is empty" if not text.strip() else None,
                         "a public key line")


def _authorized_key(value):
    if (isinstance(value, (list, tuple)) and len(value) >= 2 and isinstance(value[0], str)
            and all(isinstance(k, (str, FileLike)) for k in value[1:])):
        for key in value[1:]:
            if isinstance(key, str):
                problem = _key_line._test(key)
                if problem:
                    raise checks.refusal("(USER KEY ...) lists, each key a file-like object or "
                                         f"one key line ({problem})", f"a key: {problem}")
        return tuple(value)
    raise TypeError("(USER KEY-FILE ...) lists, each key a file-like object or a key string")


_listen_address = kinds.within(
    kinds.word, lambda text: None, "addresses such as \"127.0.0.1\" or \"[::1]:2222\"")


class OpensshConfiguration(Record):
    """The OpenSSH server's settings, with Guix's field names and defaults."""

    record_name = "openssh-configuration"
    fields = (
        Field("openssh", "openssh-server", check=package_check,
              doc="the Debian package providing sshd"),
        Field("pid_file", "/var/run/sshd.pid", check=kinds.absolute_path),
        Field("port_number", 22, check=checks.port_number),
        Field("permit_root_login", False, check=_permit_root_login),
        Field("allow_empty_passwords", False, check=checks.boolean,
              spec_name="allow-empty-passwords?"),
        Field("password_authentication", True, check=checks.boolean,
              spec_name="password-authentication?"),
        Field("public_key_authentication", True, check=checks.boolean,
              spec_name="public-key-authentication?"),
        Field("x11_forwarding", False, check=checks.boolean, spec_name="x11-forwarding?"),
        Field("allow_agent_forwarding", True, check=checks.boolean,
              spec_name="allow-agent-forwarding?"),
        Field("allow_tcp_forwarding", True, check=checks.boolean,
              spec_name="allow-tcp-forwarding?"),
        Field("gateway_ports", False, check=checks.boolean, spec_name="gateway-ports?"),
        Field("challenge_response_authentication", False, check=checks.boolean,
              spec_name="challenge-response-authentication?"),
        Field("use_pam", True, check=checks.boolean, spec_name="use-pam?"),
        Field("print_last_log", True, check=checks.boolean, spec_name="print-last-log?"),
        Field("subsystems", (("sftp", "internal-sftp"),),
              check=checks.list_of(_subsystem, "(NAME COMMAND) pairs")),
        Field("accepted_environment", (), check=checks.list_of(
            _environment_name, "environment variable names or patterns")),
        Field("log_level", "info", check=_log_level),
        Field("extra_content", "", check=kinds.raw,
              doc="sshd_config lines written as they are"),
        Field("authorized_keys", (), check=checks.list_of(_authorized_key,
                                                          "(USER KEY ...) lists")),
        Field("generate_host_keys", True, check=checks.boolean,
              spec_name="generate-host-keys?",
              doc="accepted; Debian's package generates the host keys"),
        Field("auto_start", True, check=checks.boolean, spec_name="auto-start?",
              aliases={"%auto-start?": lambda v: v}),
        Field("listen_addresses", (), check=checks.list_of(_listen_address, "addresses"),
              doc="lispdeploy: ListenAddress values; '() for the build's listen address"),
    )


# (keyword, field, how the value is written); the order of the generated file.
_SETTINGS: Tuple[Tuple[str, str, object], ...] = (
    ("PermitRootLogin", "permit_root_login", None),
    ("PermitEmptyPasswords", "allow_empty_passwords", None),
    ("PasswordAuthentication", "password_authentication", None),
    ("PubkeyAuthentication", "public_key_authentication", None),
    ("X11Forwarding", "x11_forwarding", None),
    ("AllowAgentForwarding", "allow_agent_forwarding", None),
    ("AllowTcpForwarding", "allow_tcp_forwarding", None),
    ("GatewayPorts", "gateway_ports", None),
    ("ChallengeResponseAuthentication", "challenge_response_authentication", None),
    ("UsePAM", "use_pam", None),
    ("PrintLastLog", "print_last_log", None),
    ("LogLevel", "log_level", str.upper),
    ("PidFile", "pid_file", None),
)


def _show(value, convert=None) -> str:
    if convert is not None:
        return convert(value)
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return kinds.sshd_word(str(value))


def sshd_config(config: OpensshConfiguration, rendering: Rendering) -> str:
    """The text of /etc/ssh/sshd_config for `config` (see the module docstring)."""
    defaults = {f.name: f.default for f in OpensshConfiguration.fields}
    declared: List[str] = [f"Port {config.port_number}"]
    extra_global, extra_match = _split_extra(config.extra_content)
    addresses = list(config.listen_addresses)
    if not addresses and not _names(extra_global, "ListenAddress") and rendering.listen_address:
        address = rendering.listen_address
        addresses = [f"[{address}]:{config.port_number}" if ":" in address
                     else f"{address}:{config.port_number}"]
    declared += [f"ListenAddress {kinds.sshd_word(a)}" for a in addresses]
    rest: List[str] = []
    for keyword, field, convert in _SETTINGS:
        value = getattr(config, field)
        line = f"{keyword} {_show(value, convert)}"
        (declared if value != defaults[field] else rest).append(line)
    declared.append("AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2 "
                    f"/etc/{AUTHORIZED_KEYS_DIRECTORY}/%u")
    rest += [f"AcceptEnv {kinds.sshd_word(name)}" for name in config.accepted_environment]
    # sshd joins a subsystem's arguments with spaces: one quoted argument is the command.
    rest += [f"Subsystem\t{kinds.sshd_word(name)}\t{kinds.sshd_word(command)}"
             for name, command in config.subsystems]
    lines = ["# Generated by lispdeploy from openssh-configuration.",
             "# sshd keeps the first value it reads: the spec's settings come first, then the",
             "# drop-ins of the host, then the defaults.",
             *declared]
    if extra_global:
        lines += ["", "# extra-content", extra_global.rstrip("\n")]
    lines += ["", f"Include {DROP_INS}", "", *rest]
    if extra_match:
        lines += ["", "# extra-content (Match blocks)", extra_match.rstrip("\n")]
    return "\n".join(lines) + "\n"


def _split_extra(text: str) -> Tuple[str, str]:
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if re.match(r"\s*match\b", line, re.IGNORECASE):
            return "".join(lines[:index]), "".join(lines[index:])
    return text, ""


def _names(text: str, keyword: str) -> bool:
    return any(line.split(None, 1)[:1] and line.split(None, 1)[0].lower() == keyword.lower()
               for line in text.splitlines())


def _authorized_keys(config: OpensshConfiguration) -> Dict[str, List]:
    keys: Dict[str, List] = {}
    for user, *files in config.authorized_keys:
        keys.setdefault(user, []).extend(files)
    return keys


def _keys_file(user: str, keys: List, location) -> GeneratedFile:
    def generate(rendering: Rendering) -> bytes:
        """The keys, one per line."""
        out = b""
        for key in keys:
            data = key.encode() if isinstance(key, str) else rendering.content_of(key)
            out += data if data.endswith(b"\n") else data + b"\n"
        return out
    return GeneratedFile(name=f"authorized-keys-{user}", generate=generate, location=location)


def _etc_files(config: OpensshConfiguration):
    files = [EtcFile(path="ssh/sshd_config", location=config.location,
                     file=GeneratedFile(name="sshd_config", location=config.location,
                                        generate=lambda r: sshd_config(config, r)),
                     validate=(SSHD, "-t", "-f", "{}"))]
    for user, keys in _authorized_keys(config).items():
        if not re.fullmatch(r"[a-z_][a-z0-9_.-]*\$?", user):
            raise ServiceError(f"openssh-configuration: authorized-keys names '{user}', which "
                               "is not a user name", location=config.location)
        files.append(EtcFile(path=f"{AUTHORIZED_KEYS_DIRECTORY}/{user}", mode=0o644,
                             file=_keys_file(user, keys, config.location),
                             location=config.location))
    return tuple(files)


def _units(config: OpensshConfiguration):
    return (SystemdUnit(name="ssh.service", enable=config.auto_start, start=config.auto_start,
                        reload=("ssh/sshd_config",), provision=("ssh-daemon", "ssh", "sshd"),
                        packages=(config.openssh,),
                        location=config.location),)


def _extend(config: OpensshConfiguration, keys) -> OpensshConfiguration:
    """Other services add (USER KEY ...) entries to authorized-keys."""
    if not keys:
        return config
    return config.replace(authorized_keys=tuple(config.authorized_keys) + tuple(keys))


openssh_service_type = ServiceType(
    name="openssh",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_etc_files),
        ServiceExtension(target=shepherd_root_service_type, compute=_units),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.openssh,)),
    ),
    compose=concatenate,
    extend=_extend,
    default_value=OpensshConfiguration(),
    description="Run the OpenSSH secure shell (SSH) server, sshd (Debian's ssh.service).")

SPEC_VOCABULARY = (Vocabulary(
    records=(OpensshConfiguration,),
    values={"openssh-service-type": openssh_service_type},
    modules=(("gnu", "services", "ssh"),),
),)
