"""postgresql-service-type, postgresql-role-service-type, mysql-service-type and
redis-service-type: the files they write, checked by the real daemons' parsers, the units,
the roles program, addresses on container hosts, and errors in specs."""

import json
import os
import pathlib
import pwd
import re
import shutil
import subprocess
import tempfile

from systems import (build, etc_entry, etc_text, fresh_spec_cache,  # noqa: F401
                     install_runtime_here, items_by_path, os_spec, require, run, save,
                     unit_entry, unit_text, where)

import pytest

from lispdeploy.errors import LispdeployError

DATABASES = "(use-service-modules databases)"

POSTGRESQL = """
(list (service postgresql-service-type
               (postgresql-configuration
                 (port 5433)
                 (config-file (postgresql-config-file
                                (hba-file '("local all all peer"
                                            "host all all 127.0.0.0/8 scram-sha-256"))
                                (extra-config '(("work_mem" "8MB") ("fsync" #t)
                                                ("max_connections" 20)
                                                ("listen_addresses" "*")))))))
      (service postgresql-role-service-type
               (postgresql-role-configuration
                 (roles (list (postgresql-role (name "app") (create-database? #t)
                                               (password-file "/etc/app.password"))))))
      (simple-service 'more-roles postgresql-role-service-type
                      (list (postgresql-role (name "reports") (permissions '(login))))))
"""


def validate(tmp_path, system, path):
    """Run the validator a file declares, as the host would, on the built file."""
    entry = etc_entry(system, path)
    file = save(tmp_path, os.path.basename(path), items_by_path(system)[entry["item"]].content)
    os.chmod(file, 0o600)    # as the probe's temporary copy is
    return run([file if a == "{}" else a for a in entry["validate"]])


def test_postgresql_files_units_and_the_servers_own_check(tmp_path):
    system = build(tmp_path, os_spec(POSTGRESQL, preamble=DATABASES),
                   listen_address="127.0.10.31")
    conf = etc_text(system, "postgresql/15/main/postgresql.conf")
    assert "data_directory = '/var/lib/postgresql/data'\n" in conf
    assert "hba_file = '/etc/postgresql/15/main/pg_hba.conf'\n" in conf
    assert "external_pid_file = '/run/postgresql/15-main.pid'\n" in conf
    assert "port = 5433\n" in conf and "fsync = on\n" in conf and "max_connections = 20\n" in conf
    # On a container host, a wildcard listen address is the host's own.
    assert "listen_addresses = '127.0.10.31'\n" in conf and "'*'" not in conf
    assert etc_text(system, "postgresql/15/main/pg_hba.conf").splitlines()[1:] == [
        "local all all peer", "host all all 127.0.0.0/8 scram-sha-256"]
    hba = etc_entry(system, "postgresql/15/main/pg_hba.conf")
    assert (hba["user"], hba["group"], hba["mode"]) == ("postgres", "postgres", "0640")
    # Client authentication changes reload the server; postgresql.conf restarts it.
    unit = unit_entry(system, "postgresql@15-main.service")
    assert unit["watch"] == ["postgresql/15/main/postgresql.conf"]
    assert unit["reload"] == ["postgresql/15/main/pg_hba.conf",
                              "postgresql/15/main/pg_ident.conf"]
    assert {"name": "postgresql-15", "version": None} in system.manifest["packages"]
    result = validate(tmp_path, system, "postgresql/15/main/postgresql.conf")
    assert result.returncode == 0, result.stderr


def test_postgresql_check_refuses_what_the_server_would(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service postgresql-service-type
                       (postgresql-configuration
                         (config-file (postgresql-config-file
                                        (extra-config '(("shared_bufers" "64MB"))))))))""",
                                     preamble=DATABASES))
    result = validate(tmp_path, system, "postgresql/15/main/postgresql.conf")
    assert result.returncode != 0
    assert 'unrecognized configuration parameter "shared_bufers"' in result.stderr
    # The message names the file being checked, not a temporary copy.
    assert "/tmp/tmp." not in result.stderr


def test_without_a_listen_address_postgresql_keeps_localhost(tmp_path):
    system = build(tmp_path, os_spec("(list (service postgresql-service-type "
                                     "(postgresql-configuration)))", preamble=DATABASES))
    assert "listen_addresses" not in etc_text(system, "postgresql/15/main/postgresql.conf")


def test_postgresql_version_follows_the_package(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service postgresql-service-type
                       (postgresql-configuration (postgresql "postgresql-17"))))""",
                                     preamble=DATABASES))
    assert unit_entry(system, "postgresql@17-main.service")
    assert "/usr/lib/postgresql/17/bin/postgres" in " ".join(
        etc_entry(system, "postgresql/17/main/postgresql.conf")["validate"])


def test_roles_unit_runs_the_roles_program_as_postgres(tmp_path):
    system = build(tmp_path, os_spec(POSTGRESQL, preamble=DATABASES))
    text = unit_text(system, "postgres-roles.service")
    assert "Requires=postgresql@15-main.service\nAfter=postgresql@15-main.service\n" in text
    assert "Type=oneshot\nRemainAfterExit=yes\n" in text
    assert "User=postgres\nGroup=postgres\n" in text
    program = re.search(r"ExecStart=/usr/bin/python3 -I (\S+)", text).group(1)
    source = items_by_path(system)[program].text()
    # The program's data is embedded as a JSON string literal.
    data = json.loads(re.search(r"'(\{\"host\": [^']*?\})\\*'", source).group(1))
    assert [(r["name"], r["permissions"], r["create_database"], r["password_file"])
            for r in data["roles"]] == [
        ("app", ["createdb", "login"], True, "/etc/app.password"),
        ("reports", ["login"], False, None)]
    # Its log is rotated with the other services' files.
    assert "/var/log/postgresql_roles.log" in etc_text(system, "logrotate.d/lispdeploy")


ROLE_ERRORS = [
    ('(postgresql-role (name "postgres"))',
     "postgresql-role: 'postgres' is the cluster's own superuser", "(postgresql-role (name"),
    ('(postgresql-role (name "app") (permissions \'(createdb sudo)))',
     "postgresql-role: field 'permissions' expects a list of permissions: bypassrls, "
     "createdb, createrole, login, replication, superuser", "(permissions"),
    ('(postgresql-role (name "app; DROP TABLE x"))',
     "postgresql-role: field 'name' expects a name of letters, digits and _ (at most 63 "
     "characters)", '(name "app;'),
]


@pytest.mark.parametrize("role,message,at", ROLE_ERRORS)
def test_role_mistakes_are_refused_at_their_spec_line(tmp_path, role, message, at):
    text = os_spec(f"""
        (list (service postgresql-service-type (postgresql-configuration))
              (service postgresql-role-service-type
                       (postgresql-role-configuration (roles (list {role})))))""",
                   preamble=DATABASES)
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    assert e.value.render().startswith(
        f"{where(str(tmp_path / 'spec.hy'), at)}: error: {message}")


def test_roles_without_postgresql_name_the_missing_service(tmp_path):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec("(list (service postgresql-role-service-type))",
                                preamble=DATABASES))
    assert "requires 'postgres', which no service of this system provides" in e.value.render()


@pytest.mark.parametrize("clause,message", [
    ('(postgresql "postgresql")', "postgresql: cannot tell the version of package "
                                  "'postgresql'"),
    ("(uid 70)", "the postgres account is made by Debian's package"),
    ('(config-file (postgresql-config-file (hba-file \'("trust everyone"))))',
     "field 'hba-file' expects"),
])
def test_postgresql_configuration_mistakes(tmp_path, clause, message):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(f"(list (service postgresql-service-type "
                                f"(postgresql-configuration {clause})))", preamble=DATABASES))
    assert message in e.value.render()


def test_roles_program_is_idempotent_against_a_real_server(tmp_path):
    """The roles program, run twice against a PostgreSQL started here: the second run alters
    instead of creating, and nothing fails."""
    system = build(tmp_path, os_spec(POSTGRESQL, preamble=DATABASES))
    text = unit_text(system, "postgres-roles.service")
    program = items_by_path(system)[re.search(r"-I (\S+)", text).group(1)]
    # A directory postgres may reach (pytest's temporary directories are root's own).
    base = pathlib.Path(tempfile.mkdtemp(prefix="lispdeploy-roles-test-"))
    os.chmod(base, 0o755)
    postgres = pwd.getpwnam("postgres")
    os.chown(base, postgres.pw_uid, postgres.pw_gid)
    data, socket, log, password = (base / "pgdata", base / "socket", base / "roles.log",
                                   base / "app.password")
    socket.mkdir()
    os.chown(socket, postgres.pw_uid, postgres.pw_gid)
    password.write_text("s3cret\n")
    os.chmod(password, 0o644)
    as_postgres = ["/usr/sbin/runuser", "-u", "postgres", "--"]
    binaries = "/usr/lib/postgresql/15/bin"
    try:
        _serve_and_run_roles(program, base, data, socket, log, password, as_postgres,
                             binaries)
    finally:
        shutil.rmtree(base)


def _serve_and_run_roles(program, base, data, socket, log, password, as_postgres, binaries):
    done = run(as_postgres + [f"{binaries}/initdb", "-D", str(data), "--locale=C.UTF-8"])
    assert done.returncode == 0, done.stderr
    server = subprocess.Popen(as_postgres + [f"{binaries}/postgres", "-D", str(data), "-k",
                                             str(socket), "-c", "listen_addresses=",
                                             "-p", "5439"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        source = program.text().replace("/var/run/postgresql", str(socket)).replace(
            "/var/log/postgresql_roles.log", str(log)).replace("/etc/app.password",
                                                               str(password))
        # Template databases of this cluster have the C.UTF-8 collation.
        source = source.replace("en_US.utf8", "C.UTF-8")
        script = save(base, "roles", source)
        os.chmod(script, 0o755)
        install_runtime_here()
        for _ in range(2):
            done = run(as_postgres + ["python3", "-I", script], cwd="/")
            assert done.returncode == 0, done.stderr + done.stdout
        query = run(as_postgres + [f"{binaries}/psql", "-XAt", "-h", str(socket), "-p", "5439",
                                   "-d", "postgres", "-c",
                                   "SELECT rolname, rolcreatedb, rolcanlogin, "
                                   "rolpassword IS NOT NULL FROM pg_authid "
                                   "WHERE rolname IN ('app', 'reports') ORDER BY 1; "
                                   "SELECT datname FROM pg_database WHERE datname = 'app'"],
                    cwd="/")
        assert query.stdout.split() == ["app|t|t|t", "reports|f|t|f", "app"], query.stderr
        assert log.read_text().count("created role app") == 1
        assert "role app up to date" in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_mysql_my_cnf_binds_the_host_address_and_passes_mariadbd(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service mysql-service-type
                       (mysql-configuration (port 3307) (extra-content "max_connections = 50")
                                            (extra-environment '("TZ=UTC")))))""",
                                     preamble=DATABASES), listen_address="127.0.10.32")
    text = etc_text(system, "mysql/my.cnf")
    assert "[mysqld]\nuser = mysql\ndatadir = /var/lib/mysql\n" in text
    assert "bind-address = 127.0.10.32\nport = 3307\n" in text
    assert text.endswith("max_connections = 50\n")
    assert unit_entry(system, "mariadb.service")["watch"] == [
        "mysql/my.cnf", "systemd/system/mariadb.service.d/lispdeploy.conf"]
    assert "Environment=TZ=UTC" in etc_text(system,
                                            "systemd/system/mariadb.service.d/lispdeploy.conf")
    require("/usr/sbin/mariadbd")
    assert validate(tmp_path, system, "mysql/my.cnf").returncode == 0


def test_mariadbd_refuses_an_unknown_setting(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service mysql-service-type
                       (mysql-configuration (extra-content "max_conections = 50"))))""",
                                     preamble=DATABASES))
    result = validate(tmp_path, system, "mysql/my.cnf")
    assert result.returncode != 0 and "unknown variable 'max_conections=50'" in result.stderr


def test_redis_conf_from_guix_fields(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service redis-service-type
                       (redis-configuration (port 6380) (working-directory "/srv/redis"))))""",
                                     preamble=DATABASES), listen_address="127.0.10.33")
    text = etc_text(system, "redis/redis.conf")
    assert text.splitlines()[1:5] == ["bind 127.0.10.33", "port 6380", "dir /srv/redis",
                                      "daemonize no"]
    entry = etc_entry(system, "redis/redis.conf")
    assert (entry["user"], entry["mode"]) == ("redis", "0640")
    # Debian's unit may write only its own directories: the drop-in adds this one.
    assert "ReadWritePaths=/srv/redis" in etc_text(
        system, "systemd/system/redis-server.service.d/lispdeploy.conf")
    assert unit_entry(system, "redis-server.service")["watch"] == [
        "redis/redis.conf", "systemd/system/redis-server.service.d/lispdeploy.conf"]
