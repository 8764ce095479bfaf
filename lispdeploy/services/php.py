"""PHP's FastCGI process manager (gnu/services/web.scm): `php-fpm-service-type` and
`nginx-php-location`, on Debian's versioned `php8.2-fpm` (Debian 12; `php8.4-fpm` on 13).

/etc/php/VERSION/fpm/php-fpm.conf is written whole: the global section and Guix's pool
(`www`), then the pools other services add with `php-fpm-pool-configuration` records (a
lispdeploy addition: `(simple-service 'shop php-fpm-service-type (list (php-fpm-pool-configuration
...)))`). It must pass `php-fpm -t` before it is put in place. `php-ini-file`, when given,
becomes /etc/php/VERSION/fpm/php.ini (Debian's php-fpm reads no other).

Deviations from Guix, for Debian: the pool runs as `www-data`, which owns the socket too (the
user Debian's nginx and Apache run as; Guix makes a `php-fpm` account: here another user must
be one of the operating system's accounts), and the pid and main
log files are the ones Debian's unit and logrotate configuration name
(/run/php/phpVERSION-fpm.pid, /var/log/phpVERSION-fpm.log). The socket is Guix's
/var/run/phpMAJOR-fpm.sock, where `nginx-php-location` looks by default.
"""

from __future__ import annotations

import re
from typing import List

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileLike
from lispdeploy.records import Field, Record, Thunk
from lispdeploy.services import debian, kinds
from lispdeploy.services.admin import log_file_path, log_rotation_service_type
from lispdeploy.services.core import ServiceExtension, ServiceType, concatenate
from lispdeploy.services.sinks import (EtcFile, GeneratedFile, SystemdUnit,
                                       activation_service_type,
                                       etc_service_type, package_check, profile_service_type,
                                       shepherd_root_service_type)
from lispdeploy.services.web import NginxLocationConfiguration
from lispdeploy.vocabulary import Vocabulary

DEFAULT_PHP = "php8.2-fpm"
_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]*\$?$")
_POOL = re.compile(r"^[A-Za-z0-9_.-]+$")


def _version(package) -> str:
    return debian.versioned_package(debian.package_name(package),
                                    r"php([0-9]+\.[0-9]+)(?:-fpm)?", "php", DEFAULT_PHP)


_account = kinds.pattern(_ACCOUNT.pattern[1:-1], "a user or group name")
# php-fpm.conf is read by PHP's ini parser, for which ~!|&^()$"'; and braces mean something.
_path = kinds.within(kinds.absolute_path, lambda text: None if re.fullmatch(
    r"/[A-Za-z0-9_@+:,./-]*", text) else "it holds a character PHP's ini files give a "
    "meaning to", "an absolute path of letters, digits and '_@+:,./-'")


def _count(value) -> int:
    number = checks.integer(value)
    if number < 0:
        raise TypeError("a number of processes (0 or more)")
    return number


class PhpFpmDynamicProcessManagerConfiguration(Record):
    """`pm = dynamic`: between min and max spare servers idle, at most max-children."""

    record_name = "php-fpm-dynamic-process-manager-configuration"
    fields = (Field("max_children", 5, check=_count), Field("start_servers", 2, check=_count),
              Field("min_spare_servers", 1, check=_count),
              Field("max_spare_servers", 3, check=_count))


class PhpFpmStaticProcessManagerConfiguration(Record):
    """`pm = static`: max-children processes always."""

    record_name = "php-fpm-static-process-manager-configuration"
    fields = (Field("max_children", 5, check=_count),)


class PhpFpmOnDemandProcessManagerConfiguration(Record):
    """`pm = ondemand`: processes start on requests and stop when idle."""

    record_name = "php-fpm-on-demand-process-manager-configuration"
    fields = (Field("max_children", 5, check=_count),
              Field("process_idle_timeout", 10, check=_count, doc="seconds"))


_MANAGER = checks.either(
    checks.instance_of(PhpFpmDynamicProcessManagerConfiguration, ""),
    checks.instance_of(PhpFpmStaticProcessManagerConfiguration, ""),
    checks.instance_of(PhpFpmOnDemandProcessManagerConfiguration, ""),
    what="a php-fpm-...-process-manager-configuration record")


def _php_setting(value):
    if isinstance(value, dict):
        value = list(value.items())
    out = []
    for item in checks.list_of(checks.anything, "(\"key\" \"value\") pairs")(value):
        if not (isinstance(item, (list, tuple)) and len(item) == 2
                and isinstance(item[0], str) and re.fullmatch(r"[A-Za-z0-9_.\[\]]+", item[0])
                and isinstance(item[1], (str, int)) and not isinstance(item[1], bool)
                and not any(c in str(item[1]) for c in "\n\r\0")):
            raise TypeError("(\"key\" \"value\") pairs such as (\"php_admin_value[memory_limit]\""
                            " \"256M\")")
        out.append((str(item[0]), str(item[1])))
    return tuple(out)


def _pool_name_check(value) -> str:
    text = checks.string(value)
    if not _POOL.match(text) or text == "global":
        raise TypeError("a pool name of letters, digits and '._-' (not \"global\")")
    return text


_pool_name = kinds.refining(_pool_name_check, "a pool name of letters, digits and '._-' (not "
                            "\"global\")", base=kinds.word)


class PhpFpmPoolConfiguration(Record):
    """A further pool (a lispdeploy addition): its own user, socket and process manager."""

    record_name = "php-fpm-pool-configuration"
    fields = (
        Field("name", check=_pool_name),
        Field("user", "www-data", check=_account),
        Field("group", "www-data", check=_account),
        Field("socket", Thunk(lambda p: f"/var/run/php-fpm-{p.name}.sock"), check=_path),
        Field("socket_user", "www-data", check=_account),
        Field("socket_group", "www-data", check=_account),
        Field("process_manager", PhpFpmDynamicProcessManagerConfiguration(), check=_MANAGER),
        Field("settings", (), check=_php_setting,
              doc="more pool directives, (\"key\" \"value\") pairs"),
    )


class PhpFpmConfiguration(Record):
    """The php-fpm service, with Guix's fields (see the module docstring for Debian's)."""

    record_name = "php-fpm-configuration"
    fields = (
        Field("php", DEFAULT_PHP, check=package_check,
              doc="the versioned Debian package: php8.2-fpm (Debian 12), php8.4-fpm (13)"),
        Field("socket", Thunk(lambda c: f"/var/run/php{c.version.split('.')[0]}-fpm.sock"),
              check=_path),
        Field("user", "www-data", check=_account),
        Field("group", "www-data", check=_account),
        Field("socket_user", "www-data", check=_account),
        Field("socket_group", "www-data", check=_account),
        Field("pid_file", Thunk(lambda c: f"/run/php/php{c.version}-fpm.pid"), check=_path),
        Field("log_file", Thunk(lambda c: f"/var/log/php{c.version}-fpm.log"),
              check=log_file_path),
        Field("process_manager", PhpFpmDynamicProcessManagerConfiguration(), check=_MANAGER),
        Field("display_errors", False, check=checks.boolean),
        Field("timezone", None, check=checks.optional(kinds.timezone)),
        Field("workers_log_file", Thunk(lambda c: f"/var/log/php{c.version}-fpm.www.log"),
              check=checks.optional(log_file_path)),
        Field("file", None, check=checks.optional(
            checks.instance_of(FileLike, "a file-like object"))),
        Field("php_ini_file", None, check=checks.optional(
            checks.instance_of(FileLike, "a file-like object"))),
        Field("pools", (), check=checks.list_of(
            checks.instance_of(PhpFpmPoolConfiguration, ""), "php-fpm-pool-configuration "
                                                             "records")),
    )

    def _validate(self):
        try:
            self.version
        except ServiceError as e:
            e.location = self.location
            raise
        names = [p.name for p in self.pools]
        duplicates = sorted({n for n in names if names.count(n) > 1 or n == "www"})
        if duplicates:
            raise ServiceError(f"php-fpm-configuration: pool '{duplicates[0]}' is declared "
                               "twice", location=self.location,
                               hint="give each pool its own name (\"www\" is the main pool)")

    @property
    def version(self) -> str:
        """PHP's version, from the package name ("8.2")."""
        return _version(self.php)





def _manager_lines(pm) -> List[str]:
    if isinstance(pm, PhpFpmDynamicProcessManagerConfiguration):
        return ["pm = dynamic", f"pm.max_children = {pm.max_children}",
                f"pm.start_servers = {pm.start_servers}",
                f"pm.min_spare_servers = {pm.min_spare_servers}",
                f"pm.max_spare_servers = {pm.max_spare_servers}"]
    if isinstance(pm, PhpFpmStaticProcessManagerConfiguration):
        return ["pm = static", f"pm.max_children = {pm.max_children}"]
    return ["pm = ondemand", f"pm.max_children = {pm.max_children}",
            f"pm.process_idle_timeout = {pm.process_idle_timeout}s"]


def php_fpm_conf(config: PhpFpmConfiguration) -> str:
    """The text of php-fpm.conf."""
    lines = ["; Generated by lispdeploy from php-fpm-configuration.", "[global]",
             f"pid = {config.pid_file}", f"error_log = {config.log_file}", "", "[www]",
             f"user = {config.user}", f"group = {config.group}", f"listen = {config.socket}",
             f"listen.owner = {config.socket_user}", f"listen.group = {config.socket_group}"]
    if config.timezone:
        lines.append(f"php_admin_value[date.timezone] = \"{config.timezone}\"")
    lines += _manager_lines(config.process_manager)
    lines.append(f"php_flag[display_errors] = {'on' if config.display_errors else 'off'}")
    if config.workers_log_file:
        lines += ["catch_workers_output = yes",
                  f"php_admin_value[error_log] = {config.workers_log_file}",
                  "php_admin_flag[log_errors] = on"]
    else:
        lines.append("catch_workers_output = no")
    for pool in config.pools:
        lines += ["", f"[{pool.name}]", f"user = {pool.user}", f"group = {pool.group}",
                  f"listen = {pool.socket}", f"listen.owner = {pool.socket_user}",
                  f"listen.group = {pool.socket_group}"]
        lines += _manager_lines(pool.process_manager)
        lines += [f"{key} = {value}" for key, value in pool.settings]
    return "\n".join(lines) + "\n"


def _etc(config: PhpFpmConfiguration) -> str:
    return f"php/{config.version}/fpm"


def _files(config: PhpFpmConfiguration):
    file = config.file or GeneratedFile(name="php-fpm.conf", location=config.location,
                                        generate=lambda _rendering: php_fpm_conf(config))
    binary = f"/usr/sbin/php-fpm{config.version}"
    files = [EtcFile(path=f"{_etc(config)}/php-fpm.conf", file=file, location=config.location,
                     validate=(binary, "-t", "-y", "{}"))]
    if config.php_ini_file:
        files.append(EtcFile(path=f"{_etc(config)}/php.ini", file=config.php_ini_file,
                             location=config.location))
    return tuple(files)


_ACTIVATION = """
import os, pwd
user = pwd.getpwnam(DATA["user"])
for path in DATA["logs"]:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        open(path, "a").close()
    os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, 0o660)
"""


def _activation(config: PhpFpmConfiguration):
    logs = [config.log_file] + ([config.workers_log_file] if config.workers_log_file else [])
    return (debian.python_snippet(_ACTIVATION, {"user": config.user, "logs": logs},
                                  location=config.location),)


php_fpm_service_type = ServiceType(
    name="php-fpm",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_files),
        ServiceExtension(target=shepherd_root_service_type, compute=lambda c: (SystemdUnit(
            # php-fpm reads its configuration and pools again on SIGUSR2, finishing the
            # requests in flight.
            name=f"php{c.version}-fpm.service", reload=tuple(f.path for f in _files(c)),
            provision=("php-fpm",), packages=(c.php,), location=c.location),)),
        ServiceExtension(target=activation_service_type, compute=_activation),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.php,)),
        # Debian's logrotate file rotates the main log; the workers' log is Guix's own.
        ServiceExtension(target=log_rotation_service_type, compute=lambda c: (
            (c.workers_log_file,) if c.workers_log_file else ())),
    ),
    compose=concatenate,
    extend=lambda config, pools: config.replace(pools=tuple(config.pools) + tuple(pools))
    if pools else config,
    default_value=PhpFpmConfiguration(),
    description="Run php-fpm, a FastCGI server for PHP behind a web server.")


def nginx_php_location(*, nginx_package=None, socket="/var/run/php8-fpm.sock", location=None):
    """`(nginx-php-location #:socket ...)`: an nginx location that passes .php files to
    php-fpm (nginx-package is accepted for Guix's sake: Debian's nginx keeps fastcgi.conf in
    /etc/nginx)."""
    _path(socket)
    return NginxLocationConfiguration(uri="~ \\.php$", location=location, body=(
        "fastcgi_split_path_info ^(.+\\.php)(/.+)$;",
        "fastcgi_param HTTP_PROXY \"\";",
        "if (!-f $document_root$fastcgi_script_name) { return 404; }",
        f"fastcgi_pass unix:{socket};",
        "fastcgi_index index.php;",
        "include /etc/nginx/fastcgi.conf;"))


SPEC_VOCABULARY = (Vocabulary(
    records=(PhpFpmConfiguration, PhpFpmDynamicProcessManagerConfiguration,
             PhpFpmStaticProcessManagerConfiguration, PhpFpmOnDemandProcessManagerConfiguration,
             PhpFpmPoolConfiguration),
    procedures={"nginx-php-location": nginx_php_location},
    values={"php-fpm-service-type": php_fpm_service_type},
    modules=(("gnu", "services", "web"),),
),)
