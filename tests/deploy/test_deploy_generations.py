"""Generations on a host: listing, switching to any of them (0: the host as it was), and
garbage collection of old generations and unreferenced store items."""

import json

from deploy_hosts import container_machine


def spec_for(world, name, timezone, file):
    os_form = f'(operating-system (host-name "gens") (timezone "{timezone}"))'
    return world.write(f"(list {container_machine(os_form, name)})", file)


def test_switch_generation_and_gc(world):
    name = world.host_name()
    zones = ["Europe/Paris", "Europe/Berlin", "Asia/Tokyo"]
    specs = [spec_for(world, name, zone, f"g{i}/spec.hy") for i, zone in enumerate(zones, 1)]
    for spec in specs:
        assert world.lispdeploy("deploy", spec).returncode == 0
    assert world.sh(name, "cat /etc/timezone") == "Asia/Tokyo\n"

    done = world.lispdeploy("switch-generation", specs[0], "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].split()[:5] == ["gens", "switched", "3", "->", "1"]
    assert world.sh(name, "cat /etc/timezone") == "Europe/Paris\n"

    listing = world.lispdeploy("generations", specs[0], "--json")
    generations = json.loads(listing.stdout)["hosts"][0]["generations"]
    assert [(g["number"], g["current"]) for g in generations] == [
        (1, True), (2, False), (3, False)]

    store_before = set(world.sh(name, "ls /var/lib/lispdeploy/store").split())
    (runtime,) = [i for i in store_before if i.endswith("-lispdeploy-runtime")]
    cache = "/var/lib/lispdeploy/runtime-cache"
    compiled = world.sh(name, f"ls {cache}").split()
    assert [c.rpartition("-")[0] for c in compiled] == [runtime]
    # What an older lispdeploy left: its runtime compiled, its item deleted by a gc before.
    world.sh(name, f"touch {cache}/{'0' * 32}-lispdeploy-runtime-{compiled[0].rpartition('-')[2]}")
    done = world.lispdeploy("gc", specs[0], "--keep", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("gens: deleted generations [2], ")
    assert world.sh(name, "ls /var/lib/lispdeploy/profiles").split() == [
        "system", "system-1-link", "system-1-provenance.json", "system-3-link",
        "system-3-provenance.json"]
    store_after = set(world.sh(name, "ls /var/lib/lispdeploy/store").split())
    assert store_after < store_before
    # The runtime gc itself ran on stays (the next command needs it), compiled once.
    assert runtime in store_after
    assert world.sh(name, f"ls {cache}").split() == compiled
    assert not any(item.endswith("-system") and item not in store_after
                   for item in [world.sh(name, "readlink /var/lib/lispdeploy/profiles/"
                                                f"system-{n}-link").strip().split("/")[-1]
                                for n in (1, 3)])

    done = world.lispdeploy("switch-generation", specs[0], "0")
    assert done.returncode == 0, done.stderr
    assert world.sh(name, "cat /etc/timezone; test -e /var/lib/lispdeploy/profiles/system "
                          "|| echo no-current") == "Etc/UTC\nno-current\n"
    done = world.lispdeploy("switch-generation", specs[0], "3")
    assert done.returncode == 0, done.stderr
    assert world.sh(name, "cat /etc/timezone") == "Asia/Tokyo\n"

    done = world.lispdeploy("switch-generation", specs[0], "7")
    assert done.returncode == 1
    assert "there is no generation 7" in done.stderr
