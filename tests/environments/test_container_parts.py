"""Parts of the container host engine that need no booted host: the first contents of a
host's disk (against a made-up machine image), listener discovery, sizes, console tails."""

from __future__ import annotations

import os
import stat

import pytest

from lispdeploy.environments.container import console_tail, disk
from lispdeploy.environments.container.addresses import (
    allocate, check_address, check_not_listening, ssh_listeners,
)
from lispdeploy.environments.container.cgroups import parse_size
from lispdeploy.errors import EnvironmentError_


def write(path, text="", mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


@pytest.fixture
def image(tmp_path):
    """A machine image with what `disk.prepare` looks at."""
    lower = tmp_path / "lower"
    write(lower / "etc/ssh/sshd_config",
          "Include /etc/ssh/sshd_config.d/*.conf\nListenAddress 10.1.2.3\nPrintMotd no\n")
    write(lower / "etc/ssh/sshd_config.d/listen.conf", "listenaddress 10.9.9.9\n")
    write(lower / "etc/ssh/sshd_config.d/motd.conf", "PrintMotd no\n")
    write(lower / "etc/ssh/ssh_host_rsa_key", "machine's key", 0o600)
    write(lower / "etc/ssh/ssh_host_rsa_key.pub", "ssh-rsa machine")
    for unit in ("apache2.service", "ssh.service", "remote-fs.target", "systemd-x.service"):
        os.makedirs(lower / "etc/systemd/system/multi-user.target.wants", exist_ok=True)
        os.symlink(f"/lib/systemd/system/{unit}",
                   lower / "etc/systemd/system/multi-user.target.wants" / unit)
    os.makedirs(lower / "etc/systemd/system/timers.target.wants")
    os.symlink("/lib/systemd/system/apt-daily.timer",
               lower / "etc/systemd/system/timers.target.wants/apt-daily.timer")
    for unit in ("apt-daily.timer", "getty@.service", "apache2.service", "ssh.service"):
        write(lower / "lib/systemd/system" / unit, "[Unit]\n")
    os.makedirs(lower / "root", mode=0o700)
    os.chmod(lower / "root", 0o700)
    upper = tmp_path / "upper"
    upper.mkdir()
    return lower, upper


def is_whiteout(path) -> bool:
    info = os.lstat(path)
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(0, 0)


def test_a_new_disk_confines_sshd_and_switches_off_the_images_services(image):
    lower, upper = image
    prepared = disk.prepare(str(upper), host_name="web-1", address="127.0.0.99",
                            authorized_key="ssh-ed25519 AAAAcontroller lispdeploy",
                            lower=str(lower))
    assert (upper / "etc/hostname").read_text() == "web-1\n"
    assert "127.0.0.99\tweb-1\n" in (upper / "etc/hosts").read_text()
    assert (upper / "root/.ssh/authorized_keys").read_text() == \
        "ssh-ed25519 AAAAcontroller lispdeploy\n"
    assert stat.S_IMODE(os.stat(upper / "root").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(upper / "root/.ssh").st_mode) == 0o700

    # sshd: a new host key only, the drop-in, and no other listen address.
    assert is_whiteout(upper / "etc/ssh/ssh_host_rsa_key")
    assert is_whiteout(upper / "etc/ssh/ssh_host_rsa_key.pub")
    with open(upper / "etc/ssh/ssh_host_ed25519_key.pub") as f:
        assert f.read().startswith(prepared.host_key + " ")
    drop_in = (upper / disk.SSHD_DROP_IN.lstrip("/")).read_text()
    assert "ListenAddress 127.0.0.99:22\n" in drop_in
    assert "HostKey /etc/ssh/ssh_host_ed25519_key\n" in drop_in
    assert "# ListenAddress 10.1.2.3" in (upper / "etc/ssh/sshd_config").read_text()
    assert is_whiteout(upper / "etc/ssh/sshd_config.d/listen.conf")
    assert not (upper / "etc/ssh/sshd_config.d/motd.conf").exists()

    # Units: enablement removed, housekeeping masked, ssh and systemd's own kept.
    wants = upper / "etc/systemd/system/multi-user.target.wants"
    assert is_whiteout(wants / "apache2.service")
    assert sorted(os.listdir(wants)) == ["apache2.service"]
    assert os.readlink(upper / "etc/systemd/system/apt-daily.timer") == "/dev/null"
    assert os.readlink(upper / "etc/systemd/system/getty@.service") == "/dev/null"
    assert (prepared.disabled_units, prepared.masked_units) == \
        (("apache2.service",), ("apt-daily.timer", "getty@.service"))

    assert os.getxattr(upper / "var/lib/lispdeploy", "trusted.overlay.opaque") == b"y"


def test_a_machine_whose_sshd_ignores_drop_ins_is_refused(image):
    lower, upper = image
    write(lower / "etc/ssh/sshd_config", "PrintMotd no\n")
    with pytest.raises(EnvironmentError_, match="does not include sshd_config.d") as raised:
        disk.prepare(str(upper), host_name="web-1", address="127.0.0.99",
                     authorized_key="ssh-ed25519 AAAA x", lower=str(lower))
    assert "Include /etc/ssh/sshd_config.d/*.conf" in raised.value.hint


def test_listeners_on_port_22_are_read_from_proc_net(tmp_path):
    header = "  sl  local_address rem_address   st\n"
    # 127.0.0.11:22 listening, 127.0.0.12:22 connected (not listening), 127.0.0.13:80.
    write(tmp_path / "tcp", header
          + "   0: 0B00007F:0016 00000000:0000 0A\n"
          + "   1: 0C00007F:0016 0100007F:D431 01\n"
          + "   2: 0D00007F:0050 00000000:0000 0A\n")
    # A v4-mapped ::ffff:127.0.0.14 listener.
    any6 = "00000000000000000000000000000000:0000"
    write(tmp_path / "tcp6", header + f"   0: 0000000000000000FFFF00000E00007F:0016 {any6} 0A\n")
    assert ssh_listeners(proc_net=str(tmp_path)) == {"127.0.0.11", "127.0.0.14"}

    write(tmp_path / "tcp6", header + f"   0: 00000000000000000000000000000000:0016 {any6} 0A\n")
    assert "0.0.0.0" in ssh_listeners(proc_net=str(tmp_path))


def test_a_listener_on_every_address_refuses_all_hosts():
    with pytest.raises(EnvironmentError_, match=r"0\.0\.0\.0:22") as raised:
        check_not_listening("127.0.0.50", {"0.0.0.0"})
    assert "ListenAddress" in raised.value.hint
    with pytest.raises(EnvironmentError_, match=r"0\.0\.0\.0:22"):
        allocate(set(), {"0.0.0.0"})


def test_allocation_skips_taken_addresses_and_listeners():
    assert allocate(set(), set()) == "127.0.10.1"
    assert allocate({"127.0.10.1"}, {"127.0.10.2"}) == "127.0.10.3"
    assert allocate({f"127.0.10.{i}" for i in range(1, 255)}, set()) == "127.0.11.1"


def test_addresses_are_normalised():
    assert check_address(" 127.0.0.11 ") == "127.0.0.11"
    for bad in ("127.255.255.255", "128.0.0.1", "fe80::1", "not an address"):
        with pytest.raises(EnvironmentError_):
            check_address(bad)


def test_memory_sizes():
    assert parse_size(None) is None
    assert parse_size("512M") == 512 << 20
    assert parse_size("2G") == parse_size("2GiB") == 2 << 30
    assert parse_size(64 << 20) == 64 << 20
    for bad in ("lots", "1M", True, "-5G"):
        with pytest.raises(EnvironmentError_):
            parse_size(bad)


def test_the_console_tail_reads_like_a_terminal(tmp_path):
    log = tmp_path / "console.log"
    log.write_bytes(b"Spawning container x.\n"
                    b"\x1b[0;32m  OK  \x1b[0m] Started ssh.service.\r\n"
                    b"[*     ] Job slow.service/start running (1s / no limit)\r\n\x1bM\n"
                    b"[**    ] Job slow.service/start running (2s / no limit)\r\n")
    assert console_tail(str(log)) == ("Spawning container x.\n  OK  ] Started ssh.service.\n"
                                      "[**    ] Job slow.service/start running (2s / no limit)")
    assert console_tail(str(log), lines=1).startswith("[**    ]")
    assert console_tail(str(tmp_path / "missing")) == "(no console log)"
