"""A signed Debian repository made by the test and served on loopback: the `apt_repository`
fixture.

    def test_vendor(apt_repository):
        apt_repository.url            # http://127.0.0.1:PORT/debian
        apt_repository.key_file       # its armored OpenPGP key (vendor.asc)
        apt_repository.package        # "lispdeploy-vendor-hello", version 1.0, which
                                      # installs /usr/bin/lispdeploy-vendor-hello

The package is built with dpkg-deb, the archive indexed with apt-ftparchive (suite "stable",
component "main") and its Release signed with a key made for this session in a temporary
GNUPGHOME; a thread serves the directory over HTTP on 127.0.0.1 until the session ends.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import tempfile
import threading

import pytest

PACKAGE = "lispdeploy-vendor-hello"
VERSION = "1.0"
SUITE = "stable"


def _run(argv, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed: {done.stderr}{done.stdout}")
    return done.stdout


class AptRepository:
    """The repository's files and its HTTP server."""

    def __init__(self, directory: str):
        self.dir = directory
        self.root = os.path.join(directory, "www")
        self.package = PACKAGE
        self.version = VERSION
        self.suite = SUITE
        self.gnupg = os.path.join(directory, "gnupg")
        self.key_file = os.path.join(directory, "vendor.asc")
        self._server = None

    def build(self) -> None:
        """The package, the signed archive and the key."""
        os.makedirs(self.gnupg, mode=0o700)
        env = {**os.environ, "GNUPGHOME": self.gnupg}
        _run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
              "--quick-generate-key", "lispdeploy test vendor <vendor@lispdeploy.test>",
              "ed25519", "sign", "2d"], env=env)
        with open(self.key_file, "w") as f:
            f.write(_run(["gpg", "--batch", "--armor", "--export",
                          "vendor@lispdeploy.test"], env=env))
        package_dir = os.path.join(self.dir, "package")
        os.makedirs(os.path.join(package_dir, "DEBIAN"))
        os.makedirs(os.path.join(package_dir, "usr", "bin"))
        program = os.path.join(package_dir, "usr", "bin", PACKAGE)
        with open(program, "w") as f:
            f.write("#!/bin/sh\necho 'hello from the vendor repository'\n")
        os.chmod(program, 0o755)
        with open(os.path.join(package_dir, "DEBIAN", "control"), "w") as f:
            f.write(f"Package: {PACKAGE}\nVersion: {VERSION}\nArchitecture: all\n"
                    "Maintainer: lispdeploy tests <vendor@lispdeploy.test>\n"
                    "Description: a package only the test's repository has\n")
        pool = os.path.join(self.root, "debian", "pool", "main")
        os.makedirs(pool)
        _run(["dpkg-deb", "--root-owner-group", "--build", package_dir,
              os.path.join(pool, f"{PACKAGE}_{VERSION}_all.deb")])
        archive = os.path.join(self.root, "debian")
        dist = os.path.join(archive, "dists", SUITE)
        for arch in ("amd64", "arm64", "all"):
            index = os.path.join(dist, "main", f"binary-{arch}")
            os.makedirs(index)
            packages = _run(["apt-ftparchive", "packages", "pool"], cwd=archive)
            with open(os.path.join(index, "Packages"), "w") as f:
                f.write(packages)
        release = _run(["apt-ftparchive",
                        "-o", f"APT::FTPArchive::Release::Suite={SUITE}",
                        "-o", f"APT::FTPArchive::Release::Codename={SUITE}",
                        "-o", "APT::FTPArchive::Release::Origin=lispdeploy-test-vendor",
                        "-o", "APT::FTPArchive::Release::Components=main",
                        "-o", "APT::FTPArchive::Release::Architectures=amd64 arm64 all",
                        "release", "."], cwd=dist)
        with open(os.path.join(dist, "Release"), "w") as f:
            f.write(release)
        _run(["gpg", "--batch", "--yes", "--clearsign", "-o", os.path.join(dist, "InRelease"),
              os.path.join(dist, "Release")], env=env)

    def serve(self) -> None:
        """Serve the repository on a free port of 127.0.0.1, in a thread."""
        handler = functools.partial(_QuietHandler, directory=self.root)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The repository's URI for sources.list."""
        return f"http://127.0.0.1:{self.port}/debian"

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def apt_repository():
    """A signed repository on loopback (see the module docstring)."""
    for program in ("gpg", "apt-ftparchive", "dpkg-deb"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is not installed; run make deps (Debian packages gnupg, "
                        "apt-utils)", pytrace=False)
    directory = tempfile.mkdtemp(prefix="lispdeploy-apt-repository-")
    repository = AptRepository(directory)
    try:
        repository.build()
        repository.serve()
        yield repository
    finally:
        repository.stop()
        shutil.rmtree(directory, ignore_errors=True)
