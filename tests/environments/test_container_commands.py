"""`lispdeploy container list|start|stop|destroy SPEC` and `lispdeploy destroy SPEC`, as a user
runs them: state lives on disk, so each invocation finds the hosts of the one before."""

import json
import subprocess

from deploy_hosts import container_machine, world  # noqa: F401
from fleet import DEFAULT_IMAGE


def test_container_commands_across_invocations(world):
    first, second = world.host_name(), world.host_name()
    spec = world.write(f"""
(define (box n) (operating-system (host-name (format #f "box-~a" n))))
(list {container_machine('(box 1)', first)}
      {container_machine('(box 2)', second)}
      (machine (operating-system (box 3)) (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration (host-name "127.0.250.77")
                                                         (system "x86_64-linux")))))
""")
    listed = world.lispdeploy("container", "list", spec)
    assert listed.returncode == 0, listed.stderr
    assert [l.split() for l in listed.stdout.splitlines()[1:]] == [
        ["box-1", "-", "-", "not", "created"], ["box-2", "-", "-", "not", "created"]]
    assert listed.stderr == "box-3: not a container machine (managed-host-environment-type)\n"

    started = world.lispdeploy("container", "start", spec, "--on", "box-1")
    assert started.returncode == 0, started.stderr
    address = started.stdout.split()[1]
    assert address.startswith("127.") and "running" in started.stdout
    assert world.sh(first, "hostname").strip() == "box-1"

    listed = world.lispdeploy("container", "list", spec)
    rows = [l.split() for l in listed.stdout.splitlines()[1:]]
    # Made from the default image: the minimal image of this machine's release.
    assert rows[0][:4] == ["box-1", address, DEFAULT_IMAGE, "running"]
    assert rows[1][:2] == ["box-2", "-"]

    world.sh(first, "echo kept > /root/marker")
    assert world.lispdeploy("container", "stop", spec, "--on", "box-1").returncode == 0
    rows = [l.split() for l in world.lispdeploy("container", "list", spec).stdout.splitlines()]
    assert rows[1][:4] == ["box-1", address, DEFAULT_IMAGE, "stopped"]
    started = world.lispdeploy("container", "start", spec, "--on", "box-1", "--json")
    assert started.returncode == 0, started.stderr
    (shown,) = json.loads(started.stdout)["hosts"]
    assert (shown["host"], shown["container"], shown["address"], shown["state"],
            shown["deployment"], shown["image"]) == ("box-1", first, address, "running", "spec",
                                                  DEFAULT_IMAGE)
    assert world.sh(first, "cat /root/marker") == "kept\n"
    listed = json.loads(world.lispdeploy("container", "list", spec, "--json").stdout)
    assert [(h["host"], h["state"]) for h in listed["hosts"]] == [
        ("box-1", "running"), ("box-2", "not created")]

    destroyed = world.lispdeploy("destroy", spec, "--yes")
    assert destroyed.returncode == 0, destroyed.stderr
    directory = f"/var/lib/lispdeploy/containers/{first}"
    assert destroyed.stdout.splitlines() == [
        "box-2: nothing to destroy (not provisioned)",
        "box-3: nothing to destroy (managed-host-environment-type hosts are not provisioned "
        "by lispdeploy)",
        "will delete:",
        f"  box-1: container host {first} ({address}, running; its disk {directory})",
        "box-1: deleted"]
    assert world.engine.get(first) is None


def test_address_outside_loopback_is_a_spec_error(world):
    spec = world.write("""
(list (machine (operating-system (operating-system (host-name "bad")))
               (environment container-environment-type)
               (configuration (container-configuration (address "10.0.0.5")))))
""")
    done = world.lispdeploy("container", "start", spec)
    assert done.returncode == 1
    assert done.stderr == (
        f"{spec}:4:56: error: container-configuration: field 'address' expects an address in "
        "127.0.0.0/8 other than 127.0.0.1 or #f, got string '10.0.0.5'\n")


def test_image_and_cache_commands(world, fleet, tmp_path):
    (host,) = fleet(1)
    listed = world.lispdeploy("container", "images")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]
            if not line.startswith(" ")}
    assert DEFAULT_IMAGE in rows and rows[DEFAULT_IMAGE].split()[-1] != "0"
    assert "images are kept in /var/lib/lispdeploy/images" in listed.stdout

    # Removing an image a host uses is refused, and names the host.
    refused = world.lispdeploy("container", "image", "remove", DEFAULT_IMAGE)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: image {DEFAULT_IMAGE} (")
    assert "is in use by container host " in refused.stderr
    assert f"container host {host.name}" in refused.stderr
    assert fleet.engine.images.find(DEFAULT_IMAGE) is not None

    # A tarball a user made: unpacked by `image build`, removed by `image remove`.
    tarball = str(tmp_path / "rootfs.tar")
    subprocess.run(["tar", "--create", "--file", tarball, "--directory", host.lower,
                    "--numeric-owner", "."], check=True)
    built = world.lispdeploy("container", "image", "build", tarball)
    assert built.returncode == 0, built.stderr
    assert built.stderr.splitlines()[0] == f"unpacking image {tarball}"
    root = built.stdout.split(": ", 1)[1].strip()
    assert root.startswith("/var/lib/lispdeploy/images/tarball-") and root.endswith("/root")
    removed = world.lispdeploy("container", "image", "remove", tarball)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith(f"removed {tarball} (")
    assert not subprocess.run(["test", "-e", root]).returncode == 0

    cache = world.lispdeploy("container", "cache")
    assert cache.returncode == 0, cache.stderr
    # The test session holds the cache while it runs.
    assert cache.stdout.startswith("package cache: running on http://127.0.0.1:3149 for ")
    assert f"session-{__import__('os').getpid()}" in cache.stdout
