"""The Proxy-Auto-Detect script container hosts' apt asks which proxy to use for a URI: the
package cache for Debian's archive (port 80), never for a repository on loopback or on a
port apt-cacher-ng does not serve (a spec's own apt-source on this machine)."""

import socket
import subprocess

import pytest

from lispdeploy.environments.container.disk import _apt_proxy_detect

CACHE = "http://127.0.0.1:3149"


@pytest.mark.parametrize("uri, fallback, answer", [
    ("http://deb.debian.org/debian/dists/bookworm/InRelease", None, CACHE),
    ("http://example.org:80/debian", None, CACHE),
    ("http://[2001:db8::1]/debian", None, CACHE),
    ("http://127.0.0.1:46549/debian/dists/stable/InRelease", None, "DIRECT"),
    ("http://127.0.0.5/debian", "http://proxy.example:3128", "DIRECT"),
    ("http://localhost/debian", None, "DIRECT"),
    ("http://[::1]:8080/debian", None, "DIRECT"),
    ("http://user@127.0.0.1/debian", None, "DIRECT"),
    ("http://vendor.example:8080/debian", None, "DIRECT"),
    ("http://vendor.example:8080/debian", "http://proxy.example:3128",
     "http://proxy.example:3128"),
])
def test_which_uris_go_through_the_package_cache(tmp_path, uri, fallback, answer):
    # The cache "runs": something listens where the script looks.

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        script = tmp_path / "detect"
        script.write_text(_apt_proxy_detect("127.0.0.1", port, fallback))
        done = subprocess.run(["bash", str(script), uri], capture_output=True, text=True,
                              timeout=30)
    expected = f"http://127.0.0.1:{port}" if answer == CACHE else answer
    assert done.stdout.strip() == expected, done.stderr
