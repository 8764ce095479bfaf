"""`lispdeploy container list|start|stop|destroy SPEC` and `lispdeploy destroy SPEC`, as a user
runs them: state lives on disk, so each invocation finds the hosts of the one before."""

import json

from deploy_hosts import container_machine, world  # noqa: F401


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
        ["box-1", "-", "not", "created"], ["box-2", "-", "not", "created"]]
    assert listed.stderr == "box-3: not a container machine (managed-host-environment-type)\n"

    started = world.lispdeploy("container", "start", spec, "--on", "box-1")
    assert started.returncode == 0, started.stderr
    address = started.stdout.split()[1]
    assert address.startswith("127.") and "running" in started.stdout
    assert world.sh(first, "hostname").strip() == "box-1"

    listed = world.lispdeploy("container", "list", spec)
    rows = [l.split() for l in listed.stdout.splitlines()[1:]]
    assert rows[0][:3] == ["box-1", address, "running"]
    assert rows[1][:2] == ["box-2", "-"]

    world.sh(first, "echo kept > /root/marker")
    assert world.lispdeploy("container", "stop", spec, "--on", "box-1").returncode == 0
    rows = [l.split() for l in world.lispdeploy("container", "list", spec).stdout.splitlines()]
    assert rows[1][:3] == ["box-1", address, "stopped"]
    started = world.lispdeploy("container", "start", spec, "--on", "box-1", "--json")
    assert started.returncode == 0, started.stderr
    (shown,) = json.loads(started.stdout)["hosts"]
    assert (shown["host"], shown["container"], shown["address"], shown["state"],
            shown["deployment"]) == ("box-1", first, address, "running", "spec")
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
