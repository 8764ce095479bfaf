"""php-fpm-service-type with nginx-php-location, and prometheus-node-exporter-service-type:
the files they write, checked by php-fpm and nginx themselves, pools added by other services,
listen addresses on container hosts, and mistakes in specs."""

import os

from systems import (build, etc_entry, etc_text, fresh_spec_cache, items_by_path,  # noqa: F401
                     os_spec, require, run, save, unit_entry, where)

import pytest

from lispdeploy.errors import LispdeployError

WEB = "(use-service-modules web monitoring)"

PHP = """
(list (service php-fpm-service-type
               (php-fpm-configuration
                 (timezone "Europe/Paris")
                 (display-errors #t)
                 (process-manager (php-fpm-static-process-manager-configuration
                                    (max-children 3)))))
      (simple-service 'shop php-fpm-service-type
                      (list (php-fpm-pool-configuration
                              (name "shop")
                              (settings '(("php_admin_value[memory_limit]" "64M"))))))
      (service nginx-service-type
               (nginx-configuration
                 (server-blocks
                   (list (nginx-server-configuration
                           (root "/srv/app")
                           (index '("index.php"))
                           (locations (list (nginx-php-location)))))))))
"""


def check(tmp_path, system, path):
    entry = etc_entry(system, path)
    file = save(tmp_path, os.path.basename(path), items_by_path(system)[entry["item"]].content)
    require(entry["validate"][0])
    return run([file if a == "{}" else a for a in entry["validate"]])


def test_php_fpm_conf_has_guix_pool_and_extensions_and_passes_php_fpm(tmp_path):
    system = build(tmp_path, os_spec(PHP, preamble=WEB))
    text = etc_text(system, "php/8.2/fpm/php-fpm.conf")
    www, shop = text.split("\n[www]\n")[1].split("\n[shop]\n")
    assert text.split("\n[www]\n")[0].endswith(
        "[global]\npid = /run/php/php8.2-fpm.pid\nerror_log = /var/log/php8.2-fpm.log\n")
    assert www.splitlines()[:6] == [
        "user = www-data", "group = www-data", "listen = /var/run/php8-fpm.sock",
        "listen.owner = www-data", "listen.group = www-data",
        "php_admin_value[date.timezone] = \"Europe/Paris\""]
    assert "pm = static\npm.max_children = 3\nphp_flag[display_errors] = on\n" in www
    assert "php_admin_value[error_log] = /var/log/php8.2-fpm.www.log\n" in www
    assert "listen = /var/run/php-fpm-shop.sock" in shop
    assert shop.endswith("php_admin_value[memory_limit] = 64M\n")
    result = check(tmp_path, system, "php/8.2/fpm/php-fpm.conf")
    assert result.returncode == 0, result.stderr
    assert unit_entry(system, "php8.2-fpm.service")["reload"] == ["php/8.2/fpm/php-fpm.conf"]
    assert {"name": "php8.2-fpm", "version": None} in system.manifest["packages"]
    # The workers' log is rotated.
    assert "/var/log/php8.2-fpm.www.log" in etc_text(system, "logrotate.d/lispdeploy")


def test_nginx_php_location_passes_nginx_t(tmp_path):
    system = build(tmp_path, os_spec(PHP, preamble=WEB), listen_address="127.0.10.41")
    text = etc_text(system, "nginx/nginx.conf")
    assert ("location ~ \\.php$ {\n        fastcgi_split_path_info ^(.+\\.php)(/.+)$;\n"
            in text)
    assert "fastcgi_pass unix:/var/run/php8-fpm.sock;" in text
    assert "include /etc/nginx/fastcgi.conf;" in text
    result = check(tmp_path, system, "nginx/nginx.conf")
    assert result.returncode == 0, result.stderr


def test_php_fpm_refuses_a_bad_pool_setting(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (simple-service 'shop php-fpm-service-type
                              (list (php-fpm-pool-configuration
                                      (name "shop")
                                      (settings '(("pm.max_requests" "many")))))))""",
                                     preamble=WEB))
    result = check(tmp_path, system, "php/8.2/fpm/php-fpm.conf")
    assert result.returncode != 0
    assert "unable to parse value for entry 'pm.max_requests'" in result.stderr


def test_php_version_and_ini_file(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service php-fpm-service-type
                       (php-fpm-configuration
                         (php "php8.4-fpm")
                         (php-ini-file (plain-file "php.ini" "memory_limit = 64M\\n")))))""",
                                     preamble=WEB))
    assert unit_entry(system, "php8.4-fpm.service")
    assert etc_text(system, "php/8.4/fpm/php.ini") == "memory_limit = 64M\n"
    assert "listen = /var/run/php8-fpm.sock" in etc_text(system, "php/8.4/fpm/php-fpm.conf")


@pytest.mark.parametrize("clause,message", [
    ('(php "php")', "php: cannot tell the version of package 'php'"),
    ('(user "www data")', "field 'user' expects a user or group name"),
    ('(socket "/run/x.sock; rm")', "field 'socket' expects an absolute path"),
    ('(pools (list (php-fpm-pool-configuration (name "www"))))',
     "pool 'www' is declared twice"),
])
def test_php_fpm_mistakes(tmp_path, clause, message):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(f"(list (service php-fpm-service-type "
                                f"(php-fpm-configuration {clause})))", preamble=WEB))
    assert message in e.value.render()
    assert e.value.render().startswith(str(tmp_path / "spec.hy") + ":")


def test_node_exporter_binds_the_host_address(tmp_path):
    text = os_spec("""
        (list (service prometheus-node-exporter-service-type
                       (prometheus-node-exporter-configuration
                         (extra-options '("--collector.systemd")))))""", preamble=WEB)
    system = build(tmp_path, text, listen_address="127.0.10.42")
    assert etc_text(system, "default/prometheus-node-exporter").splitlines()[1] == (
        'ARGS="--web.listen-address=127.0.10.42:9100 '
        '--collector.textfile.directory=/var/lib/prometheus/node-exporter '
        '--collector.systemd"')
    assert unit_entry(system, "prometheus-node-exporter.service")["watch"] == [
        "default/prometheus-node-exporter"]
    system = build(tmp_path, text)
    assert "--web.listen-address=:9100 " in etc_text(system, "default/prometheus-node-exporter")


@pytest.mark.parametrize("listen,bound", [
    ("127.0.0.1:9101", "127.0.10.42:9101"), ("0.0.0.0:9100", "127.0.10.42:9100"),
    ("[::]:9100", "127.0.10.42:9100"), ("127.0.0.7:9100", "127.0.0.7:9100")])
def test_node_exporter_listen_addresses(tmp_path, listen, bound):
    system = build(tmp_path, os_spec(f"""
        (list (service prometheus-node-exporter-service-type
                       (prometheus-node-exporter-configuration
                         (web-listen-address "{listen}"))))""", preamble=WEB),
                   listen_address="127.0.10.42")
    assert f"--web.listen-address={bound} " in etc_text(system,
                                                       "default/prometheus-node-exporter")


def test_node_exporter_options_are_single_words(tmp_path):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec("""
            (list (service prometheus-node-exporter-service-type
                           (prometheus-node-exporter-configuration
                             (extra-options '("--a \\"b\\"")))))""", preamble=WEB))
    assert e.value.render().startswith(
        f"{where(str(tmp_path / 'spec.hy'), '(extra-options')}: error: "
        "prometheus-node-exporter-configuration: field 'extra-options' expects a list of "
        "options, one word each")
