"""Container hosts belong to the deployment that created them (a name from the spec's file,
or its (deployment (name ...))): a machine of another deployment that names the same
container is refused by every command, destroy lists and asks, and prune deletes what the
deployment no longer declares. Moving the spec to another directory keeps its hosts."""

import json
import os

from deploy_hosts import container_machine


def box(n, name):
    return container_machine(f'(operating-system (host-name "box-{n}"))', name)


def test_another_deployments_container_is_refused(world):
    name = world.host_name()
    shop = world.write(f"(list {box(1, name)})", "shop.hy")
    done = world.lispdeploy("deploy", shop)
    assert done.returncode == 0, done.stderr
    info = world.engine.get(name)
    assert (info.deployment, info.spec) == ("shop", shop)

    blog = world.write(f"(list {box(2, name)})", "blog.hy")
    refused = (f"error: machine 'box-2': container host {name} ({info.address}, running; its "
               f"disk /var/lib/lispdeploy/containers/{name}) belongs to deployment 'shop', not "
               "to this spec's deployment 'blog'; lispdeploy will not touch another "
               "deployment's host\n"
               "hint: give this machine a host of its own")
    for command in (["deploy", blog], ["deploy", blog, "--dry-run"], ["eval", blog, "#~1"],
                    ["deploy", blog, "-x", "--", "true"], ["destroy", blog, "--yes"],
                    ["container", "stop", blog], ["container", "start", blog],
                    ["container", "destroy", blog, "--yes"]):
        done = world.lispdeploy(*command)
        assert done.returncode == 1, (command, done.stderr)
        assert refused in done.stderr, (command, done.stderr)
    assert world.engine.get(name).running
    assert world.sh(name, "hostname").strip() == "box-1"

    # The same deployment, named in the spec, may reach it.
    world.sh(name, "echo kept > /root/marker")
    named = world.write(f'(deployment (name "shop") (machines (list {box(1, name)})))',
                        "blog-too.hy")
    done = world.lispdeploy("deploy", named, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hosts"][0]["result"] != "failed"
    assert world.sh(name, "cat /root/marker") == "kept\n"  # the same host


def test_destroy_lists_and_asks(world):
    name = world.host_name()
    spec = world.write(f"(list {box(1, name)})", "shop.hy")
    assert world.lispdeploy("deploy", spec).returncode == 0
    address = world.engine.get(name).address
    listing = (f"will delete:\n  box-1: container host {name} ({address}, running; its disk "
               f"/var/lib/lispdeploy/containers/{name})\n")

    done = world.lispdeploy("destroy", spec)
    assert done.returncode == 2
    assert done.stdout == listing
    assert done.stderr == (
        "error: destroy: not deleting 1 host without confirmation: there is no terminal to ask "
        "on\nhint: run it on a terminal, or pass --yes (lispdeploy destroy SPEC --yes) in "
        "scripts; --dry-run only lists\n")

    done = world.lispdeploy("destroy", spec, "--dry-run", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"hosts": [{
        "host": "box-1", "environment": "container-environment-type", "name": name,
        "what": f"container host {name} ({address}, running; its disk "
                f"/var/lib/lispdeploy/containers/{name})", "deployment": "shop",
        "result": "would-delete"}], "dry-run": True, "failed": []}

    done = world.on_terminal("destroy", spec, answer="\n")  # the default is no
    assert done.returncode == 1 and world.engine.get(name) is not None
    assert "Delete 1 host, with everything on them? [y/N]" in done.stderr

    done = world.on_terminal("destroy", spec, "--json", answer="y\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hosts"][0]["result"] == "deleted"
    assert world.engine.get(name) is None


def test_prune_and_a_moved_spec(world):
    first, second = world.host_name(), world.host_name()
    both = world.write(f"(list {box(1, first)} {box(2, second)})", "shop.hy")
    assert world.lispdeploy("deploy", both).returncode == 0
    world.sh(first, "echo kept > /root/marker")

    # The spec moves to another directory and loses a machine: same deployment.
    os.mkdir(world.tmp_path / "moved")
    moved = world.write(f"(list {box(1, first)})", "moved/shop.hy")
    done = world.lispdeploy("deploy", moved, "--json")
    assert done.returncode == 0, done.stderr
    assert world.sh(first, "cat /root/marker") == "kept\n"  # the same host
    assert world.engine.get(first).spec == moved

    done = world.lispdeploy("prune", moved, "--dry-run")
    assert done.returncode == 0, done.stderr
    address = world.engine.get(second).address
    assert (f"would delete:\n  {second}: container host {second} ({address}, running; its "
            f"disk /var/lib/lispdeploy/containers/{second})\n") in done.stdout

    done = world.lispdeploy("deploy", moved, "--prune", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert [h["result"] for h in document["hosts"]] == ["unchanged"]  # deployed just before
    assert [(h["name"], h["result"]) for h in document["pruned"]["hosts"]] == [
        (second, "deleted")]
    assert world.engine.get(second) is None and world.engine.get(first) is not None

    done = world.lispdeploy("deploy", moved, "--prune")
    assert done.returncode == 0, done.stderr
    assert "prune: deployment 'shop' has no host its spec no longer declares" in done.stdout
