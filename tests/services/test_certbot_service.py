"""certbot-service-type, built: specs/https-site.hy's nginx configuration (golden, and
accepted by the real nginx once the activation's self-signed certificates exist), certbot's
command lines, its units (one-shot at start, renewal timer), and its records' errors."""

import os
import subprocess

from systems import (SPECS_DIR, assert_golden, build, build_path, etc_entry,  # noqa: F401
                     etc_text, fresh_spec_cache, items_by_path, os_spec, require, run, save,
                     unit_entry, unit_text)

import pytest

from lispdeploy.errors import LispdeployError
from lispdeploy.hostside import certbot as host_certbot

HTTPS_SITE = os.path.join(SPECS_DIR, "https-site.hy")


def test_https_site_nginx_config_golden_and_checked_during_activation_only():
    system = build_path(HTTPS_SITE, listen_address="127.0.10.31")
    text = etc_text(system, "nginx/nginx.conf")
    site = [i for i in system.items if i.name == "https-site"][0]
    assert_golden("https-site.nginx.conf", text.replace(site.path, "SITE"))
    # The port-80 server of the certificate: challenge and redirect; the wildcard
    # addresses of both servers are bound to the host's own.
    assert ("      listen 127.0.10.31:80;\n      server_name example.org www.example.org;\n"
            in text)
    assert "      location /.well-known {\n        root /var/www;\n      }\n" in text
    assert "        return 301 https://$host$request_uri;\n" in text
    assert "[::]" not in text
    entry = etc_entry(system, "nginx/nginx.conf")
    assert entry["validate"] == ["/usr/sbin/nginx", "-t", "-q", "-c", "{}"]
    assert entry["validate-early"] is False


def test_nginx_accepts_the_config_with_the_activations_certificates(tmp_path, monkeypatch):
    system = build_path(HTTPS_SITE, listen_address="127.0.10.31")
    certs = tmp_path / "certs"
    monkeypatch.setattr(host_certbot, "CERTS", str(certs))
    monkeypatch.setattr(host_certbot, "LIVE", str(tmp_path / "live"))
    monkeypatch.setattr(host_certbot, "STATE", str(tmp_path / "state"))
    monkeypatch.setattr(host_certbot, "DEBIAN_TIMER", "lispdeploy-test-absent.timer")
    host_certbot.activate({"webroot": str(tmp_path / "www"), "openssl": require("openssl"),
                           "rsa-key-size": 2048,
                           "self-signed": [{"name": "example.org",
                                            "domains": ["example.org", "www.example.org"]}]})
    pem = (certs / "example.org" / "fullchain.pem").read_text()
    shown = subprocess.run(["openssl", "x509", "-noout", "-subject", "-ext", "subjectAltName"],
                           input=pem, capture_output=True, text=True).stdout
    assert "CN = example.org" in shown and "DNS:www.example.org" in shown
    text = etc_text(system, "nginx/nginx.conf").replace("/etc/certs", str(certs))
    text = text.replace("user www-data;", "")
    config = save(tmp_path, "nginx.conf", text)
    result = run([require("/usr/sbin/nginx"), "-t", "-q", "-c", config])
    assert result.returncode == 0, result.stderr


def test_certbot_units_and_packages():
    system = build_path(HTTPS_SITE)
    assert {"name": "certbot", "version": None} in system.manifest["packages"]
    assert {"name": "openssl", "version": None} in system.manifest["packages"]
    timer = unit_text(system, "certbot-certificate-renewal.timer")
    assert "OnCalendar=*-*-* 00,12:22:00\n" in timer
    renewal = unit_text(system, "certbot-certificate-renewal.service")
    assert "Requires=nginx.service\nAfter=nginx.service\n" in renewal
    at_start = unit_text(system, "renew-certbot-certificates.service")
    assert "Type=oneshot\nRemainAfterExit=yes\n" in at_start
    assert unit_entry(system, "renew-certbot-certificates.service")["start"] is True
    assert unit_entry(system, "certbot-certificate-renewal.service")["start"] is False


def test_certbot_command_lines():
    system = build_path(HTTPS_SITE)
    program = [i for i in system.items if i.name == "certbot-command"][0].text()
    for word in ("'certonly', '-n', '--agree-tos', '--webroot', '-w', '/var/www'",
                 "'--cert-name', 'example.org', '-d', 'example.org,www.example.org'",
                 "'--email', 'webmaster@example.org'", "'--deploy-hook', '/var/lib/lispdeploy/"
                 "store/"):
        assert word in program


def certbot_spec(certificate, extra=""):
    return os_spec(f"""
        (list (service certbot-service-type
                (certbot-configuration {extra}
                  (certificates (list (certificate-configuration {certificate}))))))""",
                   preamble="(use-service-modules web certbot)")


@pytest.mark.parametrize("certificate, extra, message", [
    ("", "", "certificate-configuration: 'domains' needs at least one domain"),
    ("(domains '(\"exa mple.org\"))", "", "field 'domains' expects a list of domain names"),
    ("(domains '(\"example.org\")) (challenge \"dns\")", "",
     "the dns challenge needs an authentication-hook"),
    ("(domains '(\"example.org\"))", "(email \"nobody\")", "field 'email' expects an e-mail"),
    ("(domains '(\"example.org\"))", "(webroot \"/var/w w\")",
     "field 'webroot' expects an absolute path without spaces or '$' (it holds a space)"),
    # Hooks run through sh: a path with a ';' would run a second command.
    ("(domains '(\"example.org\")) (deploy-hook \"/usr/local/bin/renewed; reboot\")", "",
     "field 'deploy-hook' expects a file-like program or an absolute path of letters, digits"),
])
def test_bad_certificates_are_refused(tmp_path, certificate, extra, message):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, certbot_spec(certificate, extra))
    assert message in e.value.render()


def test_manual_challenge_has_no_challenge_location(tmp_path):
    system = build(tmp_path, certbot_spec(
        "(domains '(\"example.org\")) (challenge \"dns\") "
        "(authentication-hook \"/usr/local/bin/dns-auth\")"))
    text = etc_text(system, "nginx/nginx.conf")
    assert "/.well-known" not in text
    program = [i for i in system.items if i.name == "certbot-command"][0].text()
    assert "'--manual', '--preferred-challenges=dns'" in program
    assert "'--manual-auth-hook', '/usr/local/bin/dns-auth'" in program
