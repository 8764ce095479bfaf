"""The server services end to end: specs/app-servers.hy deployed once to two container hosts
(its machines renamed for this run), then used as their clients would use them: a PHP page
fetched through nginx, PostgreSQL's role connecting over TCP from the web host, MariaDB and
Redis clients of this machine, node exporter metrics scraped, a syslog message and a forced log rotation,
and unattended-upgrade's own dry run reading the configuration. A last deploy adds a role,
and the roles unit converges (a second run changes nothing it should not)."""

import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

from deploy_hosts import DeployWorld

SPEC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "specs", "app-servers.hy")


class Servers:
    """The two hosts of the example, deployed."""

    def __init__(self, world: DeployWorld):
        self.world = world
        self.db_name, self.web_name = world.host_name(), world.host_name()
        with open(SPEC) as f:
            self.text = (f.read().replace('(name "app-db")', f'(name "{self.db_name}")')
                         .replace('(name "app-web")', f'(name "{self.web_name}")'))
        self.path = world.write(self.text, "app-servers.hy")

    def deploy(self, path):
        done = self.world.lispdeploy("deploy", path, "--json")
        assert done.returncode == 0, done.stderr + done.stdout
        return {h["host"]: h for h in json.loads(done.stdout)["hosts"]}

    def address(self, name):
        return self.world.engine.get(name).address

    def db(self, script):
        return self.world.sh(self.db_name, script)

    def web(self, script):
        return self.world.sh(self.web_name, script)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    world = DeployWorld(tmp_path_factory.mktemp("app-servers"))
    try:
        s = Servers(world)
        s.first = s.deploy(s.path)
        yield s
    finally:
        world.destroy_all()


def client(argv):
    """Run a client program of this machine (the Makefile installs them); its output."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


# The addresses a host listens on at a TCP port, from the kernel's table (minimal hosts have no
# ss): little-endian hex address, hex port, state 0A (listening).
_LISTENING = ("import socket, struct, sys\n"
              "for line in open('/proc/net/tcp').readlines()[1:]:\n"
              "    local, state = line.split()[1], line.split()[3]\n"
              "    address, port = local.split(':')\n"
              "    if state == '0A' and int(port, 16) == int(sys.argv[1]):\n"
              "        print(socket.inet_ntoa(struct.pack('<I', int(address, 16))))\n")


def listening(run_on, port):
    return run_on(f"python3 -c \"{_LISTENING}\" {port}").split()


def bound_to(addresses, address):
    """The port is served on `address`, and on no address every host shares (the network
    namespace is this machine's: other hosts' daemons show up too)."""
    return address in addresses and not {"0.0.0.0", "127.0.0.1"} & set(addresses)


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def test_both_hosts_deployed_with_their_daemons_up(servers):
    assert {h["result"] for h in servers.first.values()} == {"deployed"}
    assert servers.db("systemctl is-active postgresql@15-main postgres-roles mariadb "
                      "prometheus-node-exporter").split() == ["active"] * 4
    assert servers.web("systemctl is-active nginx php8.2-fpm redis-server rsyslog "
                       "logrotate.timer apt-daily-upgrade.timer").split() == ["active"] * 6


def test_php_page_served_through_nginx(servers):
    status, body = fetch(f"http://{servers.address(servers.web_name)}/")
    assert (status, body) == (200, "Hello from PHP 8, 42\n")
    # The pool's settings reach PHP: the time zone the spec gives.
    servers.web("printf '<?php echo date_default_timezone_get();' > /srv/app/tz.php")
    try:
        assert fetch(f"http://{servers.address(servers.web_name)}/tz.php") == (200,
                                                                              "Europe/Paris")
    finally:
        servers.web("rm /srv/app/tz.php")
    # nginx passes only existing .php files to php-fpm.
    with pytest.raises(urllib.error.HTTPError) as missing:
        fetch(f"http://{servers.address(servers.web_name)}/missing.php")
    assert missing.value.code == 404


def test_postgresql_role_connects_over_tcp_from_the_other_host(servers):
    db = servers.address(servers.db_name)
    out = servers.web(f"PGPASSWORD=app-secret psql -X -h {db} -U app -d app -Atc "
                      "\"CREATE TABLE IF NOT EXISTS notes (body text); "
                      "INSERT INTO notes VALUES ('hello'); "
                      "SELECT current_user, current_database(), count(*) FROM notes;\"")
    assert out.strip().splitlines()[-1].startswith("app|app|")
    # The password is required: pg_hba asks for it over TCP.
    wrong = servers.web(f"PGPASSWORD=wrong psql -X -h {db} -U app -d app -Atc 'SELECT 1' "
                        "2>&1 || true")
    assert "password authentication failed" in wrong
    # The server listens on its own address only (container hosts share the loopback).
    assert bound_to(listening(servers.db, 5432), db)
    assert servers.db("runuser -u postgres -- psql -XAtc 'SHOW shared_buffers' -d postgres "
                      "2>/dev/null") == "64MB\n"


def test_mariadb_client_connects_and_queries(servers):
    db = servers.address(servers.db_name)
    servers.db("mariadb -e \"CREATE DATABASE IF NOT EXISTS shop; "
               "CREATE USER IF NOT EXISTS 'shop'@'%' IDENTIFIED BY 'shop-secret'; "
               "GRANT ALL ON shop.* TO 'shop'@'%';\"")
    out = client(["mariadb", "-h", db, "-u", "shop", "-pshop-secret", "shop", "-N", "-e",
                  "CREATE TABLE IF NOT EXISTS t (x INT); INSERT INTO t VALUES (7); "
                  "SELECT SUM(x) > 0, @@max_connections FROM t;"])
    assert out.split() == ["1", "50"]


def test_redis_cli_talks_to_redis(servers):
    web = servers.address(servers.web_name)
    assert client(["redis-cli", "-h", web, "SET", "greeting", "hi"]).split() == ["OK"]
    assert client(["redis-cli", "-h", web, "GET", "greeting"]).split() == ["hi"]
    assert bound_to(listening(servers.web, 6379), web)


def test_node_exporter_metrics_scraped_on_each_hosts_address(servers):
    for name in (servers.db_name, servers.web_name):
        status, body = fetch(f"http://{servers.address(name)}:9100/metrics")
        assert status == 200
        host = "app-db" if name == servers.db_name else "app-web"
        assert f'nodename="{host}"' in body
        assert "node_textfile_scrape_error 0" in body


def test_syslog_message_lands_where_the_rules_say_and_rotation_is_forced(servers):
    servers.web("logger -p local3.info 'first message'")
    servers.web("for i in $(seq 50); do grep -q 'first message' /var/log/app.log 2>/dev/null "
                "&& break; sleep 0.2; done")
    assert "first message" in servers.web("cat /var/log/app.log")
    assert "first message" not in servers.web("cat /var/log/syslog 2>/dev/null || true")
    servers.web("logrotate -f /etc/logrotate.conf")
    rotated = servers.web("ls /var/log/ | grep '^app.log'").split()
    assert "app.log.1.gz" in rotated
    assert "first message" in servers.web("zcat /var/log/app.log.1.gz")
    # copytruncate: rsyslog goes on writing to app.log itself.
    servers.web("logger -p local3.info 'second message'")
    servers.web("for i in $(seq 50); do grep -q 'second message' /var/log/app.log && break; "
                "sleep 0.2; done")
    log = servers.web("cat /var/log/app.log")
    assert "second message" in log and "first message" not in log


def test_unattended_upgrade_reads_the_configuration(servers):
    # A strict whitelist of nothing keeps the dry run short; what it prints first is what it
    # read from the spec's configuration.
    out = servers.web(
        "printf 'Unattended-Upgrade::Package-Whitelist { \"lispdeploy-none\"; };\\n"
        "Unattended-Upgrade::Package-Whitelist-Strict \"true\";\\n' > /tmp/uu-test.conf; "
        "APT_CONFIG=/tmp/uu-test.conf unattended-upgrade --dry-run --debug 2>&1 "
        "| grep -v 'Applying pin'; rm /tmp/uu-test.conf")
    codename = servers.web(". /etc/os-release; echo $VERSION_CODENAME").strip()
    assert (f"Allowed origins are: origin=Debian,codename={codename},label=Debian, "
            f"origin=Debian,codename={codename},label=Debian-Security") in out
    assert "Initial blacklist: nginx" in out
    assert "No packages found that can be upgraded unattended" in out
    timer = servers.web("systemctl show -p TimersCalendar --value apt-daily-upgrade.timer")
    assert "OnCalendar=*-*-* 04:30:00" in timer


def test_adding_a_role_reruns_the_roles_unit_which_converges(servers):
    changed = servers.text.replace(
        '(create-database? #t))))))',
        '(create-database? #t))\n (postgresql-role (name "reports") '
        '(permissions \'(login)))))))')
    assert changed != servers.text
    hosts = servers.deploy(servers.world.write(changed, "v2/app-servers.hy"))
    assert hosts["app-db"]["result"] == "deployed"
    assert servers.db("runuser -u postgres -- psql -XAtc \"SELECT rolname, rolcreatedb, "
                      "rolcanlogin FROM pg_roles WHERE rolname IN ('app', 'reports') "
                      "ORDER BY 1\" 2>/dev/null").split() == ["app|t|t", "reports|f|t"]
    # Running it again (as each later deploy may) changes nothing and fails on nothing.
    servers.db("systemctl restart postgres-roles")
    log = servers.db("tail -n 2 /var/log/postgresql_roles.log")
    assert "role app up to date" in log and "role reports up to date" in log
    db = servers.address(servers.db_name)
    assert servers.web(f"PGPASSWORD=app-secret psql -X -h {db} -U app -d app -Atc "
                       "'SELECT count(*) > 0 FROM notes'").strip() == "t"


def test_a_client_authentication_change_reloads_postgresql(servers):
    pid = servers.db("systemctl show -p MainPID --value postgresql@15-main").strip()
    changed = servers.text.replace(
        '"host all all 127.0.0.0/8 scram-sha-256"',
        '"host all all 127.0.0.0/8 scram-sha-256" "host app app ::1/128 scram-sha-256"')
    assert changed != servers.text
    hosts = servers.deploy(servers.world.write(changed, "v3/app-servers.hy"))
    report = hosts["app-db"]
    assert "postgresql@15-main.service" in report["reloaded"]
    assert "postgresql@15-main.service" not in report["restarted"]
    assert servers.db("systemctl show -p MainPID --value postgresql@15-main").strip() == pid
    # The running server read its configuration again.
    assert "received SIGHUP, reloading configuration files" in servers.db(
        "cat /var/log/postgresql/*.log 2>/dev/null; journalctl -u postgresql@15-main -o cat "
        "--no-pager")
