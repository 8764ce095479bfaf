"""certbot on hosts: what `certbot-service-type`'s programs do (the controller side is
`services.certbot`).

- `activate`: disable Debian's certbot.timer, make the webroot and certbot's directories,
  and a self-signed certificate in
  /etc/certs/NAME for each certificate that has none yet, so that a web server configured
  with it starts before the real one is issued.
- `obtain`: run `certbot certonly` for each certificate; a certificate that is not due for
  renewal is kept. Exit status 0 when all went well, 2 at the first connection error (the
  ACME server cannot be reached: the others would fail too), 1 if some certificate failed.
- `obtain_at_start`: `obtain`, tried again a few times while the ACME server cannot be
  reached (at boot, the network may come up after the service starts).
- `deploy_hook`: what certbot runs after it obtained a certificate: link
  /etc/certs/NAME/{fullchain,privkey}.pem to certbot's live files (replacing the self-signed
  ones), give them to `user` if one is named, reload nginx, then run the spec's own hook.

Runs on hosts: standard library only, imports nothing of lispdeploy outside this package.
"""

import os
import pwd
import subprocess
import sys
import time

LIVE = "/etc/letsencrypt/live"
CERTS = "/etc/certs"
STATE = "/var/lib/certbot"
LOG = "/var/log/letsencrypt/letsencrypt.log"
CONNECTION_ERROR = 2
DEBIAN_TIMER = "certbot.timer"


def _log(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def activate(request):
    """Directories, and the self-signed certificates of `request["self-signed"]`."""
    for directory in (request["webroot"], STATE, LIVE):
        os.makedirs(directory, exist_ok=True)
    # Debian's timer renews with the options certbot saved; the service's own timer, which
    # runs the spec's, takes its place.
    if subprocess.call(["systemctl", "is-enabled", "--quiet", DEBIAN_TIMER],
                       stderr=subprocess.DEVNULL) == 0:
        subprocess.call(["systemctl", "disable", "--now", "--quiet", DEBIAN_TIMER])
    for certificate in request["self-signed"]:
        directory = os.path.join(CERTS, certificate["name"])
        if os.path.exists(directory):
            continue
        os.makedirs(directory)
        os.chmod(directory, 0o755)
        domains = certificate["domains"]
        argv = [request["openssl"], "req", "-x509", "-newkey",
                "rsa:{}".format(request.get("rsa-key-size") or 4096),
                "-keyout", os.path.join(directory, "privkey.pem"),
                "-out", os.path.join(directory, "fullchain.pem"),
                "-sha256", "-days", "1", "-nodes", "-subj", "/CN=" + domains[0]]
        if len(domains) > 1:
            argv += ["-addext", "subjectAltName=" + ",".join("DNS:" + d for d in domains[1:])]
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        if done.returncode != 0:
            raise RuntimeError("openssl could not make a self-signed certificate for {}:\n{}"
                               .format(domains[0], done.stdout.strip()))
    return None


def _connection_error(since):
    """Whether certbot's log, from offset `since`, says the ACME server was unreachable."""
    try:
        with open(LOG, "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return False
    # urllib3's words when certbot cannot reach the server; a challenge the server could not
    # validate reads differently.
    return "Failed to establish a new connection" in text


def _log_size():
    try:
        return os.path.getsize(LOG)
    except OSError:
        return 0


def _obtain(request):
    environment = dict(os.environ)
    environment.update(request.get("environment") or {})
    code = 0
    for certificate in request["certificates"]:
        _log("Acquiring or renewing certificate: {}".format(certificate["name"]))
        since = _log_size()
        status = subprocess.call(certificate["argv"], env=environment)
        if status == 0:
            _log("Certificate successfully acquired: {}".format(certificate["name"]))
        elif _connection_error(since):
            _log("Connection error - bailing out")
            return CONNECTION_ERROR
        else:
            _log("Error: {} - continuing with other domains".format(certificate["name"]))
            code = 1
    return code


def obtain(request):
    """Run certbot for every certificate; exit with the status described above."""
    sys.exit(_obtain(request))


def obtain_at_start(request):
    """`obtain`, tried `attempts` times `delay` seconds apart while the ACME server cannot be
    reached."""
    attempts = int(request.get("attempts", 1))
    for attempt in range(attempts):
        code = _obtain(request)
        if code != CONNECTION_ERROR or attempt == attempts - 1:
            sys.exit(code)
        time.sleep(float(request.get("delay", 5)))


def deploy_hook(request):
    """Put certbot's new certificate where the spec's web servers read it."""
    name = request["name"]
    directory = os.path.join(CERTS, name)
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    for file in ("privkey.pem", "fullchain.pem"):
        link = os.path.join(directory, file)
        new = link + ".new"
        if os.path.lexists(new):
            os.unlink(new)
        os.symlink(os.path.join(LIVE, name, file), new)
        # Renamed over the old one: never a moment without a certificate.
        os.rename(new, link)
    user = request.get("user")
    if user:
        entry = pwd.getpwnam(user)
        for path in (os.path.join(directory, "fullchain.pem"),
                     os.path.join(directory, "privkey.pem")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(path, 0o640)
    # The web server reads the certificate again; not started if it was not running.
    subprocess.call(["systemctl", "try-reload-or-restart", "nginx.service"])
    hook = request.get("hook")
    if hook:
        status = subprocess.call(hook, shell=True)
        if status != 0:
            sys.exit(status)
    return None
