"""DigitalOcean's API as lispdeploy uses it, against the fake server (no droplet boots here):
the token and its errors, long droplet lists read page by page, droplets found again and
never guessed, and droplets whose host key lispdeploy does not know."""

import os
import subprocess

import pytest

from lispdeploy.environments.digital_ocean import (DigitalOceanConfiguration,
                                                  digital_ocean_environment_type)
from lispdeploy.environments.digital_ocean import keys
from lispdeploy.environments.digital_ocean.api import DigitalOceanApi
from lispdeploy.environments.digital_ocean.provisioning import Provisioner
from lispdeploy.environments.digital_ocean.state import DropletState
from lispdeploy.errors import EnvironmentError_
from lispdeploy.machine import Machine
from lispdeploy.system.operating_system import OperatingSystem

SPEC = """
(list (machine (operating-system (operating-system (host-name "web-1")))
               (environment digital-ocean-environment-type)
               (configuration (digital-ocean-configuration (region "nyc3")
                                                           (size "s-1vcpu-1gb")))))
"""


def droplet_machine(name, **config):
    """A machine of digital-ocean-environment-type, as a spec would make it."""
    return Machine(operating_system=OperatingSystem(host_name=name),
                   environment=digital_ocean_environment_type,
                   configuration=DigitalOceanConfiguration(region="nyc3", size="s-1vcpu-1gb",
                                                           **config))


@pytest.fixture
def account(digital_ocean, monkeypatch, tmp_path):
    """The fake account, with lispdeploy's environment variables pointing at it."""
    monkeypatch.delenv("GUIX_DIGITAL_OCEAN_TOKEN", raising=False)
    for name, value in digital_ocean.environment(
            LISPDEPLOY_DIGITAL_OCEAN_STATE=str(tmp_path / "state")).items():
        monkeypatch.setenv(name, value)
    return digital_ocean


def test_a_missing_token_names_both_variables(world, digital_ocean):
    world.env.pop("GUIX_DIGITAL_OCEAN_TOKEN", None)
    world.env.pop("LISPDEPLOY_DIGITAL_OCEAN_TOKEN", None)
    world.env["LISPDEPLOY_DIGITAL_OCEAN_URL"] = digital_ocean.url
    spec = world.write(SPEC)
    for command in ("deploy", "destroy"):
        done = world.lispdeploy(command, spec)
        assert done.returncode == 1
        assert ("web-1: " in done.stderr and "error: droplet web-1: no DigitalOcean API token: "
                "neither LISPDEPLOY_DIGITAL_OCEAN_TOKEN nor GUIX_DIGITAL_OCEAN_TOKEN is set\n"
                "hint: export LISPDEPLOY_DIGITAL_OCEAN_TOKEN=... with a personal access token "
                "that can read and write") in done.stderr, done.stderr
    assert digital_ocean.requests == []


def test_guix_token_is_read_and_a_wrong_token_is_refused(digital_ocean):
    environ = {"GUIX_DIGITAL_OCEAN_TOKEN": digital_ocean.token,
               "LISPDEPLOY_DIGITAL_OCEAN_URL": digital_ocean.url + "/"}
    with DigitalOceanApi.from_environment("droplet web-1", environ) as api:
        assert api.droplets("lispdeploy") == []
    environ["LISPDEPLOY_DIGITAL_OCEAN_TOKEN"] = "not-the-token"
    with DigitalOceanApi.from_environment("droplet web-1", environ) as api, \
            pytest.raises(EnvironmentError_) as refused:
        api.droplets("lispdeploy")
    assert refused.value.message == (
        "droplet web-1: DigitalOcean refused listing droplets tagged lispdeploy "
        "(GET /v2/droplets): HTTP 401 Unauthorized: Unable to authenticate you")
    assert "LISPDEPLOY_DIGITAL_OCEAN_TOKEN" in refused.value.hint
    with pytest.raises(EnvironmentError_) as bad_url:
        DigitalOceanApi.from_environment("droplet web-1", {
            **environ, "LISPDEPLOY_DIGITAL_OCEAN_URL": "api.digitalocean.com"})
    assert bad_url.value.message == \
        "LISPDEPLOY_DIGITAL_OCEAN_URL='api.digitalocean.com' is not an http(s) URL"


def test_long_droplet_lists_are_read_page_by_page(account, tmp_path):
    account.max_per_page = 25
    account.add_droplets(60, prefix="other")
    account.add_droplets(15, tags=("forum",), prefix="untagged")
    account.add_droplets(1, tags=("lispdeploy", "forum", "eu"), prefix="web")
    machine = droplet_machine("web-0", tags=["forum"])
    state = DropletState.of("web-0")
    with DigitalOceanApi.from_environment("droplet web-0") as api:
        listed = api.droplets("lispdeploy")
        assert len(listed) == 61 and api.requests == 3
        assert listed[-1].name == "web-0" and listed[-1].tags == ("lispdeploy", "forum", "eu")
        found = Provisioner(machine, api, state).find()
    assert found == listed[-1]
    assert account.count("GET /v2/droplets") == 6

    # destroy finds it on the last page too, and deletes only it.
    assert digital_ocean_environment_type.destroy_machine(machine) is True
    assert [d.name for d in account.live() if d.name.startswith("web")] == []
    assert len(account.live()) == 75
    assert digital_ocean_environment_type.destroy_machine(machine) is False


def test_a_next_page_on_another_server_is_not_followed(account):
    account.max_per_page = 10
    account.add_droplets(11)
    account.next_url_base = "http://127.0.0.2:9"
    with DigitalOceanApi.from_environment("droplet web-1") as api, \
            pytest.raises(EnvironmentError_) as error:
        api.droplets("lispdeploy")
    assert error.value.message == (
        "droplet web-1: DigitalOcean's API sent a next page on another server "
        "(http://127.0.0.2:9) while listing droplets tagged lispdeploy; lispdeploy "
        "does not send its token there")


def test_droplets_are_found_again_and_never_guessed(account):
    account.add_droplets(1, tags=("lispdeploy",), prefix="db")
    machine = droplet_machine("db-0", tags=["eu"])
    with DigitalOceanApi.from_environment("droplet db-0") as api:
        provisioner = Provisioner(machine, api, DropletState.of("db-0"))
        with pytest.raises(EnvironmentError_) as lacking:
            provisioner.find()
        (existing,) = account.live("db-0")
        assert lacking.value.message == (
            f"droplet db-0: droplet {existing.id} has this name and lispdeploy's tag, but its "
            "tags (lispdeploy) lack some of the configuration's (lispdeploy, eu); lispdeploy "
            "will not make a second droplet")
        account.add_droplets(1, tags=("lispdeploy", "eu"), prefix="db")
        account.add_droplets(1, tags=("lispdeploy", "eu", "x"), prefix="db")
        with pytest.raises(EnvironmentError_) as several:
            provisioner.find()
        assert "droplet db-0: 2 droplets have this name and the tags lispdeploy, eu" in \
            several.value.message
    assert account.creations == 0


def test_an_existing_droplet_whose_host_key_is_unknown_is_refused(account, tmp_path):
    account.add_droplets(1, prefix="app")
    key = str(tmp_path / "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    machine = droplet_machine("app-0", ssh_key=key)
    with pytest.raises(EnvironmentError_) as unknown:
        digital_ocean_environment_type.delegate(machine)
    (droplet,) = account.live("app-0")
    directory = os.path.join(os.environ["LISPDEPLOY_DIGITAL_OCEAN_STATE"], "app-0")
    assert unknown.value.message == (
        f"droplet app-0: droplet {droplet.id} exists, but its host key is not recorded in "
        f"{directory}, so lispdeploy will not connect to it")
    assert f"write it to {directory}/host_key.pub" in unknown.value.hint

    # A droplet of that name that is not the one lispdeploy recorded is refused too.
    state = DropletState.of("app-0")
    state.write_record({"id": droplet.id + 1000})
    with pytest.raises(EnvironmentError_) as replaced:
        digital_ocean_environment_type.delegate(machine)
    assert replaced.value.message.startswith(
        f"droplet app-0: the droplet of this name is {droplet.id}, not {droplet.id + 1000}")
    assert account.creations == 0 and account.count("POST") == 0


def test_ssh_keys_of_droplets(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(EnvironmentError_) as none:
        keys.user_key_path(None, "droplet web-1")
    assert none.value.message == (
        "droplet web-1: no SSH key to log in to the droplet with: ssh-key is not set, and "
        "neither ~/.ssh/id_ed25519 nor ~/.ssh/id_rsa exists")
    with pytest.raises(EnvironmentError_) as missing:
        keys.user_key_path("~/.ssh/deploy", "droplet web-1")
    assert missing.value.message == "droplet web-1: its ssh-key ~/.ssh/deploy does not exist"

    os.mkdir(tmp_path / ".ssh")
    rsa = str(tmp_path / ".ssh" / "id_rsa")
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa],
                   check=True)
    assert keys.user_key_path(None, "droplet web-1") == rsa
    line = keys.public_key(rsa, "droplet web-1")
    os.unlink(rsa + ".pub")
    assert keys.public_key(rsa, "droplet web-1").split()[:2] == line.split()[:2]
    shown = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", rsa], check=True,
                           capture_output=True, text=True).stdout.split()[1]
    assert shown == "MD5:" + keys.md5_fingerprint(line)
