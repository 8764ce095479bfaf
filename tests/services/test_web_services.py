"""httpd-service-type and nginx-service-type: the files they write (golden), checked by the
real apache2 and nginx, extension by other services, and listen addresses."""

import os

from systems import (SPECS_DIR, assert_golden, build, build_path, etc_entry, etc_text,
                     fresh_spec_cache, install_runtime_here, items_by_path,  # noqa: F401
                     os_spec, require, run, save, unit_entry, where)

import pytest

from lispdeploy.errors import LispdeployError

WEB = "(use-service-modules web)"


def apache_accepts(tmp_path, text):
    config = save(tmp_path, "apache2.conf", text)
    result = run([require("/usr/sbin/apache2"), "-t", "-f", config])
    assert result.returncode == 0, result.stderr
    return result


def nginx_accepts(tmp_path, text):
    config = save(tmp_path, "nginx.conf", text)
    result = run([require("/usr/sbin/nginx"), "-t", "-q", "-c", config])
    assert result.returncode == 0, result.stderr


def test_forum_server_apache_config_golden():
    system = build_path(os.path.join(SPECS_DIR, "forum-servers.hy"), index=1,
                        listen_address="127.0.10.21")
    assert_golden("forum-server-1.apache2.conf", etc_text(system, "apache2/apache2.conf"))
    assert unit_entry(system, "apache2.service") == {
        "name": "apache2.service", "item": None, "enable": True, "start": True,
        "watch": [], "reload": ["apache2/apache2.conf"], "packages": ["apache2"]}
    assert {"name": "apache2", "version": None} in system.manifest["packages"]
    # Checked on the host once the activation program has made the document root.
    assert etc_entry(system, "apache2/apache2.conf")["validate"] == [
        "/usr/sbin/apache2", "-t", "-f", "{}"]
    assert etc_entry(system, "apache2/apache2.conf")["validate-early"] is False


def test_apache_accepts_the_config_and_virtual_hosts(tmp_path):
    root = tmp_path / "forum"
    system = build(tmp_path, os_spec(f"""
        (list (service httpd-service-type
                       (httpd-configuration
                         (config (httpd-config-file
                                   (server-name "forum.example.org")
                                   (document-root "{root}")
                                   (error-log "{tmp_path}/logs/error.log")
                                   (listen '("80" "127.0.0.5:8080"))))))
              (simple-service 'wiki httpd-service-type
                              (list (httpd-virtualhost "*:8080"
                                                       (list "ServerName wiki.example.org\\n"
                                                             "DocumentRoot {root}\\n")))))""",
                                     preamble=WEB), listen_address="127.0.10.21")
    text = etc_text(system, "apache2/apache2.conf")
    assert "Listen 127.0.10.21:80\nListen 127.0.0.5:8080\n" in text
    assert "\n<VirtualHost *:8080>\nServerName wiki.example.org\n" in text
    assert "LoadModule log_config_module" not in text     # built into Debian's apache2
    assert "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so" in text
    # The activation program creates the document root and the log directory.
    program = items_by_path(system)[system.manifest["activation"]["program"]]
    install_runtime_here()
    result = run(["python3", "-I", save(tmp_path, "activate", program.content)])
    assert result.returncode == 0, result.stderr
    assert root.is_dir() and (tmp_path / "logs").is_dir()
    apache_accepts(tmp_path, text)


def test_an_httpd_config_file_cannot_take_virtual_hosts(tmp_path):
    text = os_spec("""
        (list (service httpd-service-type
                       (httpd-configuration (config (plain-file "httpd.conf" "Listen 80\\n"))))
              (simple-service 'site httpd-service-type (list "ServerName x")))""",
                   preamble=WEB)
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(httpd-configuration')}: error: httpd-service-type: other services "
        "add virtual hosts, but its config is a file\n"
        "hint: use (config (httpd-config-file ...)) so that extensions can be added to it")


NGINX = """
(list (service nginx-service-type
               (nginx-configuration
                 (server-blocks
                   (list (nginx-server-configuration
                           (server-name '("www.example.org"))
                           (root "/srv/www")
                           (locations (list (nginx-location-configuration
                                              (uri "/api/")
                                              (body '("proxy_pass http://backend;")))))
                           (listen '("80" "[::]:80")))))
                 (upstream-blocks (list (nginx-upstream-configuration
                                          (name "backend")
                                          (servers '("127.0.0.1:8000")))))))
      (simple-service 'status-page nginx-service-type
                      (list (nginx-server-configuration
                              (server-name '("status.example.org"))
                              (listen '("8080"))
                              (raw-content '("access_log off;"))))))
"""


def test_nginx_config_golden_and_valid(tmp_path):
    system = build(tmp_path, os_spec(NGINX, preamble=WEB), listen_address="127.0.10.22")
    text = etc_text(system, "nginx/nginx.conf")
    assert_golden("nginx.conf", text)
    nginx_accepts(tmp_path, text)
    assert etc_entry(system, "nginx/nginx.conf")["validate"] == [
        "/usr/sbin/nginx", "-t", "-q", "-c", "{}"]
    assert unit_entry(system, "nginx.service")["reload"] == ["nginx/nginx.conf"]


def test_nginx_listen_directives_bind_to_the_listen_address(tmp_path):
    system = build(tmp_path, os_spec(NGINX, preamble=WEB), listen_address="127.0.10.22")
    text = etc_text(system, "nginx/nginx.conf")
    # "[::]:80" would take port 80 on every address of the network the hosts share.
    assert "listen 127.0.10.22:80;\n      server_name www.example.org;" in text
    assert "listen 127.0.10.22:8080;" in text
    system = build(tmp_path, os_spec(NGINX, preamble=WEB))
    assert "listen 80;\n      listen [::]:80;" in etc_text(system, "nginx/nginx.conf")


def test_nginx_file_replaces_the_generated_config(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service nginx-service-type
                       (nginx-configuration
                         (file (plain-file "nginx.conf" "events {}\\nhttp {}\\n")))))""",
                                     preamble=WEB))
    assert etc_text(system, "nginx/nginx.conf") == "events {}\nhttp {}\n"
