"""A real ACME server on loopback for tests: Debian's `pebble`, with `pebble-challtestsrv` as
its DNS server, so that a test domain resolves to a container host's address and pebble
validates the HTTP-01 challenge against that host's nginx on port 80.

    def test_https(pebble, ...):
        pebble.add_domain("web.lispdeploy.test", host.address)
        ... (certbot-configuration (server pebble.directory)
                                   (server-ca-file (local-file pebble.listener_ca_file)))
        pebble.root_ca()     # PEM of the CA pebble issues certificates from (this run's)

Everything binds to 127.0.0.1 on free ports; the processes belong to this test session and
are stopped when it ends. pebble's own HTTPS certificate is signed by a CA made here
(`listener_ca_file`), the one certbot on the hosts is told to trust.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

import pytest

START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_udp_and_tcp_port() -> int:
    for _ in range(50):
        port = _free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port for the DNS server")


def _openssl(*args: str, cwd: str) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {done.stderr}")


class Pebble:
    """pebble and pebble-challtestsrv, started on loopback (see the module docstring)."""

    def __init__(self, directory: str):
        self.dir = directory
        self.processes = []
        self.listener_ca_file = os.path.join(directory, "listener-ca.pem")
        self._make_listener_certificate()

    def _make_listener_certificate(self) -> None:
        d = self.dir
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
                 "-out", "listener-ca.pem", "-days", "3", "-subj", "/CN=lispdeploy test ACME CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", cwd=d)
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out",
                 "cert.csr", "-subj", "/CN=localhost", cwd=d)
        with open(os.path.join(d, "san.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        _openssl("x509", "-req", "-in", "cert.csr", "-CA", "listener-ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", "cert.pem", "-days", "3", "-extfile", "san.ext",
                 cwd=d)

    def start(self) -> None:
        """Start both servers on free ports and wait until pebble answers."""
        self.dns_port = _free_udp_and_tcp_port()
        self.challtest_port = _free_port()
        self.acme_port = _free_port()
        self.management_port = _free_port()
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.acme_port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": os.path.join(self.dir, "cert.pem"),
            "privateKey": os.path.join(self.dir, "key.pem"),
            # Validation connects to the domain's address on port 80, where the container
            # host's nginx listens.
            "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "",
            "externalAccountBindingRequired": False}}
        config_file = os.path.join(self.dir, "pebble-config.json")
        with open(config_file, "w") as f:
            json.dump(config, f)
        log = open(os.path.join(self.dir, "challtestsrv.log"), "wb")
        self.processes.append(subprocess.Popen(
            [shutil.which("pebble-challtestsrv") or "pebble-challtestsrv",
             "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-dns01", f"127.0.0.1:{self.dns_port}", "-http01", "", "-https01", "",
             "-tlsalpn01", "", "-management", f"127.0.0.1:{self.challtest_port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        log = open(os.path.join(self.dir, "pebble.log"), "wb")
        environment = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        self.processes.append(subprocess.Popen(
            [shutil.which("pebble") or "pebble", "-config", config_file,
             "-dnsserver", f"127.0.0.1:{self.dns_port}", "-strict=false"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
            cwd=self.dir))
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[0]} exited: {self.logs()}")
            try:
                self._get(self.directory)
                self._post_challtest("set-default-ipv4", {"ip": "127.0.0.1"})
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pebble did not answer in {START_TIMEOUT:.0f} s: "
                                       f"{self.logs()}")
                time.sleep(0.2)

    @property
    def directory(self) -> str:
        """The ACME directory URL certbot is given as its server."""
        return f"https://127.0.0.1:{self.acme_port}/dir"

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.listener_ca_file)

    def _get(self, url: str) -> bytes:
        with urllib.request.urlopen(url, context=self._context(), timeout=10) as response:
            return response.read()

    def _post_challtest(self, path: str, body) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.challtest_port}/{path}",
                                         data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def add_domain(self, domain: str, address: str) -> None:
        """Make `domain` resolve (A record) to `address` for pebble."""
        self._post_challtest("add-a", {"host": domain.rstrip(".") + ".",
                                       "addresses": [address]})

    def root_ca(self) -> str:
        """The PEM of the root CA pebble signs certificates with (new at each start)."""
        return self._get(f"https://127.0.0.1:{self.management_port}/roots/0").decode()

    def logs(self) -> str:
        """The end of both servers' logs."""
        out = []
        for name in ("pebble.log", "challtestsrv.log"):
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    out.append(f"--- {name}\n" + f.read()[-3000:].decode(errors="replace"))
            except OSError:
                pass
        return "\n".join(out)

    def stop(self) -> None:
        """Stop the servers this object started."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def pebble():
    """A running pebble (see the module docstring), stopped at the end of the session."""
    for program in ("pebble", "pebble-challtestsrv", "openssl"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is not installed; run make deps (Debian package "
                        f"{'openssl' if program == 'openssl' else 'pebble'})", pytrace=False)
    directory = tempfile.mkdtemp(prefix="lispdeploy-pebble-")
    server = Pebble(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
