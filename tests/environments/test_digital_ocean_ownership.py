"""Droplets belong to the deployment that created them (its tag): another deployment's
droplet is refused by deploy and destroy, prune deletes only the deployment's droplets that
its spec no longer declares, after listing them and asking, and a droplet whose region, size
or image differs from the spec is reported, never kept silently nor recreated. The droplets
here exist before the test (no host boots)."""

import json

from lispdeploy.environments.digital_ocean.api import DigitalOceanApi
from lispdeploy.environments.digital_ocean.provisioning import Provisioner
from lispdeploy.environments.digital_ocean.state import DropletState
from lispdeploy.machine import HostContext
from test_digital_ocean_droplets import prepare

OURS = ("lispdeploy", "lispdeploy-deployment:shop")


def spec(key, *machines):
    forms = "\n".join(f"""
      (machine (operating-system (operating-system (host-name "{name}")))
               (environment digital-ocean-environment-type)
               (configuration (digital-ocean-configuration
                               (ssh-key "{key}") (region "nyc3") (size "{size}"))))"""
                      for name, size in machines)
    return f"(list {forms})"


def test_a_droplet_that_no_longer_matches_the_spec_is_reported(world, digital_ocean,
                                                              tmp_path):
    fake = digital_ocean
    key, _ = prepare(world, fake, tmp_path)
    fake.add_droplets(1, tags=OURS, prefix="web")
    (droplet,) = fake.live()
    path = world.write(spec(key, ("web-0", "s-2vcpu-4gb")), "shop.hy")
    for args in ((), ("--dry-run",)):
        done = world.lispdeploy("deploy", path, *args)
        assert done.returncode == 1, done.stderr
        assert (f"error: droplet web-0: droplet {droplet.id} no longer matches the spec: size "
                "s-1vcpu-1gb (the spec says s-2vcpu-4gb); lispdeploy does not move, resize "
                "or rebuild droplets, and will not deploy to one that is not what the spec "
                "says\n"
                "hint: put the spec's size back, or replace the droplet: lispdeploy destroy "
                "SPEC --on web-0, then deploy (a new droplet, with a new disk)") in done.stderr
    assert fake.count("POST") == 0 and fake.count("DELETE") == 0
    assert fake.live() == [droplet]


def test_another_deployments_droplet_is_refused(world, digital_ocean, tmp_path):
    fake = digital_ocean
    key, _ = prepare(world, fake, tmp_path)
    fake.add_droplets(1, tags=("lispdeploy", "lispdeploy-deployment:blog"), prefix="web")
    (droplet,) = fake.live()
    path = world.write(spec(key, ("web-0", "s-1vcpu-1gb")), "shop.hy")
    message = (f"error: machine 'web-0': droplet {droplet.id} (nyc3, s-1vcpu-1gb, "
               f"debian-12-x64) at {droplet.address} belongs to deployment 'blog', not to this "
               "spec's deployment 'shop'; lispdeploy will not touch another deployment's host")
    for command in (("deploy",), ("deploy", "--dry-run"), ("destroy", "--yes")):
        done = world.lispdeploy(*command, path)
        assert done.returncode == 1, done.stderr
        assert message in done.stderr, done.stderr
    assert fake.live() == [droplet] and fake.count("POST") == 0


def test_prune_deletes_what_the_deployment_no_longer_declares(world, digital_ocean, tmp_path):
    fake = digital_ocean
    key, _ = prepare(world, fake, tmp_path)
    fake.add_droplets(2, tags=OURS, prefix="web")           # web-0 declared, web-1 not
    fake.add_droplets(1, tags=OURS, prefix="old")           # no longer declared
    fake.add_droplets(1, tags=("lispdeploy", "lispdeploy-deployment:blog"), prefix="blog")
    fake.add_droplets(1, tags=("lispdeploy",), prefix="legacy")  # no deployment recorded
    web0, web1, old0, blog0, legacy0 = fake.live()
    path = world.write(spec(key, ("web-0", "s-1vcpu-1gb")), "shop.hy")

    done = world.lispdeploy("prune", path, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert [(h["host"], h["result"], h["deployment"]) for h in document["hosts"]] == [
        ("web-1", "would-delete", "shop"), ("old-0", "would-delete", "shop")]
    assert document["hosts"][1]["what"] == (f"droplet {old0.id} (nyc3, s-1vcpu-1gb, "
                                            f"debian-12-x64) at {old0.address}")

    done = world.lispdeploy("prune", path)  # no terminal to ask on, no --yes
    assert done.returncode == 2
    assert ("will delete:\n"
            f"  web-1: droplet {web1.id} (nyc3, s-1vcpu-1gb, debian-12-x64) at {web1.address}\n"
            f"  old-0: droplet {old0.id} (nyc3, s-1vcpu-1gb, debian-12-x64) at {old0.address}\n"
            ) in done.stdout
    assert ("error: prune: not deleting 2 hosts without confirmation: there is no terminal "
            "to ask on\nhint: run it on a terminal, or pass --yes") in done.stderr
    assert len(fake.live()) == 5

    done = world.on_terminal("prune", path, answer="n\n")
    assert done.returncode == 1
    assert "Delete 2 hosts, with everything on them? [y/N]" in done.stderr
    assert "error: prune: cancelled; nothing was deleted" in done.stderr
    assert len(fake.live()) == 5

    done = world.on_terminal("prune", path, answer="y\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["web-1: deleted", "old-0: deleted"]
    assert fake.live() == [web0, blog0, legacy0]

    done = world.lispdeploy("prune", path, "--yes")
    assert done.returncode == 0
    assert done.stdout == "prune: deployment 'shop' has no host its spec no longer declares\n"


def test_an_older_droplet_is_claimed_by_the_deployment_that_deploys_it(digital_ocean,
                                                                      monkeypatch, tmp_path):
    from test_digital_ocean_api import droplet_machine
    fake = digital_ocean
    for name, value in fake.environment(
            LISPDEPLOY_DIGITAL_OCEAN_STATE=str(tmp_path / "state")).items():
        monkeypatch.setenv(name, value)
    fake.add_droplets(1, tags=("lispdeploy",), prefix="legacy")
    (droplet,) = fake.live()
    with HostContext("legacy-0") as host, DigitalOceanApi.from_environment("x") as api:
        provisioner = Provisioner(droplet_machine("legacy-0"), api,
                                  DropletState.of("legacy-0"), deployment="shop",
                                  warn=host.warn)
        provisioner._owned(provisioner.find(), claim=True)
    assert droplet.body["tags"] == ["lispdeploy", "lispdeploy-deployment:shop"]
    assert host.warnings == [
        f"droplet {droplet.id} was made before lispdeploy recorded deployments: it now belongs "
        "to deployment 'shop' (tagged lispdeploy-deployment:shop)"]
