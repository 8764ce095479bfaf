"""Images container hosts boot from: the minimal Debian images, root file systems a user made
(a directory, a tarball), the store's locking and its refusals. Hosts are real container
hosts reached over SSH; images are built by mmdebstrap from Debian's archive (once per
machine: later runs find them in /var/lib/lispdeploy/images).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import textwrap

import pytest

from lispdeploy.environments.container import images as image_module
from lispdeploy.environments.container.images import ImageStore, check_root, default_image
from lispdeploy.environments.container.processes import ProcessRef
from lispdeploy.errors import EnvironmentError_

from test_container import ssh

FACTS = """
. /etc/os-release; echo "$VERSION_ID"
python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])'
dpkg-query -W -f='${db:Status-Abbrev}\\n' sudo locales nginx apache2 2>/dev/null | grep -c ^ii || true
ls /var/lib/apt/lists | grep -c _Packages || true
ls /etc/ssh | grep ssh_host_ | tr '\\n' ' '; echo
systemctl is-system-running || true
systemctl is-enabled ssh.service apt-daily.timer
/etc/apt/lispdeploy-package-cache
"""


@pytest.mark.parametrize("image,version,python", [("debian-12", "12", "3.11"),
                                                  ("debian-13", "13", "3.13")])
def test_a_minimal_image_host_is_a_fresh_server(fleet, image, version, python):
    (host,) = fleet(1, image=image)
    assert host.image == image and host.lower.endswith("/root")
    lines = ssh(host, FACTS)[0].splitlines()
    assert lines[0] == version
    assert lines[1] == python
    # None of this machine's packages, and no package lists (as a fresh cloud image).
    assert lines[2] == "0"
    assert lines[3] == "0"
    # Its own host key only: the image keeps none, so no two hosts share one.
    assert lines[4].split() == ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]
    assert lines[5] == "running"
    assert lines[6:8] == ["enabled", "masked"]
    # apt goes through the package cache, which the session keeps running.
    assert lines[8] == "http://127.0.0.1:3149"


def test_hosts_share_the_image_read_only(fleet):
    first, second = fleet(2)
    assert first.lower == second.lower
    assert ssh(first, "echo mine > /etc/motd; rm /usr/bin/hostnamectl")[1] == 0
    assert ssh(second, "cat /etc/motd; test -e /usr/bin/hostnamectl && echo present")[0] \
        .split()[-1] == "present"
    assert not open(os.path.join(first.lower, "etc/motd")).read().startswith("mine")
    assert os.path.exists(os.path.join(first.lower, "usr/bin/hostnamectl"))


def test_the_default_image_is_the_machine_release():
    with open("/etc/os-release") as f:
        version = dict(line.strip().split("=", 1) for line in f if "=" in line)["VERSION_ID"]
    assert default_image() == f"debian-{version.strip(chr(34))}"


def _tarball_of(root: str, path: str) -> str:
    # As a user makes one of a root file system: numeric owners, extended attributes.
    subprocess.run(["tar", "--create", "--file", path, "--directory", root, "--numeric-owner",
                    "--xattrs", "--xattrs-include=*", "--acls", "."], check=True)
    return path


def test_a_tarball_image_is_unpacked_once_even_when_asked_for_at_once(fleet, tmp_path):
    source = fleet.engine.images.get("debian-13").root
    tarball = _tarball_of(source, str(tmp_path / "rootfs.tar"))
    store = str(tmp_path / "store")
    # Three processes ask for the image together, as three test runs would.
    script = textwrap.dedent("""
        import json, sys
        from lispdeploy.environments.container.images import ImageStore
        image = ImageStore(sys.argv[1]).get(sys.argv[2])
        print(json.dumps([image.directory, image.details["built"]]))
    """)
    runs = [subprocess.Popen([sys.executable, "-c", script, store, tarball],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    answers = []
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        answers.append(tuple(json.loads(out)))
    assert len(set(answers)) == 1
    entries = sorted(os.listdir(store))
    assert [e for e in entries if not e.startswith(".lock-")] == [
        os.path.basename(answers[0][0])]

    # The host unpacks the tarball into the machine's own image store: the test removes what
    # it unpacked there (a suite run must not leave an image behind), even when it fails.
    try:
        (host,) = fleet(1, image=tarball)
        assert host.image == tarball
        assert ssh(host, ". /etc/os-release; echo $VERSION_ID")[0].strip() == "13"
    finally:
        fleet.close()
        if fleet.engine.images.find(tarball) is not None:
            fleet.engine.images.remove(tarball, lambda image: [])


def test_a_build_whose_process_died_is_never_used_and_is_cleaned_up(tmp_path):
    tarball = str(tmp_path / "rootfs.tar")
    with tarfile.open(tarball, "w") as tar:
        (tmp_path / "motd").write_text("hello\n")
        tar.add(str(tmp_path / "motd"), arcname="./etc/motd")
    store = tmp_path / "store"
    # What a build killed half-way leaves: its directory, named by its (dead) process.
    dead = subprocess.Popen(["true"])
    ref = ProcessRef.of(dead.pid)
    dead.wait()
    key = image_module._tarball_key(tarball)
    half = store / f".build-{key}-{ref.pid}.{ref.start_time}-0"
    (half / "root" / "etc").mkdir(parents=True)
    images = ImageStore(str(store))
    assert images.find(tarball) is None
    assert images.list() == []
    # The next build throws the dead one's half away first; this one has no systemd, so it
    # is refused, and nothing of it is left either.
    with pytest.raises(EnvironmentError_) as raised:
        images.get(tarball)
    assert raised.value.message == f"image {tarball} has no systemd: container hosts boot " \
                                   "systemd and are reached over SSH"
    assert [e for e in os.listdir(store) if not e.startswith(".lock-")] == []


def test_a_directory_image_must_be_bootable(tmp_path):
    root = tmp_path / "rootfs"
    for path in ("usr/lib/systemd/systemd", "etc/ssh/sshd_config"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")
    with pytest.raises(EnvironmentError_) as raised:
        check_root(str(root), str(root))
    assert raised.value.message == (f"image {root} has no python3 (lispdeploy's host code runs "
                                    "on it): container hosts boot systemd and are reached over "
                                    "SSH")
    assert raised.value.hint == "install python3 in it (e.g. mmdebstrap --include=python3)"
    with pytest.raises(EnvironmentError_) as raised:
        ImageStore(str(tmp_path / "store")).find("debian-11")
    assert raised.value.message == "unknown image 'debian-11'"
    assert "debian-12, debian-13, 'machine" in raised.value.hint
    with pytest.raises(EnvironmentError_) as raised:
        ImageStore(str(tmp_path / "store")).find(str(tmp_path / "nothing"))
    assert raised.value.message == f"image {tmp_path / 'nothing'}: no such directory or file"


def test_a_directory_image_boots_where_it_is(fleet):
    root = fleet.engine.images.get("debian-13").root
    (host,) = fleet(1, image=root)
    assert (host.image, host.lower) == (root, root)
    assert ssh(host, ". /etc/os-release; echo $VERSION_ID")[0].strip() == "13"


def test_an_image_in_use_is_not_removed(fleet, tmp_path):
    tarball = _tarball_of(fleet.engine.images.get("debian-13").root, str(tmp_path / "r.tar"))
    info = fleet.create(image=tarball)
    image = fleet.engine.images.find(tarball)
    users = lambda i: [f"container host {h.name}" for h in fleet.engine.list()  # noqa: E731
                       if h.lower == i.root]
    with pytest.raises(EnvironmentError_) as raised:
        fleet.engine.images.remove(tarball, users)
    assert raised.value.message == (f"image {tarball} ({os.path.basename(image.directory)}) is "
                                    f"in use by container host {info.name}")
    assert os.path.isdir(image.root)
    fleet.destroy([info])
    assert fleet.engine.images.remove(tarball, users) == [image]
    assert not os.path.exists(image.directory)
    assert fleet.engine.images.find(tarball) is None


def test_a_host_whose_image_was_removed_says_so(fleet, tmp_path):
    root = tmp_path / "rootfs"
    subprocess.run(["cp", "-a", "--reflink=auto", fleet.engine.images.get("debian-13").root,
                    str(root)], check=True)
    info = fleet.create(image=str(root))
    subprocess.run(["rm", "-rf", str(root)], check=True)
    with pytest.raises(EnvironmentError_) as raised:
        fleet.engine.start(info.name)
    assert raised.value.message == (f"container host {info.name} cannot boot: its image "
                                    f"{root} ({root}) was removed")

