"""The container host engine, on real container hosts: booting, isolation, errors, stale runs.

Hosts are reached the way lispdeploy reaches any host: paramiko with strict host-key checking
against the key the engine recorded. Nothing of the operating system is mocked.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import paramiko
import pytest

from lispdeploy.environments.container import (
    ContainerEngine, FileSystemMapping, UnknownContainerError, find_program, require_root,
)
from lispdeploy.environments.container import cgroups, mounts
from lispdeploy.environments.container.processes import ProcessRef, namespace_init
from lispdeploy.errors import EnvironmentError_

BOOT_TIMEOUT = 120.0


def ssh(host, command: str) -> tuple:
    """Run `command` on `host` over SSH; (stdout, exit status). The host key must match."""
    client = paramiko.SSHClient()
    host_keys = client.get_host_keys()
    kind, data = host.host_key.split()
    host_keys.add(host.address, kind, paramiko.PKey.from_type_string(kind, base64.b64decode(data)))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(host.address, port=host.port, username=host.user,
                       key_filename=host.identity, look_for_keys=False, allow_agent=False,
                       timeout=10, banner_timeout=10, auth_timeout=10)
        _, stdout, _ = client.exec_command(command, timeout=60)
        output = stdout.read().decode()
        return output, stdout.channel.recv_exit_status()
    finally:
        client.close()


def processes_of(host) -> list:
    """The nspawn process of a running host and the host's init, as recorded references."""
    nspawn = ProcessRef.of(host.pid)
    return [nspawn, namespace_init(host.pid)]


def cgroups_of(engine: ContainerEngine, host) -> tuple:
    """The cgroups the engine made for a running host."""
    return engine.state.read(host.name).cgroups


def assert_nothing_left(engine: ContainerEngine, name: str, processes=(), groups=()) -> None:
    """No process, mount, cgroup, directory or state of host `name` remains."""
    directory = os.path.join(engine.state.path, name)
    assert [p for p in processes if p is not None and p.alive()] == []
    assert [g for g in groups if os.path.exists(g)] == []
    assert mounts.mounts_under(directory) == []
    assert not os.path.lexists(directory)
    assert not os.path.lexists(os.path.join("/run/systemd/nspawn/propagate", name))
    assert engine.get(name) is None
    assert name not in [info.name for info in engine.list()]


def test_three_hosts_boot_at_once_and_are_separate_machines(fleet):
    hosts = fleet(3)
    assert len({h.name for h in hosts}) == len({h.address for h in hosts}) == 3
    for host in hosts:
        assert host.state == "running"
        output, status = ssh(host, "hostname; systemctl is-system-running")
        assert (output.split(), status) == ([host.host_name, "running"], 0)

    marker = f"/root/ldtest-marker-{uuid.uuid4().hex}"
    assert ssh(hosts[0], f"echo written > {marker} && cat {marker}") == ("written\n", 0)
    for other in hosts[1:]:
        assert ssh(other, f"test -e {marker}")[1] == 1
    assert not os.path.lexists(marker)

    processes = {h.name: processes_of(h) for h in hosts}
    assert all(p is not None and p.alive() for ps in processes.values() for p in ps)
    # Each host's systemd has a cgroup tree of its own: shared ones break parallel boots.
    groups = {h.name: cgroups_of(fleet.engine, h) for h in hosts}
    assert all(groups.values())
    assert len({g for gs in groups.values() for g in gs}) == sum(map(len, groups.values()))
    for host in hosts:
        init = processes[host.name][1]
        with open(f"/proc/{init.pid}/cgroup") as f:
            assert f"/lispdeploy-{host.name}/" in f.read()
    fleet.destroy(hosts)
    for host in hosts:
        assert_nothing_left(fleet.engine, host.name, processes[host.name], groups[host.name])


def test_hosts_of_this_machine_have_their_own_identity_and_only_ssh_starts(shared_fleet):
    (host,) = shared_fleet(1, image="machine")
    with open("/etc/ssh/ssh_host_ed25519_key.pub") as f:
        machine_key = f.read().split()[1]
    assert host.host_key.split()[1] != machine_key
    with open("/etc/machine-id") as f:
        machine_id = f.read().strip()
    output, _ = ssh(host, "cat /etc/machine-id; ls /etc/ssh | grep ssh_host_; "
                          "ls -A /var/lib/lispdeploy | wc -l; "
                          "systemctl is-enabled apache2.service nginx.service cron.service "
                          "console-getty.service apt-daily.timer ssh.service")
    lines = output.split()
    assert lines[0] != machine_id
    assert lines[1:3] == ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]
    assert lines[3] == "0"  # a new host was never deployed, and cannot see the state directory
    assert lines[4:] == ["disabled", "disabled", "disabled", "masked", "masked", "enabled"]


def test_a_second_engine_finds_the_hosts_of_the_first(shared_fleet):
    hosts = shared_fleet(2)
    other = ContainerEngine()
    for host in hosts:
        assert other.get(host.name) == host
    assert {h.name for h in hosts} <= {info.name for info in other.list()}


def test_stop_and_start_keep_the_hosts_disk(fleet):
    (host,) = fleet(1)
    assert ssh(host, "echo kept > /root/kept")[1] == 0
    nspawn = ProcessRef.of(host.pid)
    # Another engine instance, as a second lispdeploy command would: nspawn is not its child.
    stopped = ContainerEngine().stop(host.name)
    assert stopped.state == "stopped" and stopped.pid is None
    assert not nspawn.alive()
    assert mounts.mounts_under(os.path.join(fleet.engine.state.path, host.name)) == []

    started = fleet.engine.start(host.name, timeout=BOOT_TIMEOUT)
    assert started.running and started.pid != host.pid
    assert started.host_key == host.host_key
    assert ssh(started, "cat /root/kept") == ("kept\n", 0)


def test_a_boot_that_does_not_finish_in_time_is_stopped_and_shows_its_console(fleet):
    info = fleet.create()
    # A unit of the host's own disk that holds its boot up: written while the host is stopped.
    upper = os.path.join(fleet.engine.state.path, info.name, "upper")
    units = os.path.join(upper, "etc/systemd/system")
    with open(os.path.join(units, "ldtest-slow-boot.service"), "w") as f:
        f.write("[Unit]\nDescription=ldtest slow boot\n[Service]\nType=oneshot\n"
                "ExecStart=/bin/sleep 300\n[Install]\nWantedBy=multi-user.target\n")
    os.makedirs(os.path.join(units, "multi-user.target.wants"), exist_ok=True)
    os.symlink("../ldtest-slow-boot.service",
               os.path.join(units, "multi-user.target.wants/ldtest-slow-boot.service"))

    with pytest.raises(EnvironmentError_) as raised:
        fleet.engine.start(info.name, timeout=4)
    assert "did not finish booting within 4 s" in raised.value.message
    assert "ldtest-slow-boot.service" in raised.value.hint
    after = fleet.engine.get(info.name)
    assert after.state == "stopped" and after.pid is None
    assert mounts.mounts_under(os.path.join(fleet.engine.state.path, info.name)) == []


def test_a_host_with_a_failed_unit_starts_degraded_and_names_it(fleet):
    info = fleet.create()
    units = os.path.join(fleet.engine.state.path, info.name, "upper/etc/systemd/system")
    with open(os.path.join(units, "ldtest-fails.service"), "w") as f:
        f.write("[Service]\nType=oneshot\nExecStart=/bin/false\n"
                "[Install]\nWantedBy=multi-user.target\n")
    os.makedirs(os.path.join(units, "multi-user.target.wants"), exist_ok=True)
    os.symlink("../ldtest-fails.service",
               os.path.join(units, "multi-user.target.wants/ldtest-fails.service"))

    host = fleet.engine.start(info.name, timeout=BOOT_TIMEOUT)
    assert (host.state, host.failed_units, host.running) == \
        ("degraded", ("ldtest-fails.service",), True)
    assert ssh(host, "systemctl is-system-running") == ("degraded\n", 1)


def test_bind_mounts_and_memory_limit(fleet, tmp_path):
    (tmp_path / "shared-file").write_text("from the machine\n")
    mapping = FileSystemMapping(str(tmp_path), "/mnt/ldtest", writable=False)
    try:
        cgroups.check_memory_supported()
    except EnvironmentError_:
        # Without the cgroup v1 memory controller, asking for a limit is a clear error.
        with pytest.raises(EnvironmentError_, match="memory controller"):
            fleet.create(memory_max="256M")
        (host,) = fleet(1, binds=[mapping])
    else:
        (host,) = fleet(1, binds=[mapping], memory_max="256M")
        assert ssh(host, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes") == \
            (f"{256 << 20}\n", 0)
    assert ssh(host, "cat /mnt/ldtest/shared-file") == ("from the machine\n", 0)
    assert ssh(host, "touch /mnt/ldtest/other")[1] != 0
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize("address", ["10.0.0.1", "127.0.0.1", "::1", "localhost", "127.0.0.0"])
def test_addresses_outside_the_loopback_range_are_refused(fleet, address):
    name = fleet.new_name()
    with pytest.raises(EnvironmentError_) as raised:
        fleet.engine.create(name, address, ephemeral=True)
    assert "127.0.0" in raised.value.hint
    assert fleet.engine.get(name) is None


def test_an_address_of_another_host_is_refused(fleet):
    first = fleet.create()
    name = fleet.new_name()
    with pytest.raises(EnvironmentError_, match=f"taken by container host {first.name}"):
        fleet.engine.create(name, first.address, ephemeral=True)
    assert fleet.engine.get(name) is None


def test_an_address_something_listens_on_is_refused(fleet):
    listener = socket.socket()
    try:
        listener.bind(("127.0.9.9", 22))
        listener.listen(1)
        with pytest.raises(EnvironmentError_, match="already listens on 127.0.9.9:22"):
            fleet.engine.create(fleet.new_name(), "127.0.9.9", ephemeral=True)
    finally:
        listener.close()


def test_addresses_handed_out_by_concurrent_processes_are_distinct(fleet):
    names = [[fleet.new_name() for _ in range(4)] for _ in range(3)]
    program = ("import json, sys\n"
               "from lispdeploy.environments.container import ContainerEngine\n"
               "engine = ContainerEngine()\n"
               "print(json.dumps([engine.create(n, ephemeral=True).address "
               "for n in sys.argv[1:]]))\n")
    children = [subprocess.Popen([sys.executable, "-c", program, *group], stdout=subprocess.PIPE,
                                 text=True) for group in names]
    addresses = []
    for child in children:
        output, _ = child.communicate(timeout=60)
        assert child.returncode == 0
        addresses += json.loads(output)
    assert len(set(addresses)) == 12


def test_names_are_checked(fleet):
    for name in ("Upper", "under_score", "-dash", "dash-", "x" * 64, ""):
        with pytest.raises(EnvironmentError_, match="not valid"):
            fleet.engine.create(name, ephemeral=True)
    with pytest.raises(EnvironmentError_, match="already exists"):
        fleet.engine.create(fleet.create().name, ephemeral=True)


def test_destroying_an_unknown_host(fleet):
    name = fleet.new_name()
    with pytest.raises(UnknownContainerError):
        fleet.engine.destroy(name)
    fleet.engine.destroy(name, missing_ok=True)


def test_not_being_root_is_refused():
    require_root(0)
    with pytest.raises(EnvironmentError_, match="need root") as raised:
        require_root(1000)
    assert "sudo" in raised.value.hint


def test_a_missing_systemd_nspawn_names_its_package(tmp_path):
    assert find_program("systemd-nspawn").endswith("/systemd-nspawn")
    with pytest.raises(EnvironmentError_, match="systemd-nspawn is not installed") as raised:
        find_program("systemd-nspawn", path=str(tmp_path))
    assert raised.value.hint == "apt-get install systemd-container"


def test_an_overlay_that_cannot_be_mounted_is_reported(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "merged").mkdir()
    with pytest.raises(EnvironmentError_, match="cannot mount the overlay") as raised:
        mounts.mount_overlay(lower="/", upper=str(tmp_path / "missing"),
                             work=str(tmp_path / "work"), merged=str(tmp_path / "merged"))
    assert "overlayfs" in raised.value.hint
    assert mounts.mounts_under(str(tmp_path)) == []


def test_hosts_of_a_dead_session_are_cleaned_up_and_live_ones_kept(fleet):
    live = fleet.create()
    name = fleet.new_name()
    # Another session that boots a host and then dies without tearing anything down.
    program = ("import json, sys, time\n"
               "from lispdeploy.environments.container import ContainerEngine\n"
               "engine = ContainerEngine()\n"
               "engine.create(sys.argv[1], ephemeral=True)\n"
               f"info = engine.start(sys.argv[1], timeout={BOOT_TIMEOUT})\n"
               "print(json.dumps(info.pid), flush=True)\n"
               "time.sleep(600)\n")
    session = subprocess.Popen([sys.executable, "-c", program, name], stdout=subprocess.PIPE,
                               text=True)
    try:
        nspawn_pid = json.loads(session.stdout.readline())
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait(timeout=30)
    host = fleet.engine.get(name)
    assert host.running and host.pid == nspawn_pid
    processes, groups = processes_of(host), cgroups_of(fleet.engine, host)

    cleaned = fleet.engine.cleanup_stale()
    # A concurrent test session starting at this moment may have cleaned it up first.
    assert name in cleaned or fleet.engine.get(name) is None
    assert live.name not in cleaned
    assert_nothing_left(fleet.engine, name, processes, groups)
    assert fleet.engine.get(live.name) == live


def test_a_host_whose_nspawn_died_is_stopped_by_cleanup_and_keeps_its_disk(fleet):
    (host,) = fleet(1)
    assert ssh(host, "echo kept > /root/kept")[1] == 0
    nspawn, init = processes_of(host)
    groups = cgroups_of(fleet.engine, host)
    # A crash of nspawn alone: the host's systemd is left running without it.
    os.kill(nspawn.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while fleet.engine.get(host.name).running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fleet.engine.get(host.name).state == "stopped"

    assert host.name in fleet.engine.cleanup_stale()
    assert not init.alive()
    assert [g for g in groups if os.path.exists(g)] == []
    assert mounts.mounts_under(os.path.join(fleet.engine.state.path, host.name)) == []
    started = fleet.engine.start(host.name, timeout=BOOT_TIMEOUT)
    assert ssh(started, "cat /root/kept") == ("kept\n", 0)
