"""The seed's home server, with its machine switched to a container host, deploys; a second
deploy is a no-op that sends nothing."""

import json
import os

from deploy_hosts import container_machine

SEED = os.path.join(os.path.dirname(__file__), "..", "..", "specs", "home-server.hy")


def home_server_spec(world, name):
    text = open(SEED).read()
    machines = text.index("(list (machine")
    return world.write(text[:machines] + f"(list {container_machine('os', name)})\n")


def test_home_server_deploys_and_redeploys_as_a_no_op(world):
    name = world.host_name()
    spec = home_server_spec(world, name)
    first = world.lispdeploy("deploy", spec, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)["hosts"][0]
    assert (report["host"], report["result"], report["generation"]) == (
        "alyssas-home-server", "deployed", 1)
    assert report["items-sent"] > 0
    # A probe (asked again with the host runtime, which a fresh host lacks), then the missing
    # items travel with the activation; then a new connection confirms that the host can still
    # be reached.
    assert (report["connections"], report["round-trips"]) == (2, 4)
    assert report["confirmed"] is True

    facts = world.sh(name, """
        hostname
        id -nG alyssa
        getent passwd alyssa | cut -d: -f5,6
        stat -c '%a %U' /etc/sudoers
        visudo -c -f /etc/sudoers >/dev/null && echo sudoers-valid
        systemctl is-active ssh
        sshd -T | grep -i '^permitrootlogin'
        cat /etc/timezone
        readlink /var/lib/lispdeploy/profiles/system
    """).split("\n")
    assert facts[0] == "alyssas-home-server"
    assert set(facts[1].split()) == {"users", "wheel", "netdev", "audio", "video"}
    assert facts[2] == "Alyssa:/home/alyssa"
    assert facts[3] == "440 root"
    assert facts[4] == "sudoers-valid"
    assert facts[5] == "active"
    assert facts[6] == "permitrootlogin yes"
    assert facts[7] == "America/New_York"
    assert facts[8] == "system-1-link"
    assert world.sh(name, "cat /etc/sudoers") == \
        "root ALL=(ALL) ALL\n%wheel ALL=NOPASSWD: ALL\n"

    second = world.lispdeploy("deploy", spec, "--json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)["hosts"][0]
    assert (again["result"], again["generation"], again["items-sent"], again["changes"]) == (
        "unchanged", 1, 0, [])
    assert again["round-trips"] == 1
    assert world.sh(name, "ls /var/lib/lispdeploy/profiles").split() == [
        "system", "system-1-link", "system-1-provenance.json"]
