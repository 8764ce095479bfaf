"""Database services (gnu/services/databases.scm): `postgresql-service-type`,
`postgresql-role-service-type`, `mysql-service-type` (MariaDB) and `redis-service-type`, with
Guix's records, on Debian's packages and units.

PostgreSQL: the versioned package (`postgresql-15` on Debian 12, `postgresql-17` on 13) runs
as Debian's cluster `VERSION/main`, unit `postgresql@VERSION-main.service`. Its three files,
/etc/postgresql/VERSION/main/{postgresql.conf,pg_hba.conf,pg_ident.conf}, are written from
`postgresql-config-file`; postgresql.conf must pass `postgres -C` (the server's own parser,
run as postgres) before it is put in place. As in Guix, the cluster lives in `data-directory`
(/var/lib/postgresql/data), which activation initializes with `initdb --locale` when it is
missing; Debian's own cluster directory stays as the package made it (set `data-directory` to
/var/lib/postgresql/VERSION/main to serve it). The postgres account is Debian's.

Roles: `postgresql-role` records (from `postgresql-role-configuration` and from services that
extend the type) are made by a one-shot unit, `postgres-roles.service`, after the cluster is
up: missing roles and databases are created, and every declared role is given the declared
permissions and, with `password-file`, the password the file holds on the host. It runs again
whenever the roles change, and converges from any state.

MariaDB: `mariadb-server`, `mariadb.service`. /etc/mysql/my.cnf is written whole from
`mysql-configuration` and must pass `mariadbd --help` (which refuses unknown settings).

Redis: `redis-server`, `redis-server.service`; /etc/redis/redis.conf is written from
`redis-configuration` (or is `config-file`). Redis has no configuration checker.

On container hosts, an address that is a wildcard or loopback one (`bind`, `bind-address`,
PostgreSQL's listen address) is the host's own address.
"""

from __future__ import annotations

import re
from typing import List, Tuple

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileLike, PlainFile
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.records import Field, Record
from lispdeploy.services import debian, kinds
from lispdeploy.services.admin import log_file_path, log_rotation_service_type
from lispdeploy.services.core import ServiceExtension, ServiceType, concatenate
from lispdeploy.services.rendering import Rendering
from lispdeploy.services.shepherd import ShepherdService, quote_word
from lispdeploy.services.sinks import (EtcFile, GeneratedFile, SystemdUnit,
                                       activation_service_type, etc_service_type,
                                       package_check, profile_service_type,
                                       shepherd_root_service_type)
from lispdeploy.vocabulary import Vocabulary

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$")
_SETTING = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


_absolute_path = kinds.within(
    kinds.absolute_path, lambda text: "it holds a quote or a backslash"
    if any(c in text for c in "'\"\\") else None, "an absolute path without spaces or quotes")
_sql_name = kinds.pattern(_NAME.pattern[1:-1], "a name of letters, digits and _ (at most 63 "
                          "characters)")
# One line; tabs separate the words of a pg_hba line.
_plain = kinds.FieldKind("line", "a string on one line",
                         lambda text: kinds.line._test(text.replace("\t", " ")))
_DESTINATION = "(stderr|csvlog|jsonlog|syslog|eventlog)"
_log_destination = kinds.pattern(f"{_DESTINATION}(,{_DESTINATION})*",
                                 "log destinations such as \"syslog\" or \"stderr,csvlog\"")
# Addresses a daemon binds: host names, IPv4 and IPv6 addresses, '*', separated by commas.
_addresses = kinds.pattern(r"[A-Za-z0-9.:*_%-]+(,[A-Za-z0-9.:*_%-]+)*",
                           "addresses such as \"127.0.0.1\" or \"0.0.0.0,::\"")
# Redis's: separated by spaces, each may start with '-' (optional, Redis 7).
_redis_addresses = kinds.pattern(r"-?[A-Za-z0-9.:*_%-]+( -?[A-Za-z0-9.:*_%-]+)*",
                                 "addresses separated by spaces, such as \"127.0.0.1 ::1\"",
                                 base=kinds.line)


# ---------------------------------------------------------------------------------------------
# PostgreSQL

DEFAULT_HBA = ("local\tall\tall\t\t\tpeer", "host\tall\tall\t127.0.0.1/32\tmd5",
               "host\tall\tall\t::1/128\tmd5")
_HBA_TYPES = ("local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc")


def _hba_problem(text: str):
    words = text.split()
    if not words or words[0] not in _HBA_TYPES or len(words) < (4 if words[0] == "local" else 5):
        return "it does not have that form"
    return None


_hba_line = kinds.within(_plain, _hba_problem,
                         "pg_hba lines such as \"host all all 127.0.0.0/8 scram-sha-256\"")


def _hba(value):
    """Guix's file-like, or (a lispdeploy addition) the pg_hba lines themselves."""
    if isinstance(value, FileLike):
        return value
    return checks.list_of(_hba_line, "pg_hba lines such as \"host all all 127.0.0.0/8 "
                                     "scram-sha-256\"")(value)


def _setting_value(value):
    if isinstance(value, bool) or (isinstance(value, (int, float))):
        return value
    if isinstance(value, str):
        return _plain(value)
    raise TypeError("a string, number or boolean")


def _extra_config(value):
    """(KEY VALUE ...) lists, as Guix's `extra-config`."""
    if isinstance(value, dict):
        value = list(value.items())
    out = []
    for item in checks.list_of(checks.anything, "(\"KEY\" VALUE) lists")(value):
        if not (isinstance(item, (list, tuple)) and item and isinstance(item[0], str)
                and _SETTING.match(item[0])):
            raise TypeError("(\"KEY\" VALUE) lists such as (\"work_mem\" \"500 MB\")")
        out.append((str(item[0]),) + tuple(_setting_value(v) for v in item[1:]))
    return tuple(out)


class PostgresqlConfigFile(Record):
    """postgresql.conf, as Guix's `postgresql-config-file`."""

    record_name = "postgresql-config-file"
    fields = (
        Field("log_destination", "syslog", check=_log_destination),
        Field("hba_file", DEFAULT_HBA, check=_hba,
              doc="a file-like, or a list of pg_hba lines"),
        Field("ident_file", PlainFile(name="pg_ident.conf",
                                      content="# MAPNAME       SYSTEM-USERNAME         "
                                              "PG-USERNAME\n"),
              check=checks.instance_of(FileLike, "a file-like object")),
        Field("socket_directory", "/var/run/postgresql",
              check=checks.optional(_absolute_path),
              aliases={"socket-directories": lambda v: v[0] if isinstance(v, (list, tuple))
                       else v}),
        Field("extra_config", (), check=_extra_config),
    )


class PostgresqlConfiguration(Record):
    """The PostgreSQL service (see the module docstring for Debian's layout)."""

    record_name = "postgresql-configuration"
    fields = (
        Field("postgresql", "postgresql-15", check=package_check,
              doc="the versioned Debian package: postgresql-15 (Debian 12), postgresql-17 (13)"),
        Field("port", 5432, check=checks.port_number),
        Field("locale", "en_US.utf8", check=kinds.locale_name),
        Field("config_file", PostgresqlConfigFile(), check=checks.either(
            checks.instance_of(PostgresqlConfigFile, ""), checks.instance_of(FileLike, ""),
            what="a (postgresql-config-file ...) or a file-like object")),
        Field("log_directory", "/var/log/postgresql", check=checks.optional(_absolute_path)),
        Field("data_directory", "/var/lib/postgresql/data", check=_absolute_path),
        Field("extension_packages", (), check=checks.list_of(package_check, "packages")),
        Field("create_account", True, check=checks.boolean, spec_name="create-account?",
              doc="Debian's package creates the postgres account"),
        Field("home_directory", "/var/empty", check=_absolute_path),
        Field("allow_login", False, check=checks.boolean, spec_name="allow-login?"),
        Field("uid", None, check=checks.optional(checks.integer)),
        Field("gid", None, check=checks.optional(checks.integer)),
    )

    def _validate(self):
        if (self.uid is not None or self.gid is not None or self.allow_login
                or self.home_directory != "/var/empty"):
            raise ServiceError("postgresql-configuration: the postgres account is made by "
                               "Debian's package, with its own uid, home and shell",
                               location=self.location,
                               hint="drop uid, gid, home-directory and allow-login?")

    @property
    def version(self) -> str:
        """The major version, from the package name."""
        return debian.versioned_package(debian.package_name(self.postgresql),
                                        r"postgresql-([0-9]+(?:\.[0-9]+)?)", "postgresql",
                                        "postgresql-15", location=self.location)

    @property
    def etc_directory(self) -> str:
        """Debian's configuration directory of the cluster, relative to /etc."""
        return f"postgresql/{self.version}/main"

    @property
    def unit(self) -> str:
        """Debian's unit of the cluster."""
        return f"postgresql@{self.version}-main.service"


def _format_setting(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def postgresql_conf(configuration: PostgresqlConfiguration, rendering: Rendering) -> str:
    """The text of postgresql.conf."""
    config = configuration.config_file
    etc = "/etc/" + configuration.etc_directory
    version = configuration.version
    settings: List[Tuple[str, Tuple]] = [
        ("data_directory", (configuration.data_directory,)),
        ("hba_file", (f"{etc}/pg_hba.conf",)),
        ("ident_file", (f"{etc}/pg_ident.conf",)),
        # Debian's unit waits for this pid file.
        ("external_pid_file", (f"/run/postgresql/{version}-main.pid",)),
        ("cluster_name", (f"{version}/main",)),
        ("port", (configuration.port,)),
        ("log_destination", (config.log_destination,)),
    ]
    if config.socket_directory:
        settings.append(("unix_socket_directories", (config.socket_directory,)))
    extra = [(item[0], item[1:]) for item in config.extra_config]
    listen = [values for key, values in extra if key == "listen_addresses"]
    if rendering.listen_address:
        given = str(listen[-1][0]) if listen and listen[-1] else "localhost"
        words = [w.strip() for w in given.split(",")]
        bound = ",".join(dict.fromkeys(debian.bound_address(w, rendering.listen_address)
                                       for w in words))
        extra = [(k, v) for k, v in extra if k != "listen_addresses"]
        settings.append(("listen_addresses", (bound,)))
    lines = ["# Generated by lispdeploy from postgresql-config-file."]
    for key, values in settings + extra:
        if not values or values[0] is None:
            continue
        lines.append(f"{key} = " + "".join(_format_setting(v) for v in values))
    return "\n".join(lines) + "\n"


def _postgresql_files(configuration: PostgresqlConfiguration):
    etc = configuration.etc_directory
    config = configuration.config_file
    # The server's own parser, run as postgres (it refuses root) on a copy it may read.
    validate = ("/bin/sh", "-c",
                "cd / && t=$(mktemp) && cat \"$1\" > \"$t\" && chgrp postgres \"$t\" && "
                "chmod 640 \"$t\" && /usr/sbin/runuser -u postgres -- "
                f"/usr/lib/postgresql/{configuration.version}/bin/postgres -C data_directory "
                "--config-file=\"$t\" >/dev/null 2>\"$t.err\"; status=$?; "
                "sed \"s|$t|$1|g\" \"$t.err\" >&2; rm -f \"$t\" \"$t.err\"; exit $status",
                "postgres-check", "{}")
    owner = dict(user="postgres", group="postgres", location=configuration.location)
    if isinstance(config, PostgresqlConfigFile):
        main = GeneratedFile(name="postgresql.conf", location=config.location
                             or configuration.location,
                             generate=lambda rendering: postgresql_conf(configuration,
                                                                        rendering))
        hba = config.hba_file
        if not isinstance(hba, FileLike):
            text = "# Generated by lispdeploy.\n" + "".join(line + "\n" for line in hba)
            hba = PlainFile(name="pg_hba.conf", content=text, location=config.location)
        return (EtcFile(path=f"{etc}/postgresql.conf", file=main, mode=0o644,
                        validate=validate, **owner),
                EtcFile(path=f"{etc}/pg_hba.conf", file=hba, mode=0o640, **owner),
                EtcFile(path=f"{etc}/pg_ident.conf", file=config.ident_file, mode=0o640,
                        **owner))
    return (EtcFile(path=f"{etc}/postgresql.conf", file=config, mode=0o644, validate=validate,
                    **owner),)


def _postgresql_watch(configuration: PostgresqlConfiguration) -> Tuple[str, ...]:
    # Some settings of postgresql.conf (listen_addresses, shared_buffers) take a restart.
    return (f"{configuration.etc_directory}/postgresql.conf",)


def _postgresql_reload(configuration: PostgresqlConfiguration) -> Tuple[str, ...]:
    # The server reads its client authentication files again on a reload.
    etc = configuration.etc_directory
    if isinstance(configuration.config_file, PostgresqlConfigFile):
        return (f"{etc}/pg_hba.conf", f"{etc}/pg_ident.conf")
    return ()


_POSTGRESQL_ACTIVATION = """
import os, pwd, subprocess
user = pwd.getpwnam("postgres")
for directory in (DATA["socket"], DATA["logs"]):
    if directory:
        os.makedirs(directory, exist_ok=True)
        os.chown(directory, user.pw_uid, user.pw_gid)
data = DATA["data"]
if not os.path.exists(os.path.join(data, "PG_VERSION")):
    os.makedirs(data, mode=0o700, exist_ok=True)
    os.chown(data, user.pw_uid, user.pw_gid)
    os.chmod(data, 0o700)
    done = subprocess.run(["/usr/sbin/runuser", "-u", "postgres", "--", DATA["initdb"],
                           "-D", data, "--locale=" + DATA["locale"]],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("initdb " + data + " failed:\\n" + (done.stderr or done.stdout))
"""


def _postgresql_activation(configuration: PostgresqlConfiguration):
    config = configuration.config_file
    socket = config.socket_directory if isinstance(config, PostgresqlConfigFile) else None
    return (debian.python_snippet(_POSTGRESQL_ACTIVATION, {
        "socket": socket, "logs": configuration.log_directory,
        "data": configuration.data_directory, "locale": configuration.locale,
        "initdb": f"/usr/lib/postgresql/{configuration.version}/bin/initdb"},
        location=configuration.location),)


postgresql_service_type = ServiceType(
    name="postgresql",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_postgresql_files),
        ServiceExtension(target=shepherd_root_service_type, compute=lambda c: (SystemdUnit(
            name=c.unit, watch=_postgresql_watch(c), reload=_postgresql_reload(c),
            provision=("postgres", "postgresql"),
            packages=(c.postgresql,), location=c.location),)),
        ServiceExtension(target=activation_service_type, compute=_postgresql_activation),
        ServiceExtension(target=profile_service_type,
                         compute=lambda c: (c.postgresql, *c.extension_packages)),
    ),
    description="Run the PostgreSQL database server (Debian's cluster VERSION/main).")


# PostgreSQL roles

PERMISSIONS = ("bypassrls", "createdb", "createrole", "login", "replication", "superuser")


class PostgresqlRole(Record):
    """A role (and, with `create-database?`, a database of the same name owned by it)."""

    record_name = "postgresql-role"
    fields = (
        Field("name", check=_sql_name),
        Field("password_file", None, check=checks.optional(_absolute_path),
              doc="a file on the host holding the role's password"),
        Field("permissions", ("createdb", "login"), check=checks.list_of(
            checks.one_of(*PERMISSIONS), "permissions: " + ", ".join(PERMISSIONS))),
        Field("create_database", False, check=checks.boolean, spec_name="create-database?"),
        Field("encoding", "UTF8", check=_sql_name),
        Field("collation", "en_US.utf8", check=_sql_name),
        Field("ctype", "en_US.utf8", check=_sql_name),
        Field("template", "template1", check=_sql_name),
    )

    def _validate(self):
        if self.name == "postgres":
            raise ServiceError("postgresql-role: 'postgres' is the cluster's own superuser",
                               location=self.location,
                               hint="declare the roles your applications use")


class PostgresqlRoleConfiguration(Record):
    """Where the roles program connects, and the roles."""

    record_name = "postgresql-role-configuration"
    fields = (
        Field("shepherd_requirement", ("user-processes", "postgres"),
              check=checks.list_of(kinds.word, "names")),
        Field("host", "/var/run/postgresql", check=_absolute_path,
              doc="the socket directory of the cluster"),
        Field("log", "/var/log/postgresql_roles.log", check=log_file_path),
        Field("roles", (), check=checks.list_of(checks.instance_of(PostgresqlRole, ""),
                                                "postgresql-role records")),
    )


_ROLES_PROGRAM = """
import os, subprocess, sys, time

def quote(name):
    return '"' + name.replace('"', '""') + '"'

def literal(text):
    return "'" + text.replace("'", "''") + "'"

def port():
    # The server's socket is named after its port: .s.PGSQL.5432.
    ports = sorted(name.rsplit(".", 1)[1] for name in os.listdir(DATA["host"])
                   if name.startswith(".s.PGSQL.") and name.rsplit(".", 1)[1].isdigit())
    return "5432" if "5432" in ports or not ports else ports[0]

def psql(sql, database="postgres"):
    done = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                           "-h", DATA["host"], "-p", port(), "-d", database],
                          input=sql, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or done.stdout.strip())
    return done.stdout.strip()

log = open(DATA["log"], "a")
def say(text):
    log.write(time.strftime("%Y-%m-%d %H:%M:%S ") + text + "\\n")
    log.flush()
    print(text)

deadline = time.monotonic() + 60
while True:
    try:
        psql("SELECT 1;")
        break
    except (RuntimeError, OSError) as error:
        if time.monotonic() > deadline:
            say("PostgreSQL does not answer: " + str(error))
            sys.exit(1)
        time.sleep(0.5)

for role in DATA["roles"]:
    name = role["name"]
    grants = " ".join(p.upper() if p in role["permissions"] else "NO" + p.upper()
                      for p in DATA["permissions"])
    password = ""
    if role["password_file"]:
        try:
            with open(role["password_file"]) as f:
                secret = f.read().rstrip("\\n")
        except OSError as error:
            say("role " + name + ": cannot read its password file: " + str(error))
            sys.exit(1)
        password = " PASSWORD " + literal(secret)
    exists = psql("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = " + literal(name) + ";")
    verb = "ALTER" if exists == "1" else "CREATE"
    psql(verb + " ROLE " + quote(name) + " WITH " + grants + password + ";")
    say(verb.lower() + "d role " + name if verb == "CREATE" else "role " + name + " up to date")
    if role["create_database"]:
        found = psql("SELECT 1 FROM pg_catalog.pg_database WHERE datname = " + literal(name)
                     + ";")
        if found != "1":
            psql("CREATE DATABASE " + quote(name) + " OWNER " + quote(name)
                 + " ENCODING " + literal(role["encoding"])
                 + " LC_COLLATE " + literal(role["collation"])
                 + " LC_CTYPE " + literal(role["ctype"])
                 + " TEMPLATE " + quote(role["template"]) + ";")
            say("created database " + name)
"""


def _roles_service(config: PostgresqlRoleConfiguration):
    """The one-shot unit running the roles program as postgres, over the cluster's socket
    (peer authentication)."""
    program = debian.python_program("postgresql-roles", _ROLES_PROGRAM, {
        "host": config.host, "log": config.log,
        "permissions": list(PERMISSIONS),
        "roles": [{"name": r.name, "password_file": r.password_file,
                   "permissions": list(r.permissions), "create_database": r.create_database,
                   "encoding": r.encoding, "collation": r.collation, "ctype": r.ctype,
                   "template": r.template} for r in config.roles]},
        location=config.location)
    start = Gexp(source="return make_forkexec_constructor([\"/usr/bin/python3\", \"-I\", "
                        "_ungexp_0], user=\"postgres\", group=\"postgres\")\n",
                 references=(program,), location=config.location)
    return (ShepherdService(provision=("postgres-roles",),
                            requirement=config.shepherd_requirement, one_shot=True,
                            start=start, documentation="Create PostgreSQL roles.",
                            location=config.location),)


_ROLES_LOG_ACTIVATION = """
import os, pwd
user = pwd.getpwnam("postgres")
path = DATA["log"]
os.makedirs(os.path.dirname(path), exist_ok=True)
if not os.path.exists(path):
    open(path, "a").close()
os.chown(path, user.pw_uid, user.pw_gid)
os.chmod(path, 0o640)
"""


postgresql_role_service_type = ServiceType(
    name="postgresql-role",
    extensions=(
        ServiceExtension(target=shepherd_root_service_type, compute=_roles_service),
        ServiceExtension(target=activation_service_type, compute=lambda c: (
            debian.python_snippet(_ROLES_LOG_ACTIVATION, {"log": c.log},
                                  location=c.location),)),
        ServiceExtension(target=log_rotation_service_type, compute=lambda c: (c.log,)),
    ),
    compose=concatenate,
    extend=lambda config, roles: config.replace(roles=tuple(config.roles) + tuple(roles))
    if roles else config,
    default_value=PostgresqlRoleConfiguration(),
    description="Create PostgreSQL roles and databases once the server is up.")


# ---------------------------------------------------------------------------------------------
# MySQL (MariaDB)


def _environment(value):
    if value is None or value is False:
        return ()
    items = checks.list_of(_plain, "\"NAME=value\" strings")(value)
    for item in items:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", item):
            raise TypeError("\"NAME=value\" strings")
    return items


class MysqlConfiguration(Record):
    """The MySQL service, as Guix's `mysql-configuration`; on Debian, MariaDB."""

    record_name = "mysql-configuration"
    fields = (
        Field("mysql", "mariadb-server", check=package_check,
              doc="the Debian package: mariadb-server"),
        Field("bind_address", "127.0.0.1", check=_addresses),
        Field("port", 3306, check=checks.port_number),
        Field("socket", "/run/mysqld/mysqld.sock", check=_absolute_path),
        Field("datadir", "/var/lib/mysql", check=_absolute_path),
        Field("extra_content", "", check=kinds.raw, doc="my.cnf lines written as they are"),
        Field("extra_environment", (), check=_environment,
              doc="\"NAME=value\" strings for mariadbd's environment"),
        Field("auto_upgrade", True, check=checks.boolean, spec_name="auto-upgrade?"),
    )

    def _validate(self):
        if not self.auto_upgrade:
            raise ServiceError("mysql-configuration: Debian's mariadb.service always upgrades "
                               "the system tables when it starts", location=self.location,
                               hint="drop (auto-upgrade? #f)")
        if debian.package_name(self.mysql) not in ("mariadb-server", "mysql-server",
                                                    "default-mysql-server"):
            raise ServiceError(f"mysql-configuration: '{debian.package_name(self.mysql)}' is "
                               "not a MariaDB server package", location=self.location,
                               hint="Debian's is \"mariadb-server\"")


MYSQL_FILE = "mysql/my.cnf"
MYSQL_UNIT = "mariadb.service"


def my_cnf(config: MysqlConfiguration, rendering: Rendering) -> str:
    """The text of /etc/mysql/my.cnf."""
    address = debian.bound_address(config.bind_address, rendering.listen_address)
    text = ("# Generated by lispdeploy from mysql-configuration.\n"
            "[client-server]\n"
            f"socket = {config.socket}\n"
            f"port = {config.port}\n\n"
            "[mysqld]\n"
            "user = mysql\n"
            f"datadir = {config.datadir}\n"
            f"socket = {config.socket}\n"
            f"bind-address = {address}\n"
            f"port = {config.port}\n"
            "pid-file = /run/mysqld/mysqld.pid\n")
    if config.extra_content:
        text += config.extra_content.rstrip("\n") + "\n"
    return text


_MYSQL_ACTIVATION = """
import os, pwd, subprocess
user = pwd.getpwnam("mysql")
data = DATA["datadir"]
if not os.path.exists(os.path.join(data, "mysql")):
    os.makedirs(data, exist_ok=True)
    os.chown(data, user.pw_uid, user.pw_gid)
    done = subprocess.run(["/usr/bin/mariadb-install-db", "--defaults-file=/etc/mysql/my.cnf",
                           "--datadir=" + data, "--user=mysql", "--skip-test-db"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("mariadb-install-db failed:\\n" + (done.stderr or done.stdout))
"""


def _mysql_files(config: MysqlConfiguration):
    files = [EtcFile(path=MYSQL_FILE, location=config.location,
                     file=GeneratedFile(name="my.cnf", location=config.location,
                                        generate=lambda rendering: my_cnf(config, rendering)),
                     # mariadbd refuses unknown settings even when it only prints help.
                     validate=("/bin/sh", "-c", "exec /usr/sbin/mariadbd "
                               "--defaults-file=\"$1\" --help --verbose >/dev/null",
                               "mariadb-check", "{}"))]
    if config.extra_environment:
        files.append(_environment_drop_in(MYSQL_UNIT, config.extra_environment,
                                          "mysql-configuration", config.location))
    return tuple(files)


def _environment_drop_in(unit: str, assignments, what: str, location) -> EtcFile:
    text = debian.drop_in_text(what, (("Service", [
        ("Environment", quote_word(a, what, expand=False)) for a in assignments]),))
    return EtcFile(path=debian.drop_in_path(unit), location=location,
                   file=PlainFile(name="lispdeploy.conf", content=text, location=location))


def _mysql_watch(config: MysqlConfiguration):
    return (MYSQL_FILE,) + ((debian.drop_in_path(MYSQL_UNIT),) if config.extra_environment
                            else ())


mysql_service_type = ServiceType(
    name="mysql",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_mysql_files),
        ServiceExtension(target=shepherd_root_service_type, compute=lambda c: (SystemdUnit(
            name=MYSQL_UNIT, watch=_mysql_watch(c), provision=("mysql", "mariadb"),
            packages=(c.mysql,), location=c.location),)),
        ServiceExtension(target=activation_service_type, compute=lambda c: (
            debian.python_snippet(_MYSQL_ACTIVATION, {"datadir": c.datadir},
                                  location=c.location),)
            if c.datadir != "/var/lib/mysql" else ()),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.mysql,)),
    ),
    default_value=MysqlConfiguration(),
    description="Run the MariaDB database server (Debian's mariadb.service).")


# ---------------------------------------------------------------------------------------------
# Redis


class RedisConfiguration(Record):
    """The Redis service, as Guix's `redis-configuration`."""

    record_name = "redis-configuration"
    fields = (
        Field("redis", "redis-server", check=package_check),
        Field("bind", "127.0.0.1", check=_redis_addresses),
        Field("port", 6379, check=checks.port_number),
        Field("working_directory", "/var/lib/redis", check=_absolute_path),
        Field("config_file", None, check=checks.optional(
            checks.instance_of(FileLike, "a file-like object"))),
    )


REDIS_FILE = "redis/redis.conf"
REDIS_UNIT = "redis-server.service"


def redis_conf(config: RedisConfiguration, rendering: Rendering) -> str:
    """The text of /etc/redis/redis.conf."""
    addresses = " ".join(dict.fromkeys(debian.bound_address(a, rendering.listen_address)
                                       for a in config.bind.split()))
    return ("# Generated by lispdeploy from redis-configuration.\n"
            f"bind {addresses}\n"
            f"port {config.port}\n"
            f"dir {config.working_directory}\n"
            "daemonize no\n"
            # What Debian's unit expects: it runs redis supervised, as the redis user.
            "supervised systemd\n"
            "pidfile /run/redis/redis-server.pid\n"
            "logfile \"\"\n")


def _redis_files(config: RedisConfiguration):
    file = config.config_file or GeneratedFile(
        name="redis.conf", location=config.location,
        generate=lambda rendering: redis_conf(config, rendering))
    files = [EtcFile(path=REDIS_FILE, file=file, mode=0o640, user="redis", group="redis",
                     location=config.location)]
    if config.working_directory != "/var/lib/redis":
        # Debian's unit may write only its own directories.
        text = debian.drop_in_text("redis-configuration", (("Service", [
            ("ReadWritePaths", config.working_directory)]),))
        files.append(EtcFile(path=debian.drop_in_path(REDIS_UNIT), location=config.location,
                             file=PlainFile(name="lispdeploy.conf", content=text,
                                            location=config.location)))
    return tuple(files)


_REDIS_ACTIVATION = """
import os, pwd
user = pwd.getpwnam("redis")
os.makedirs(DATA["dir"], exist_ok=True)
os.chown(DATA["dir"], user.pw_uid, user.pw_gid)
"""


redis_service_type = ServiceType(
    name="redis",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=_redis_files),
        ServiceExtension(target=shepherd_root_service_type, compute=lambda c: (SystemdUnit(
            name=REDIS_UNIT, watch=tuple(f.path for f in _redis_files(c)),
            provision=("redis",), packages=(c.redis,), location=c.location),)),
        ServiceExtension(target=activation_service_type, compute=lambda c: (
            debian.python_snippet(_REDIS_ACTIVATION, {"dir": c.working_directory},
                                  location=c.location),)),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.redis,)),
    ),
    default_value=RedisConfiguration(),
    description="Run Redis, a key/value store (Debian's redis-server.service).")


SPEC_VOCABULARY = (Vocabulary(
    records=(PostgresqlConfigFile, PostgresqlConfiguration, PostgresqlRole,
             PostgresqlRoleConfiguration, MysqlConfiguration, RedisConfiguration),
    values={"postgresql-service-type": postgresql_service_type,
            "postgresql-role-service-type": postgresql_role_service_type,
            "mysql-service-type": mysql_service_type,
            "redis-service-type": redis_service_type},
    modules=(("gnu", "services", "databases"),),
),)
