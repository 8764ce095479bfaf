"""--dry-run probes and shows the diff of a change, and leaves the host byte-for-byte as it
was; a no-op dry run says so."""

from deploy_hosts import disk_fingerprint
from test_deploy_changes import deploy, spec

UNITS = "systemctl list-units --all --no-legend --plain 'ticker*' 'ssh*'; getent passwd"


def test_dry_run_shows_the_diff_and_changes_nothing(world):
    name = world.host_name()
    gen1, gen2 = spec(world, name, "generation-1"), spec(world, name, "generation-2")
    done, _ = deploy(world, gen1)
    assert done.returncode == 0, done.stderr
    before = (disk_fingerprint(world, name), world.sh(name, UNITS))
    assert any(entry[0] == "etc/sudoers" for entry in before[0])

    done = world.lispdeploy("deploy", gen2, "--dry-run")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0].startswith("changing-host: ") and out[0].endswith("(generation 1 -> 2)")
    assert "  add package hello" in out
    assert any(line.startswith("  add user bob: ") for line in out)
    assert "  change file /etc/ssh/sshd_config" in out
    assert "    -X11Forwarding no" in out and "    +X11Forwarding yes" in out
    assert "  change file /etc/motd" in out
    assert "    +Welcome to generation 2." in out
    assert "  remove file /etc/systemd/system/ticker.service" in out
    assert any(line.startswith("  stop unit ticker.service") for line in out)
    assert "  restart unit ssh.service: its configuration changed" in out
    assert out[-1] == "  services that would restart: ssh.service"

    assert (disk_fingerprint(world, name), world.sh(name, UNITS)) == before
    done = world.lispdeploy("deploy", gen1, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "changing-host: no change (the host already runs this system)\n"


def test_dry_run_masks_files_that_are_not_world_readable(world):
    name = world.host_name()
    gen1 = spec(world, name, "generation-1")
    sudo = spec(world, name, "generation-sudo", """
(define generation-sudo
  (operating-system (inherit generation-1)
    (sudoers-file (plain-file "sudoers" "root ALL=(ALL) ALL\\nada ALL=(ALL) NOPASSWD: ALL\\n"))))
""")
    done, _ = deploy(world, gen1)
    assert done.returncode == 0, done.stderr
    done = world.lispdeploy("deploy", sudo, "--dry-run")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert "  change file /etc/sudoers: (content not shown: the file is not world-readable)" \
        in out
    assert len(out) == 2
    assert "NOPASSWD" not in done.stdout
