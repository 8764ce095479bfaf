"""`lispdeploy describe` on the seed's examples: the readable summary and the JSON rendering
of every record, connecting to nothing."""

import json
import os

from spec_helpers import run_cli

SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "specs")


def describe_json(name):
    done = run_cli("describe", os.path.join(SPECS, name), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_home_server_json():
    machine, = describe_json("home-server.hy")["machines"]
    assert machine["record-type"] == "machine"
    os_ = machine["operating-system"]
    assert (os_["host-name"], os_["timezone"], os_["locale"]) == (
        "alyssas-home-server", "America/New_York", "en_US.utf8")
    alyssa = os_["users"][0]
    assert (alyssa["name"], alyssa["group"], alyssa["supplementary-groups"], alyssa["comment"],
            alyssa["home-directory"]) == (
        "alyssa", "users", ["wheel", "netdev", "audio", "video"], "Alyssa", "/home/alyssa")
    assert [u["name"] for u in os_["users"]] == ["alyssa", "root"]
    assert os_["sudoers-file"] == {"record-type": "plain-file", "name": "sudoers",
                                   "content": "root ALL=(ALL) ALL\n%wheel ALL=NOPASSWD: ALL\n",
                                   "location": os_["sudoers-file"]["location"]}
    openssh = [s for s in os_["services"] if s["type"] == "openssh"]
    assert len(openssh) == 1 and openssh[0]["value"]["permit-root-login"] is True
    assert any(s["type"] == "dhcp-client" for s in os_["services"])
    assert os_["keyboard-layout"]["name"] == "us"
    assert os_["bootloader"]["targets"] == ["/dev/sda"]
    assert os_["bootloader"]["keyboard-layout"] == os_["keyboard-layout"]
    assert os_["file-systems"][0]["mount-point"] == "/"
    config = machine["configuration"]
    assert config["record-type"] == "machine-ssh-configuration"
    assert {k: config[k] for k in ("host-name", "system", "identity", "port", "user")} == {
        "host-name": "alyssa-p-hacker.tld", "system": "i686-linux",
        "identity": "/home/alyssa/.ssh/server_key", "port": 22, "user": "root"}
    assert (config["build-locally?"], config["allow-downgrades?"], config["host-key"]) == (
        True, False, None)
    assert machine["environment"] == "managed-host-environment-type"
    assert machine["location"].endswith("home-server.hy:41:7")


def test_json_is_stable():
    first = run_cli("describe", os.path.join(SPECS, "home-server.hy"), "--json").stdout
    second = run_cli("describe", os.path.join(SPECS, "home-server.hy"), "--json").stdout
    assert first == second


def test_forum_servers():
    machines = describe_json("forum-servers.hy")["machines"]
    assert [m["operating-system"]["host-name"] for m in machines] == [
        "forum-server-0", "forum-server-1", "forum-server-2", "forum-server-3"]
    httpd = [s for s in machines[2]["operating-system"]["services"] if s["type"] == "httpd"][0]
    config_file = httpd["value"]["config"]
    assert config_file["server-name"] == "forum-2.example.org"
    assert config_file["document-root"] == "/srv/forum"
    assert config_file["listen"] == ["80"]
    assert machines[0]["configuration"]["region"] == "nyc3"
    assert machines[0]["configuration"]["enable-ipv6?"] is True
    assert machines[0]["environment"] == "digital-ocean-environment-type"


def test_readable_summary():
    done = run_cli("describe", os.path.join(SPECS, "home-server.hy"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine alyssas-home-server  (")
    assert "  users         alyssa (users; wheel netdev audio video), root (root)" in lines
    assert "  reached by    ssh root@alyssa-p-hacker.tld:22 (i686-linux), identity " \
           "/home/alyssa/.ssh/server_key" in lines
    assert any(l.startswith("  services      openssh (permit-root-login #t), dhcp-client")
               for l in lines)
