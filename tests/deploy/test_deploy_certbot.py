"""certbot-service-type end to end: a site served by nginx from a directory of the spec
(`(root (local-file "../site" #:recursive? #t))`) gets HTTPS. A real ACME server (pebble, on
loopback, with pebble-challtestsrv as its DNS) issues the certificate to the container
host's nginx over the HTTP-01 challenge; the client verifies it against pebble's CA."""

import json
import socket
import ssl
import urllib.request

from deploy_hosts import container_machine

DOMAIN = "web.lispdeploy.test"

SPEC = """
(use-modules (gnu))
(use-service-modules web certbot)

(define site (local-file "../site" #:recursive? #t))

(define plain-site
  (nginx-server-configuration (listen '("80")) (server-name '("_")) (root site)))

(define https-site
  (nginx-server-configuration
    (listen '("443 ssl"))
    (server-name '("{domain}"))
    (root site)
    (ssl-certificate "/etc/certs/{domain}/fullchain.pem")
    (ssl-certificate-key "/etc/certs/{domain}/privkey.pem")))

(define (web https? extra-domains)
  (operating-system
    (host-name "secure-web")
    (services
      (append
        (list (service nginx-service-type
                (nginx-configuration
                  (server-blocks (if https? (list https-site) (list plain-site))))))
        (if https?
            (list (service certbot-service-type
                    (certbot-configuration
                      (email "webmaster@lispdeploy.test")
                      (server "{server}")
                      (server-ca-file (local-file "{ca}"))
                      (rsa-key-size 2048)
                      (certificates
                        (list (certificate-configuration
                                (domains (cons "{domain}" extra-domains))
                                (deploy-hook (program-file "note-deploy"
                                  #~(call-with-output-file "/var/tmp/deployed-certificate"
                                      (lambda (port) (display "yes" port)))))))))))
            '())
        %base-services))))
"""


def spec(world, name, https, pebble, extra="'()"):
    text = SPEC.format(domain=DOMAIN, server=pebble.directory, ca=pebble.listener_ca_file)
    return world.write(text + f"(list {container_machine(f'(web {https} {extra})', name)})\n",
                       f"{https}-{len(extra)}/web.hy")


def deploy(world, path):
    done = world.lispdeploy("deploy", path, "--json")
    assert done.stdout, done.stderr
    return done, json.loads(done.stdout)["hosts"][0]


def https_get(address, root_pem):
    """GET https://DOMAIN/ from `address`, verifying the certificate against `root_pem`;
    the body and the certificate's serial number."""
    context = ssl.create_default_context(cadata=root_pem)
    with socket.create_connection((address, 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n"
                        .encode())
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
            serial = tls.getpeercert()["serialNumber"]
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return body.decode(), serial


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_certificate_is_issued_to_nginx_and_served_over_https(world, pebble):
    (world.tmp_path / "site").mkdir()
    (world.tmp_path / "site" / "index.html").write_text("<h1>secure site</h1>\n")
    name = world.host_name()

    # Generation 1: plain HTTP, the document root a directory of the spec.
    done, report = deploy(world, spec(world, name, "#f", pebble))
    assert done.returncode == 0, done.stderr
    address = world.engine.get(name).address
    with urllib.request.urlopen(f"http://{address}/", timeout=10) as response:
        assert response.read().decode() == "<h1>secure site</h1>\n"

    # Generation 2: certbot obtains a certificate for the domain, which resolves (for
    # pebble) to this host.
    pebble.add_domain(DOMAIN, address)
    done, report = deploy(world, spec(world, name, "#t", pebble))
    assert done.returncode == 0, done.stdout + done.stderr + pebble.logs()
    assert report["result"] == "deployed"
    assert report["reloaded"] == ["nginx.service"] and "nginx.service" not in report["restarted"]

    root = pebble.root_ca()
    body, serial = https_get(address, root)
    assert body == "<h1>secure site</h1>\n"
    # The certificate's own deploy hook ran after lispdeploy's.
    assert world.sh(name, "cat /var/tmp/deployed-certificate") == "yes"
    assert world.sh(name, f"readlink /etc/certs/{DOMAIN}/fullchain.pem").strip() == \
        f"/etc/letsencrypt/live/{DOMAIN}/fullchain.pem"

    # Port 80 answers the challenge location and sends everything else to HTTPS.
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"http://{address}/page", headers={"Host": DOMAIN})
    try:
        opener.open(request, timeout=10)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        assert e.code == 301 and e.headers["Location"] == f"https://{DOMAIN}/page"

    # The renewal timer is armed; running it now keeps the certificate (not due).
    assert world.sh(name, "systemctl is-active certbot-certificate-renewal.timer "
                          "renew-certbot-certificates.service").split() == ["active", "active"]
    assert world.sh(name, "systemctl is-enabled certbot.timer || true").strip() == "disabled"
    world.sh(name, "systemctl start certbot-certificate-renewal.service")
    assert "not yet due for renewal" in world.sh(
        name, "journalctl -u certbot-certificate-renewal.service -o cat --no-pager")
    assert https_get(address, root)[1] == serial

    # A domain pebble cannot validate (it resolves to an address where nothing listens):
    # certbot fails, so the deploy does, and the host keeps generation 2 and its certificate.
    pebble.add_domain("other." + DOMAIN, "127.255.255.254")
    done, report = deploy(world, spec(world, name, "#t", pebble, f'(list "other.{DOMAIN}")'))
    assert done.returncode == 1
    assert report["error"]["step"] == "units"
    assert "renew-certbot-certificates.service" in report["error"]["message"]
    assert f"other.{DOMAIN}" in report["error"]["message"]      # certbot's own words
    assert report["generation"] == 2 and report["rolled-back"] is True
    assert https_get(address, root)[1] == serial
