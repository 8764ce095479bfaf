"""--dry-run probes and shows the diff of a change, and leaves the host byte-for-byte as it
was; a no-op dry run says so."""

import json

from lispdeploy.environments.container.images import default_image

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
    # sshd reads a changed sshd_config on SIGHUP: a reload, not a restart.
    assert "  reload unit ssh.service: /etc/ssh/sshd_config changed" in out
    assert out[-1] == "  services that would reload: ssh.service"

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


def dry(world, path, *args):
    return world.lispdeploy("deploy", path, "--dry-run", "--exit-code", *args)


def test_drift_shows_with_its_diff_and_a_deploy_repairs_it(world):
    name = world.host_name()
    gen1 = spec(world, name, "generation-1")
    done, _ = deploy(world, gen1)
    assert done.returncode == 0, done.stderr
    done = dry(world, gen1)
    assert (done.returncode, done.stdout) == (
        0, "changing-host: no change (the host already runs this system)\n")

    # Changed by hand behind lispdeploy's back: the dry run shows it as drift, with its diff.
    world.sh(name, "echo '# edited by hand' >> /etc/ssh/sshd_config; systemctl stop ticker")
    done = dry(world, gen1)
    assert done.returncode == 2, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == ("changing-host: 3 changes, 3 of them drift (generation 1, the system "
                      "the host runs)")
    assert "  change file /etc/ssh/sshd_config (drift: changed on the host, not by " \
           "lispdeploy)" in out
    assert "    -# edited by hand" in out
    assert "  start unit ticker.service (drift: changed on the host, not by lispdeploy)" in out
    assert any(line.startswith("  reload unit ssh.service: /etc/ssh/sshd_config changed")
               for line in out)
    report = json.loads(world.lispdeploy("deploy", gen1, "--dry-run", "--json").stdout)
    assert report["hosts"][0]["plan"]["drift"] == 3

    # A deploy repairs the drift in place: no new generation.
    done, report = deploy(world, gen1)
    assert done.returncode == 0, done.stderr
    assert (report["result"], report["generation"], report["previous-generation"]) == (
        "deployed", 1, 1)
    assert (report["restarted"], report["reloaded"]) == ([], ["ssh.service"])
    assert "edited by hand" not in world.sh(name, "cat /etc/ssh/sshd_config")
    assert world.sh(name, "systemctl is-active ticker").strip() == "active"
    assert world.sh(name, "ls /var/lib/lispdeploy/profiles").split() == [
        "system", "system-1-link", "system-1-provenance.json"]
    assert dry(world, gen1).returncode == 0


def test_the_generation_shown_is_the_one_the_deploy_makes(world):
    name = world.host_name()
    gen1, gen2 = spec(world, name, "generation-1"), spec(world, name, "generation-2")
    for path in (gen1, gen2):
        done, _ = deploy(world, path)
        assert done.returncode == 0, done.stderr
    done, report = deploy(world, gen2, "--roll-back")
    assert done.returncode == 0, done.stderr
    assert report["generation"] == 1
    done = dry(world, gen2)
    assert done.returncode == 2, done.stderr
    assert done.stdout.splitlines()[0].endswith("(generation 1 -> 3)")
    done, report = deploy(world, gen2)
    assert (report["previous-generation"], report["generation"]) == (1, 3)


SITE = """
(define (site greeting)
  (simple-service 'site activation-service-type
    #~(begin
        (mkdir-p "/srv/www")
        (copy-file #$(plain-file "index.html" (+ "<h1>" greeting "</h1>\\n"))
                   "/srv/www/index.html"))))
(define (generation-site greeting)
  (server '() (openssh-configuration (permit-root-login 'prohibit-password))
          (list (site greeting)) '() #f))
(define generation-hello (generation-site "Hello"))
(define generation-again (generation-site "Hello again"))
"""


def test_an_item_the_activation_uses_is_a_change_with_its_diff(world):
    name = world.host_name()
    hello = spec(world, name, "generation-hello", SITE)
    again = spec(world, name, "generation-again", SITE)
    done, _ = deploy(world, hello)
    assert done.returncode == 0, done.stderr + done.stdout
    done = dry(world, again)
    assert done.returncode == 2, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "changing-host: 2 changes (generation 1 -> 2)"
    assert out[1:] == [
        "  change item index.html",
        "    --- index.html",
        "    +++ index.html",
        "    @@ -1 +1 @@",
        "    -<h1>Hello</h1>",
        "    +<h1>Hello again</h1>",
        "  run activation activation program: changed since the current generation, uses "
        "index.html"]
    done, report = deploy(world, again)
    assert done.returncode == 0, done.stderr
    assert world.sh(name, "cat /srv/www/index.html") == "<h1>Hello again</h1>\n"


def test_exit_code_is_1_on_any_error(world):
    spec_path = world.write("""
(use-modules (gnu))
(list (machine (operating-system (operating-system (host-name "nowhere")))
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration (host-name "127.0.0.1") (port 9)
                                                         (system "x86_64-linux")))))
""", "nowhere.hy")
    done = dry(world, spec_path)
    assert done.returncode == 1
    assert "nowhere" in done.stderr
    assert world.lispdeploy("deploy", spec_path, "--exit-code").returncode == 1
    assert world.lispdeploy("deploy", spec_path, "--dry-run", "--exit-code",
                            "--no-such-option").returncode == 1


def test_a_machine_whose_host_does_not_exist_yet(world):
    """The dry run creates nothing, says what would be created, and plans the whole system
    for a fresh host (from the files of the image its overlay starts from): the deploy then
    makes those changes."""
    name = world.host_name()
    gen1 = spec(world, name, "generation-1")
    done = dry(world, gen1)
    assert done.returncode == 2, done.stderr
    assert world.engine.get(name) is None  # nothing was created
    out = done.stdout.splitlines()
    # A new container host boots the minimal image of this machine's release (the default).
    image = world.engine.images.find(default_image())
    shown = f"{image.name} ({image.root})"
    assert out[0] == (f"changing-host: would create container host {name} (address a free "
                      f"loopback address, chosen when it is created, image {shown})")
    assert out[1].startswith("changing-host: ") and out[1].endswith(
        f"(generation 0 -> 1, for the new host, planned on the files of {shown})")
    assert "  add file /etc/systemd/system/ticker.service" in out
    assert "  start unit ticker.service" in out
    assert "the host does not exist yet" in done.stderr
    planned = json.loads(world.lispdeploy("deploy", gen1, "--dry-run", "--json").stdout)
    plan = planned["hosts"][0]["plan"]
    assert plan["create"]["kind"] == "container host" and plan["generation"] == 1

    done, report = deploy(world, gen1)
    assert done.returncode == 0, done.stderr
    made = {(c["action"], c["kind"], c["name"]) for c in report["changes"]}
    wanted = {(c["action"], c["kind"], c["name"]) for c in plan["changes"]}
    # What the plan said about accounts and the unit it adds is what the deploy did; it places
    # the same files. A file that a package the deploy installs ships first (sudo's
    # /etc/sudoers, locales' /etc/default/locale) is planned as added on the image's files and
    # replaced by the deploy.
    assert {c for c in wanted if c[1] in ("user", "group")} == \
        {c for c in made if c[1] in ("user", "group")}
    # /etc/locale.gen comes with the locales package: the activation adds the locale to it
    # once the package is there, which planning on the image's files cannot see.
    planned_files = {c[2] for c in wanted if c[1] == "file"}
    made_files = {c[2] for c in made if c[1] == "file"}
    assert planned_files <= made_files and made_files - planned_files <= {"/etc/locale.gen"}
    shipped = planned_files - {c[2] for c in made if c[1] == "file" and c in wanted}
    assert shipped <= {"/etc/sudoers", "/etc/default/locale"}, shipped
    assert ("start", "unit", "ticker.service") in made
