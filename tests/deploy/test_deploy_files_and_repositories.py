"""Files anywhere and vendor repositories, end to end on one container host:

1. apt-service-type adds the test's signed repository (served on loopback) with a pin, and a
   package only that repository has is installed in the same deploy; a special file puts a
   program in /usr/local/bin.
2. A directory of the spec replaces a directory the host had (/opt/legacy), with its owner
   and modes; the program, the repository and its package go.
3. --roll-back gives everything of generation 1 back, the host's own /opt/legacy included,
   and the package comes back from the repository.
"""

import json

from deploy_hosts import container_machine

SPEC = """
(use-modules (gnu) (lispdeploy services apt))

(define vendor
  (service apt-service-type
    (apt-configuration
      (sources (list (apt-source (name "vendor") (uris '("{url}")) (suites '("stable"))
                                 (components '("main"))
                                 (signed-by (local-file "{key}")))))
      (pins (list (apt-pin (packages '("{package}")) (pin "origin 127.0.0.1")
                           (priority 1001)))))))

(define greet
  (extra-special-file "/usr/local/bin/greet"
                      (program-file "greet" #~(display "greetings from a special file\\n"))))

(define legacy
  (service special-files-service-type
    (list (special-file (path "/opt/legacy") (file (local-file "../site" #:recursive? #t))
                        (user "www-data") (group "www-data") (mode #o750)))))

(define (server generation)
  (operating-system
    (host-name "files-host")
    (packages (if (= generation 1) (cons "{package}" %base-packages) %base-packages))
    (services (append (if (= generation 1) (list vendor greet) (list legacy))
                      %base-services))))
"""

STATE = """
test -x /usr/local/bin/greet && /usr/local/bin/greet || echo no-greet
command -v {package} >/dev/null && {package} || echo no-vendor-package
ls /etc/apt/sources.list.d/ /etc/apt/keyrings/ 2>/dev/null | grep lispdeploy || echo no-source
"""


def spec(world, name, generation, repository):
    text = SPEC.format(url=repository.url, key=repository.key_file,
                       package=repository.package)
    return world.write(text + f"(list {container_machine(f'(server {generation})', name)})\n",
                       f"v{generation}/files.hy")


def deploy(world, path, *args):
    done = world.lispdeploy("deploy", path, "--json", *args)
    assert done.stdout, done.stderr
    return done, json.loads(done.stdout)["hosts"][0]


def test_files_anywhere_and_a_vendor_repository(world, apt_repository):
    (world.tmp_path / "site" / "docs").mkdir(parents=True)
    (world.tmp_path / "site" / "index.html").write_text("<h1>ours</h1>\n")
    (world.tmp_path / "site" / "docs" / "readme.txt").write_text("read me\n")
    name = world.host_name()
    package = apt_repository.package
    state = STATE.format(package=package)

    done, report = deploy(world, spec(world, name, 1, apt_repository))
    assert done.returncode == 0, done.stdout + done.stderr
    assert world.sh(name, state).splitlines() == [
        "greetings from a special file", "hello from the vendor repository",
        "lispdeploy-vendor.asc", "lispdeploy-vendor.sources"]
    assert " *** 1.0 1001\n" in world.sh(name, f"apt-cache policy {package}")

    world.sh(name, "mkdir -p /opt/legacy && echo theirs > /opt/legacy/keep.txt && "
                   "chown -R nobody:nogroup /opt/legacy && chmod 0700 /opt/legacy")
    before = world.sh(name, "stat -c '%n %U:%G %a' /opt/legacy /opt/legacy/keep.txt")

    # The dry run says what would change, and changes nothing.
    dry = world.lispdeploy("deploy", spec(world, name, 2, apt_repository), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert "  change directory /opt/legacy: becomes a copy of site (what the host has there " \
           "is kept, to be given back)" in lines, dry.stdout
    assert "  remove file /etc/apt/sources.list.d/lispdeploy-vendor.sources" in lines
    assert "  update package-lists apt: its sources, keys or pins changed" in lines
    assert any(line.startswith("  remove file /usr/local/bin/greet") for line in lines)
    assert world.sh(name, "stat -c '%n %U:%G %a' /opt/legacy /opt/legacy/keep.txt") == before

    done, report = deploy(world, spec(world, name, 2, apt_repository))
    assert done.returncode == 0, done.stdout + done.stderr
    assert world.sh(name, "cd /opt/legacy && stat -c '%n %U:%G %a' . index.html docs "
                          "docs/readme.txt && cat index.html").splitlines() == [
        ". www-data:www-data 750", "index.html www-data:www-data 644",
        "docs www-data:www-data 750", "docs/readme.txt www-data:www-data 644", "<h1>ours</h1>"]
    assert world.sh(name, state).splitlines() == ["no-greet", "no-vendor-package", "no-source"]

    done, report = deploy(world, spec(world, name, 2, apt_repository), "--roll-back")
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["generation"] == 1
    assert world.sh(name, "stat -c '%n %U:%G %a' /opt/legacy /opt/legacy/keep.txt") == before
    assert world.sh(name, "cat /opt/legacy/keep.txt") == "theirs\n"
    assert world.sh(name, state).splitlines()[:2] == [
        "greetings from a special file", "hello from the vendor repository"]
