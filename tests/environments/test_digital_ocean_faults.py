"""DigitalOcean's API under faults, injected by the fake server: rate limits (Retry-After,
ratelimit-reset), server errors, dropped connections, timeouts, a server that is not there;
a creation whose answer is lost is looked for, never repeated. No droplet boots here."""

import re
import socket
import time

import pytest

from digital_ocean_fake import Fault
from lispdeploy.environments.digital_ocean import (DigitalOceanConfiguration,
                                                  digital_ocean_environment_type)
from lispdeploy.environments.digital_ocean.api import DigitalOceanApi, DropletRequest
from lispdeploy.environments.digital_ocean.provisioning import Provisioner
from lispdeploy.environments.digital_ocean.state import DropletState
from lispdeploy.errors import EnvironmentError_
from lispdeploy.machine import Machine
from lispdeploy.system.operating_system import OperatingSystem


@pytest.fixture
def account(digital_ocean, monkeypatch, tmp_path):
    monkeypatch.delenv("GUIX_DIGITAL_OCEAN_TOKEN", raising=False)
    for name, value in digital_ocean.environment(
            LISPDEPLOY_DIGITAL_OCEAN_STATE=str(tmp_path / "state")).items():
        monkeypatch.setenv(name, value)
    digital_ocean.add_droplets(2, prefix="web")
    return digital_ocean


def client(retries, **options):
    return DigitalOceanApi.from_environment("droplet web-0", on_retry=retries.append,
                                            **options)


def test_rate_limit_waits_as_long_as_retry_after_says(account):
    account.fail("GET", "/v2/droplets", Fault(429, {"Retry-After": "1"}))
    retries = []
    with client(retries) as api:
        assert [d.name for d in api.droplets("lispdeploy")] == ["web-0", "web-1"]
        assert (api.requests, api.retries) == (2, 1)
    assert retries == ["DigitalOcean: HTTP 429, listing droplets tagged lispdeploy; trying "
                       "again in 1 s"]
    assert account.faulted == ["GET /v2/droplets"]


def test_rate_limit_waits_until_the_reset(account):
    reset = int(time.time()) + 3
    account.fail("GET", "/v2/droplets/", Fault(429, {"ratelimit-limit": "5000",
                                                      "ratelimit-remaining": "0",
                                                      "ratelimit-reset": str(reset)}))
    (droplet, _) = account.live()
    retries = []
    with client(retries) as api:
        assert api.droplet(droplet.id).name == "web-0"
    assert len(retries) == 1
    assert re.fullmatch(r"DigitalOcean: HTTP 429, reading droplet \d+; trying again in [123] s",
                        retries[0])
    assert time.time() >= reset - 1


def test_a_rate_limit_that_resets_much_later_fails_at_once_saying_when(account):
    account.fail("GET", "/v2/droplets", Fault(429, {"ratelimit-reset":
                                                     str(int(time.time()) + 3600)}))
    retries = []
    with client(retries) as api, pytest.raises(EnvironmentError_) as limited:
        api.droplets("lispdeploy")
    assert limited.value.message == (
        "droplet web-0: DigitalOcean refused listing droplets tagged lispdeploy "
        "(GET /v2/droplets): HTTP 429 Too Many Requests: injected 429")
    assert re.fullmatch(r"DigitalOcean's rate limit is reached; it resets in 3[56]\d\d s: run "
                        r"the command again then", limited.value.hint)
    assert retries == [] and account.count("GET /v2/droplets") == 1


def test_server_errors_are_tried_again_with_a_back_off(account):
    account.fail("GET", "/v2/droplets", Fault(503), times=2)
    retries = []
    with client(retries) as api:
        assert len(api.droplets("lispdeploy")) == 2
    assert [r.split(";")[0] for r in retries] == [
        "DigitalOcean: HTTP 503, listing droplets tagged lispdeploy"] * 2

    account.fail("DELETE", "/v2/droplets/", Fault(500), times=10)
    (droplet, _) = account.live()
    retries = []
    with client(retries, attempts=3) as api, pytest.raises(EnvironmentError_) as failed:
        api.delete_droplet(droplet.id)
    assert failed.value.message == (
        f"droplet web-0: DigitalOcean refused deleting droplet {droplet.id} "
        f"(DELETE /v2/droplets/{droplet.id}): HTTP 500 Internal Server Error: injected 500")
    assert len(retries) == 2 and account.count("DELETE") == 3
    assert len(account.live()) == 2


def test_dropped_connections_and_timeouts_are_tried_again(account):
    account.fail("GET", "/v2/droplets", Fault(drop=True))
    account.fail("GET", "/v2/droplets", Fault(delay=3))
    retries = []
    with client(retries, read_timeout=1) as api:
        assert len(api.droplets("lispdeploy")) == 2
    assert [r.split(";")[0] for r in retries] == [
        "DigitalOcean: connection failed, listing droplets tagged lispdeploy",
        "DigitalOcean: no answer in time, listing droplets tagged lispdeploy"]
    assert account.count("GET /v2/droplets") == 3


def test_a_server_that_is_not_there(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    retries = []
    with DigitalOceanApi("token", base_url=f"http://127.0.0.1:{port}", subject="droplet x",
                         on_retry=retries.append, attempts=2) as api, \
            pytest.raises(EnvironmentError_) as unreachable:
        api.droplets("lispdeploy")
    assert unreachable.value.message == (
        f"droplet x: cannot reach DigitalOcean's API at http://127.0.0.1:{port} while listing "
        "droplets tagged lispdeploy (GET /v2/droplets): connection refused (2 attempts)")
    assert len(retries) == 1


def machine(name):
    return Machine(operating_system=OperatingSystem(host_name=name),
                   environment=digital_ocean_environment_type,
                   configuration=DigitalOceanConfiguration(region="nyc3", size="s-1vcpu-1gb"))


def request(name):
    return DropletRequest(name=name, region="nyc3", size="s-1vcpu-1gb", image="debian-12-x64",
                          tags=("lispdeploy",))


def test_a_creation_whose_answer_is_lost_is_looked_for_not_repeated(account):
    account.never_active.update({"new-1", "new-2"})  # no host boots
    account.fail("POST", "/v2/droplets", Fault(drop=True, handle_first=True))
    with DigitalOceanApi.from_environment("droplet new-1") as api:
        found = Provisioner(machine("new-1"), api, DropletState.of("new-1"))._created(
            request("new-1"))
    (made,) = account.live("new-1")
    assert found.id == made.id and account.creations == 1
    assert account.count("POST /v2/droplets") == 1

    # Dropped before DigitalOcean made it: nothing was made, and the error says so.
    account.fail("POST", "/v2/droplets", Fault(drop=True))
    with DigitalOceanApi.from_environment("droplet new-2") as api, \
            pytest.raises(EnvironmentError_) as lost:
        Provisioner(machine("new-2"), api, DropletState.of("new-2"))._created(request("new-2"))
    assert lost.value.message == (
        "droplet new-2: cannot reach DigitalOcean's API at " + account.url + " while creating "
        "droplet new-2 (POST /v2/droplets): connection failed; no droplet of this name was "
        "made")
    assert account.live("new-2") == [] and account.count("POST /v2/droplets") == 2

    # A server error answering a creation is not repeated either.
    account.fail("POST", "/v2/droplets", Fault(500))
    with DigitalOceanApi.from_environment("droplet new-2") as api, \
            pytest.raises(EnvironmentError_):
        api.create_droplet(request("new-2"))
    assert account.count("POST /v2/droplets") == 3 and account.live("new-2") == []


def test_the_stand_in_as_a_command(tmp_path):
    """`python3 -m lispdeploy.environments.digital_ocean.stand_in`: what docs/environments.md
    tells users to run to try droplets locally."""
    import os
    import signal
    import subprocess
    import sys
    env_file = tmp_path / "env"
    process = subprocess.Popen([sys.executable, "-m",
                                "lispdeploy.environments.digital_ocean.stand_in",
                                "--env-file", str(env_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("DigitalOcean stand-in on http://127.0.0.1:"), first
        exports = dict(line.split(" ", 1)[1].strip().split("=", 1)
                       for line in env_file.read_text().splitlines())
        assert set(exports) == {"LISPDEPLOY_DIGITAL_OCEAN_URL", "LISPDEPLOY_DIGITAL_OCEAN_TOKEN"}
        with DigitalOceanApi.from_environment("droplet x", exports) as api:
            assert api.droplets("lispdeploy") == []
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert err == "stopping: deleting 0 droplets\n"
    assert os.path.exists(env_file)
