"""Rolling deploys: waves from --batch and the machines' wave fields, --max-fail stopping the
rollout before its next wave with the hosts it did not touch, and the waves in the JSON
report."""

import json

import pytest

from deploy_hosts import container_machine
from lispdeploy.deploy.waves import Amount, allowed_failures, plan_waves
from lispdeploy.errors import UsageError
from lispdeploy.spec.loader import load_spec


def machines_of(tmp_path, monkeypatch, waves):
    monkeypatch.setenv("LISPDEPLOY_CACHE_DIR", str(tmp_path / "cache"))
    forms = "\n".join(
        f'(machine (operating-system (operating-system (host-name "h{n}")))'
        f' (environment container-environment-type) (configuration (container-configuration))'
        + (f" (wave {wave})" if wave is not None else "") + ")"
        for n, wave in enumerate(waves, 1))
    path = tmp_path / "waves.hy"
    path.write_text(f"(list {forms})")
    return load_spec(str(path)).machines


@pytest.mark.parametrize("waves, batch, expected", [
    ([None] * 5, None, [["h1", "h2", "h3", "h4", "h5"]]),
    ([None] * 5, "2", [["h1", "h2"], ["h3", "h4"], ["h5"]]),
    ([None] * 5, "40%", [["h1", "h2"], ["h3", "h4"], ["h5"]]),      # 2 of 5
    ([None] * 5, "10%", [["h1"], ["h2"], ["h3"], ["h4"], ["h5"]]),  # rounded up to 1
    ([None, 1, None, 0, None], None, [["h4"], ["h2"], ["h1", "h3", "h5"]]),
    ([None, 1, None, 0, None], "2", [["h4"], ["h2"], ["h1", "h3"], ["h5"]]),
    ([2, 2, 2], "100%", [["h1", "h2", "h3"]]),
])
def test_wave_plans(tmp_path, monkeypatch, waves, batch, expected):
    machines = machines_of(tmp_path, monkeypatch, waves)
    size = Amount.parse(batch, "--batch", minimum=1) if batch else None
    assert [[m.display_name for m in w] for w in plan_waves(machines, size)] == expected


@pytest.mark.parametrize("text, total, tolerated", [
    (None, 10, 0), ("0", 10, 0), ("3", 10, 3), ("25%", 10, 2), ("10%", 5, 0), ("100%", 7, 7)])
def test_allowed_failures(text, total, tolerated):
    amount = Amount.parse(text, "--max-fail", minimum=0) if text else None
    assert allowed_failures(amount, total) == tolerated


@pytest.mark.parametrize("text", ["0", "-1", "x", "0%", "150%", "2.5"])
def test_bad_batch(text):
    with pytest.raises(UsageError) as caught:
        Amount.parse(text, "--batch", minimum=1)
    assert caught.value.message == (f"--batch {text}: expected a number of hosts (1 or more) "
                                    "or a percentage such as 25%")


def test_a_failed_wave_stops_the_rollout(world):
    names = [world.host_name() for _ in range(4)]
    def machine(n, host, tz="Etc/UTC", wave=""):
        form = container_machine(f'(operating-system (host-name "{host}") (timezone "{tz}"))',
                                 names[n])
        return form[:-1] + f" {wave})"
    spec = world.write("(list " + "\n".join([
        machine(0, "web-a"), machine(1, "web-b", tz="Mars/Olympus"), machine(2, "web-c"),
        machine(3, "canary", wave="(wave 1)")]) + ")")

    done = world.lispdeploy("deploy", spec, "--batch", "2", "--json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert [(h["host"], h["result"]) for h in document["hosts"]] == [
        ("web-a", "deployed"), ("web-b", "failed"), ("web-c", "not-touched"),
        ("canary", "deployed")]
    assert document["waves"] == [
        {"wave": 1, "hosts": ["canary"], "failed": [], "started": True},
        {"wave": 2, "hosts": ["web-a", "web-b"], "failed": ["web-b"], "started": True},
        {"wave": 3, "hosts": ["web-c"], "failed": [], "started": False}]
    assert document["not-touched"] == ["web-c"]
    assert document["stopped"] == ("stopped after wave 2 of 3: 1 host failed, more than "
                                   "--max-fail 0 (the default) allows")
    assert world.engine.get(names[2]) is None  # not even created
    assert "wave 1 of 3: canary\n" in done.stderr and "wave 3 of 3" not in done.stderr

    done = world.lispdeploy("deploy", spec, "--batch", "2")
    assert done.returncode == 1
    assert done.stderr.rstrip().endswith(
        "stopped after wave 2 of 3: 1 host failed, more than --max-fail 0 (the default) allows\n"
        "not touched (still on their generation): web-c\n"
        "error: deploy: 2 of 4 hosts succeeded; failed: web-b; not touched: web-c")

    done = world.lispdeploy("deploy", spec, "--batch", "2", "--max-fail", "25%")
    assert done.returncode == 1
    table = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()[1:]}
    assert table == {"web-a": "unchanged", "web-b": "failed", "web-c": "deployed",
                     "canary": "unchanged"}
    assert "stopped after" not in done.stderr
