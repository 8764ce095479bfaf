"""A stand-in for DigitalOcean's API on this machine, whose droplets are container hosts: to
try a spec of droplets locally (docs/environments.md, "Trying droplets locally") and for
lispdeploy's tests.

    sudo python3 -m lispdeploy.environments.digital_ocean.stand_in [--port 8089]

It is a real HTTP server (`http.server`, in a thread, on 127.0.0.1) answering the endpoints
lispdeploy uses with DigitalOcean's JSON shapes: droplets (list with `tag_name` and pages,
get, create, delete), tags (create, tag resources) and account keys (get by fingerprint or
id, create), each checking the bearer token. Creating a droplet boots a container host and,
like DigitalOcean, makes it honour the request before reporting the droplet active with the
host's loopback address as its public IPv4: root's authorized keys are the registered keys
named in `ssh_keys`, and the ed25519 host key of the cloud-config `ssh_keys` in `user_data`
is installed (over SSH with the engine's own identity, then sshd restarts). Deleting a
droplet destroys its host.

Knobs for tests: `refuse_create` (names whose creation gets a 422), `never_active` (names
whose droplet stays `new`, with no host), `ignore_host_key` (names whose host keeps the key
the engine gave it, as an image without cloud-init would), `max_per_page`, `next_url_base`
(next-page links to another server). `add_droplets` adds droplets without hosts. Fault
injection: `fail(method, path_prefix, fault, times=1)` makes the next `times` matching
requests get `fault` instead of their answer: a `Fault` with a status and headers (429 with
Retry-After or ratelimit-reset, 500, 503), a dropped connection (`drop=True`: the request is
read, handled if `handle_first`, and the connection closed without an answer), or a slow
answer (`delay` seconds before it).

Every container host belongs to the process running the stand-in (ephemeral, owner = its
PID): `close` destroys them, and if the process dies, the next cleanup of stale hosts does.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import itertools
import json
import os
import re
import secrets
import shlex
import socket
import threading
import time
import sys
import urllib.parse
from typing import Any, Callable, Dict, List, Optional

from lispdeploy.remote.ssh import SshTransport

BOOT_TIMEOUT = 120.0
MAX_PER_PAGE = 200
_ids = itertools.count(3164494)


def md5_fingerprint(line: str) -> str:
    """DigitalOcean's fingerprint of a public key line."""
    digest = hashlib.md5(base64.b64decode(line.split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


class FakeDroplet:
    """One droplet of the fake account, and the container host standing for it."""

    def __init__(self, body: Dict[str, Any]):
        self.id = next(_ids)
        self.name = body["name"]
        self.body = body
        self.status = "new"
        self.address: Optional[str] = None
        self.container: Optional[str] = None
        self.error: Optional[str] = None
        self.deleted = False

    def to_json(self) -> Dict[str, Any]:
        """The droplet as DigitalOcean's API shows it."""
        v4 = [] if self.address is None else [{
            "ip_address": self.address, "netmask": "255.0.0.0", "gateway": "127.0.0.1",
            "type": "public"}]
        v6 = [{"ip_address": f"2001:db8::{self.id % 65536:x}", "netmask": 64,
               "gateway": "2001:db8::1", "type": "public"}] \
            if self.body.get("ipv6") and self.address else []
        return {
            "id": self.id, "name": self.name, "memory": 1024, "vcpus": 1, "disk": 25,
            "locked": False, "status": self.status, "created_at": "2025-01-01T00:00:00Z",
            "features": ["ipv6"] if self.body.get("ipv6") else [], "backup_ids": [],
            "snapshot_ids": [], "volume_ids": [],
            "image": {"id": 1, "slug": self.body.get("image"), "distribution": "Debian"},
            "size_slug": self.body.get("size"), "size": {"slug": self.body.get("size")},
            "region": {"slug": self.body.get("region"), "name": self.body.get("region")},
            "networks": {"v4": v4, "v6": v6}, "tags": list(self.body.get("tags") or ())}


class Fault:
    """What a request gets instead of its answer (see the module docstring)."""

    def __init__(self, status: int = 0, headers: Optional[Dict[str, str]] = None, *,
                 drop: bool = False, delay: float = 0.0, handle_first: bool = False):
        self.status = status
        self.headers = dict(headers or {})
        self.drop = drop
        self.delay = delay
        self.handle_first = handle_first


class FakeDigitalOcean:
    """The stand-in's account and its HTTP server (see the module docstring). `engine` makes
    the droplets' container hosts, named by `new_name()`."""

    def __init__(self, engine, new_name: Callable[[], str], *, port: int = 0):
        self.engine = engine
        self.new_name = new_name
        self.token = secrets.token_hex(16)
        self.droplets: List[FakeDroplet] = []
        self.keys: List[Dict[str, Any]] = []
        self.requests: List[str] = []
        self.creations = 0
        self.refuse_create: set = set()
        self.never_active: set = set()
        self.ignore_host_key: set = set()
        self.max_per_page = MAX_PER_PAGE
        self.faults: List[list] = []  # [method, path prefix, Fault, times left]
        self.faulted: List[str] = []  # the requests that got a fault, in order
        self.next_url_base: Optional[str] = None  # where next-page links point (else here)
        self._lock = threading.Lock()
        self._boots: List[threading.Thread] = []
        self._containers: List[str] = []
        self.server = _Server(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="fake-digital-ocean")
        self._thread.start()

    def environment(self, **extra: str) -> Dict[str, str]:
        """Environment variables pointing lispdeploy at this fake."""
        return {"LISPDEPLOY_DIGITAL_OCEAN_URL": self.url,
                "LISPDEPLOY_DIGITAL_OCEAN_TOKEN": self.token, **extra}

    def live(self, name: Optional[str] = None) -> List[FakeDroplet]:
        """The droplets not deleted (of that name)."""
        with self._lock:
            return [d for d in self.droplets if not d.deleted and name in (None, d.name)]

    def add_droplets(self, count: int, *, tags=("lispdeploy",), prefix: str = "other",
                     size: str = "s-1vcpu-1gb", region: str = "nyc3",
                     image: str = "debian-12-x64") -> None:
        """Add `count` active droplets without hosts (for long lists, and droplets that
        exist before a test)."""
        with self._lock:
            for n in range(count):
                droplet = FakeDroplet({"name": f"{prefix}-{n}", "region": region,
                                       "size": size, "image": image, "tags": list(tags)})
                droplet.status = "active"
                # Within loopback, where nothing listens: never a host beyond this machine.
                droplet.address = f"127.0.251.{n % 250 + 1}"
                self.droplets.append(droplet)

    def fail(self, method: str, prefix: str, fault: Fault, times: int = 1) -> None:
        """Give the next `times` requests `method prefix...` the `fault`."""
        with self._lock:
            self.faults.append([method, prefix, fault, times])

    def fault_for(self, method: str, path: str) -> Optional[Fault]:
        """The fault this request gets (counted), or None."""
        with self._lock:
            for entry in self.faults:
                if entry[0] == method and path.startswith(entry[1]) and entry[3] > 0:
                    entry[3] -= 1
                    self.faulted.append(f"{method} {path}")
                    return entry[2]
        return None

    def count(self, request: str) -> int:
        """How many requests started with `request` ("POST /v2/droplets")."""
        return sum(1 for r in self.requests if r.startswith(request))

    def close(self) -> None:
        """Stop the server, let boots in flight end, destroy every container host."""
        self.server.shutdown()
        self.server.server_close()
        for thread in list(self._boots):
            thread.join(BOOT_TIMEOUT + 30)
        errors = []
        for name in self._containers:
            try:
                self.engine.destroy(name, missing_ok=True)
            except Exception as e:  # keep destroying the others; the first error is raised
                errors.append(e)
        if errors:
            raise errors[0]

    # Droplets --------------------------------------------------------------------------------

    def create(self, body: Dict[str, Any]) -> FakeDroplet:
        """Record a droplet and start booting its host."""
        droplet = FakeDroplet(body)
        with self._lock:
            self.droplets.append(droplet)
            self.creations += 1
            if droplet.name in self.never_active:
                return droplet
            droplet.container = self.new_name()
            self._containers.append(droplet.container)
            thread = threading.Thread(target=self._boot, args=(droplet,), daemon=True,
                                      name=droplet.container)
            self._boots.append(thread)
        thread.start()
        return droplet

    def delete(self, droplet: FakeDroplet) -> None:
        """Delete a droplet and its host."""
        with self._lock:
            droplet.deleted = True
        if droplet.container is not None:
            for thread in list(self._boots):
                if thread.is_alive() and thread.name == droplet.container:
                    thread.join(BOOT_TIMEOUT + 30)
            self.engine.destroy(droplet.container, missing_ok=True)

    def _boot(self, droplet: FakeDroplet) -> None:
        try:
            # A droplet of debian-12-x64 is a fresh Debian 12 server: a host of the minimal
            # image of that release.
            self.engine.create(droplet.container, host_name=droplet.name, ephemeral=True,
                               owner=os.getpid(), image=_image_of(droplet.body.get("image")))
            info = self.engine.start(droplet.container, timeout=BOOT_TIMEOUT)
            self._honour(droplet, info)
        except Exception as e:  # the droplet stays `new`; the test shows why
            droplet.error = f"{type(e).__name__}: {e}"
            return
        with self._lock:
            if not droplet.deleted:
                droplet.address = info.address
                droplet.status = "active"

    def _honour(self, droplet: FakeDroplet, info) -> None:
        """Make the host what the request asked: root's keys, the user data's host key."""
        with self._lock:
            wanted = set(droplet.body.get("ssh_keys") or ())
            authorized = [k["public_key"] for k in self.keys
                          if k["fingerprint"] in wanted or str(k["id"]) in wanted]
        config = _cloud_config(droplet.body.get("user_data"))
        host_keys = config.get("ssh_keys") or {}
        with SshTransport.connect(info.address, identity=info.identity, host_key=info.host_key,
                                  name=info.name) as ssh:
            _write(ssh, "/root/.ssh/authorized_keys", "".join(k + "\n" for k in authorized))
            if droplet.name not in self.ignore_host_key and host_keys.get("ed25519_private"):
                _write(ssh, "/etc/ssh/ssh_host_ed25519_key", host_keys["ed25519_private"])
                _write(ssh, "/etc/ssh/ssh_host_ed25519_key.pub",
                       host_keys["ed25519_public"] + "\n")
                done = ssh.execute(["systemctl", "restart", "ssh.service"])
                assert done.exit_status == 0, done.stderr.decode(errors="replace")


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a dropped connection (fault injection) is expected; the test checks the rest


def _cloud_config(user_data: Optional[str]) -> Dict[str, Any]:
    """The cloud-config document of `user_data` (lispdeploy writes it as JSON)."""
    if not user_data:
        return {}
    first, _, rest = user_data.partition("\n")
    assert first.strip() == "#cloud-config", f"user_data is not a cloud-config: {first!r}"
    return json.loads(rest)


def _write(ssh: SshTransport, path: str, text: str) -> None:
    script = f"umask 077 && cat > {shlex.quote(path)}"
    done = ssh.execute(["sh", "-c", script], stdin=text.encode())
    assert done.exit_status == 0, done.stderr.decode(errors="replace")


def _handler(fake: FakeDigitalOcean):
    class Handler(_Api):
        pass
    Handler.fake = fake
    return Handler


class _Api(http.server.BaseHTTPRequestHandler):
    """DigitalOcean's routes, answered from the fake account."""

    fake: FakeDigitalOcean
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (http.server's name)
        pass  # the test output is for lispdeploy's messages

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_DELETE(self):
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = [p for p in url.path.split("/") if p]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.fake.requests.append(f"{method} {url.path}")
        fault = self.fake.fault_for(method, url.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            if fault.handle_first:
                self._answer(method, url, parts, query, raw, send=False)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault is not None and fault.status:
            return self._json(fault.status, {"id": "fault", "message": f"injected {fault.status}"},
                              fault.headers)
        return self._answer(method, url, parts, query, raw)

    def _answer(self, method, url, parts, query, raw, send=True):
        if not send:
            self._json = lambda *a, **k: None  # handled, but the answer is never sent
            self._empty = lambda *a, **k: None
        if self.headers.get("Authorization") != f"Bearer {self.fake.token}":
            return self._error(401, "Unauthorized", "Unable to authenticate you")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self._error(400, "bad_request", "The request body is not JSON")
        if parts[:2] == ["v2", "droplets"]:
            return self._droplets(method, parts[2:], query, body)
        if parts[:3] == ["v2", "account", "keys"]:
            return self._keys(method, parts[3:], body)
        if parts[:2] == ["v2", "tags"]:
            return self._tags(method, parts[2:], body)
        return self._error(404, "not_found", "The resource you requested could not be found.")

    def _tags(self, method, rest, body):
        fake = self.fake
        if method == "POST" and not rest:
            if not body.get("name"):
                return self._error(422, "unprocessable_entity", "name is required")
            return self._json(201, {"tag": {"name": body["name"], "resources": {}}})
        if method == "POST" and len(rest) == 2 and rest[1] == "resources":
            tag = urllib.parse.unquote(rest[0])
            for resource in body.get("resources") or ():
                droplet = next((d for d in fake.live()
                                if str(d.id) == str(resource.get("resource_id"))), None)
                if droplet is None:
                    return self._error(404, "not_found", "droplet not found")
                with fake._lock:
                    tags = list(droplet.body.get("tags") or ())
                    if tag not in tags:
                        droplet.body["tags"] = tags + [tag]
            return self._empty(204)
        return self._error(405, "method_not_allowed", "Method not allowed")

    def _droplets(self, method, rest, query, body):
        fake = self.fake
        if method == "GET" and not rest:
            tag = query.get("tag_name")
            found = [d for d in fake.live() if tag is None or tag in d.body.get("tags", ())]
            per_page = min(int(query.get("per_page", 20)), fake.max_per_page)
            page = int(query.get("page", 1))
            shown = found[(page - 1) * per_page:page * per_page]
            links: Dict[str, Any] = {}
            if page * per_page < len(found):
                following = dict(query, page=str(page + 1), per_page=str(per_page))
                links["pages"] = {"next": f"{fake.next_url_base or fake.url}/v2/droplets?"
                                          f"{urllib.parse.urlencode(following)}"}
            return self._json(200, {"droplets": [d.to_json() for d in shown], "links": links,
                                    "meta": {"total": len(found)}})
        if method == "POST" and not rest:
            missing = [f for f in ("name", "region", "size", "image") if not body.get(f)]
            if missing:
                return self._error(422, "unprocessable_entity",
                                   f"{missing[0]} is required")
            if body["name"] in fake.refuse_create:
                return self._error(422, "unprocessable_entity",
                                   "creating this droplet will exceed your droplet limit")
            known = {k["fingerprint"] for k in fake.keys} | {str(k["id"]) for k in fake.keys}
            if any(str(k) not in known for k in body.get("ssh_keys") or ()):
                return self._error(422, "unprocessable_entity", "ssh_keys are invalid")
            droplet = fake.create(body)
            return self._json(202, {"droplet": droplet.to_json(), "links": {"actions": [
                {"id": droplet.id + 1, "rel": "create", "href": f"{fake.url}/v2/actions/1"}]}})
        if len(rest) == 1 and rest[0].isdigit():
            droplet = next((d for d in fake.live() if d.id == int(rest[0])), None)
            if droplet is None:
                return self._error(404, "not_found",
                                   "The resource you were accessing could not be found.")
            if method == "GET":
                return self._json(200, {"droplet": droplet.to_json()})
            if method == "DELETE":
                fake.delete(droplet)
                return self._empty(204)
        return self._error(405, "method_not_allowed", "Method not allowed")

    def _keys(self, method, rest, body):
        fake = self.fake
        if method == "GET" and len(rest) == 1:
            key = next((k for k in fake.keys if rest[0] in (k["fingerprint"], str(k["id"]))),
                       None)
            if key is None:
                return self._error(404, "not_found",
                                   "The resource you were accessing could not be found.")
            return self._json(200, {"ssh_key": key})
        if method == "POST" and not rest:
            line = str(body.get("public_key", ""))
            if not body.get("name") or len(line.split()) < 2:
                return self._error(422, "unprocessable_entity", "Key invalid, key should be "
                                   "of the format `type key [comment]`")
            fingerprint = md5_fingerprint(line)
            if any(k["fingerprint"] == fingerprint for k in fake.keys):
                return self._error(422, "unprocessable_entity",
                                   "SSH Key is already in use on your account")
            key = {"id": next(_ids), "name": body["name"], "fingerprint": fingerprint,
                   "public_key": line}
            fake.keys.append(key)
            return self._json(201, {"ssh_key": key})
        return self._error(405, "method_not_allowed", "Method not allowed")

    def _json(self, status: int, data: Any, headers: Optional[Dict[str, str]] = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _error(self, status: int, ident: str, message: str) -> None:
        self._json(status, {"id": ident, "message": message})


def main(argv=None) -> int:
    """Serve the stand-in until Ctrl-C, then delete its droplets (their container hosts)."""
    import argparse
    import signal
    from lispdeploy.environments.container import ContainerEngine, require_root
    from lispdeploy.errors import LispdeployError
    parser = argparse.ArgumentParser(
        prog="python3 -m lispdeploy.environments.digital_ocean.stand_in",
        description="A stand-in for DigitalOcean's API whose droplets are container hosts on "
                    "this machine (root needed).")
    parser.add_argument("--port", type=int, default=0,
                        help="the port to listen on (127.0.0.1); default: a free one")
    parser.add_argument("--env-file", help="also write the export lines to this file")
    arguments = parser.parse_args(argv)
    try:
        require_root()
    except LispdeployError as e:
        print(e.render(), file=sys.stderr)
        return 1
    counter = itertools.count(1)
    fake = FakeDigitalOcean(ContainerEngine(),
                            lambda: f"do-stand-in-{os.getpid()}-{next(counter)}",
                            port=arguments.port)
    exports = (f"export LISPDEPLOY_DIGITAL_OCEAN_URL={fake.url}\n"
               f"export LISPDEPLOY_DIGITAL_OCEAN_TOKEN={fake.token}\n")
    if arguments.env_file:
        with open(arguments.env_file, "w") as f:
            f.write(exports)
    print(f"DigitalOcean stand-in on {fake.url}: its droplets are container hosts of this "
          "machine.\nPoint lispdeploy at it (in another shell):\n\n" + exports +
          "\nCtrl-C (or SIGTERM) stops it and deletes its droplets.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    print(f"stopping: deleting {len(fake.live())} droplets", file=sys.stderr, flush=True)
    fake.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())


def _image_of(slug: Optional[str]) -> str:
    """The container image standing for a DigitalOcean image slug (debian-13-x64 ->
    debian-13); other slugs get a fresh Debian 12."""
    match = re.match(r"debian-(\d+)-x64\Z", slug or "")
    if match and f"debian-{match[1]}" in ("debian-12", "debian-13"):
        return f"debian-{match[1]}"
    return "debian-12"
