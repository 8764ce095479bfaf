"""Secrets on a real host: a poison string deployed as a secret-file, then rotated, is found
nowhere on the host's file system but its destination (the whole container: its overlay and
its memory file systems), and nowhere in what the controller printed (-v, --json, dry runs),
reported or cached; lispdeploy's own files on the host are root's only, a file declared
0600 is readable by no other user anywhere on the host, and a dry run of it becoming 0644
does not show what it held."""

import json
import os
import secrets as random

from deploy_hosts import container_machine

SPEC = """
(use-modules (gnu))
(define os
  (operating-system
    (host-name "secret-host")
    (groups (cons (user-group (name "app") (system? #t)) %base-groups))
    (users (cons (user-account (name "app") (group "app") (system? #t)
                               (home-directory "/var/lib/app"))
                 %base-user-accounts))
    (services
      (cons* (simple-service 'app etc-service-type
               (list (etc-file (path "app/db-password")
                               (file (secret-file "db-password" #:file "db-password"))
                               (user "app") (group "app") (mode #o400))
                     (list "app/token" (secret-file "token" #:command '("cat" "token")))
                     (etc-file (path "app/private.conf")
                               (file (plain-file "private.conf" "{private}\\n"))
                               (mode #o600))))
             %base-services))))
(list {machine})
"""

# What the host runs to find a string anywhere lispdeploy or the system could have written it
# that the overlay does not show: memory file systems.
MEMORY = "grep -rlaF -- {needle} /run /tmp /dev/shm 2>/dev/null || true"
MODES = ("stat -c '%a %U %n' /var/lib/lispdeploy /var/lib/lispdeploy/store "
         "/var/lib/lispdeploy/state.json /var/lib/lispdeploy/profiles "
         "/etc/app/db-password /etc/app/token /etc/app/private.conf; "
         "readlink -f /var/lib/lispdeploy/profiles/system")


def poison() -> str:
    return "POISON-" + random.token_hex(16)


def found_in_tree(root, needle: bytes, skip=()):
    """Every file under `root` (not following links, not in the directories `skip`) holding
    `needle`."""
    hits = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(directory, d) not in skip]
        for name in files:
            path = os.path.join(directory, name)
            try:
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    if needle in f.read():
                        hits.append(path)
            except OSError:
                continue
    return hits


def test_a_secret_is_only_at_its_destination_and_leaves_no_copy_when_rotated(world):
    name = world.host_name()
    first, second, token, private = poison(), poison(), poison(), poison()
    secret = world.tmp_path / "db-password"
    secret.write_text(first)
    (world.tmp_path / "token").write_text(token)
    spec = world.write(SPEC.replace("{private}", private).replace(
        "{machine}", container_machine("os", name)))
    printed = []

    def lispdeploy(*args):
        done = world.lispdeploy(*args)
        printed.append(done.stdout + done.stderr)
        return done

    done = lispdeploy("deploy", spec, "-v", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["hosts"][0]
    assert {"kind": "file", "action": "add", "name": "/etc/app/db-password"} in [
        {k: c[k] for k in ("kind", "action", "name")} for c in report["changes"]]
    assert world.sh(name, "cat /etc/app/db-password") == first
    assert world.sh(name, "cat /etc/app/token") == token
    # The activation ran inline (its secrets stay in memory), and the host can still recover
    # one cut short at boot: the first deploy installed the boot unit all the same.
    assert world.sh(name, "systemctl is-enabled lispdeploy-recover.service").strip() == \
        "enabled"
    modes = world.sh(name, MODES).split("\n")
    assert modes[:7] == ["711 root /var/lib/lispdeploy", "711 root /var/lib/lispdeploy/store",
                         "600 root /var/lib/lispdeploy/state.json",
                         "700 root /var/lib/lispdeploy/profiles",
                         "400 app /etc/app/db-password", "600 root /etc/app/token",
                         "600 root /etc/app/private.conf"]
    # The manifest and the private file's store copy are root's only.
    system = modes[7]
    assert world.sh(name, f"stat -c %a {system}").strip() == "400"
    for path in (system, "/etc/app/private.conf", "/etc/app/db-password"):
        refused = world.sh(name, f"runuser -u nobody -- cat {path} >/dev/null 2>&1 "
                                 "&& echo read || echo refused").strip()
        assert refused == "refused", path
    # Nothing else on the host holds the private file's content for others to read.
    readable = world.sh(name, f"grep -rlaF -- {private} / --exclude-dir=proc --exclude-dir=sys "
                              "2>/dev/null | xargs -r stat -c '%a %n'").split("\n")
    assert all(line.split()[0][-1] in "0123" for line in readable if line), readable

    # A dry run of the rotation shows the change, never the secret.
    secret.write_text(second)
    done = lispdeploy("deploy", spec, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "  change file /etc/app/db-password: (secret: content not shown)" in \
        done.stdout.splitlines()
    done = lispdeploy("deploy", spec, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr

    # The rotation itself, then a deploy that has nothing to do.
    done = lispdeploy("deploy", spec, "-v", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hosts"][0]["result"] == "deployed"
    assert world.sh(name, "cat /etc/app/db-password") == second
    done = lispdeploy("deploy", spec, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hosts"][0]["result"] == "unchanged"

    # The private file made world-readable (with new content) by the next version of the
    # spec: its dry run, in text and JSON, shows that it changes, never what it held.
    public = world.write(SPEC.replace("{private}", "now public").replace(
        "(mode #o600)", "(mode #o644)").replace("{machine}", container_machine("os", name)),
        "v2/spec.hy")
    for source in ("db-password", "token"):  # its secrets, next to it
        (world.tmp_path / "v2" / source).write_bytes((world.tmp_path / source).read_bytes())
    for json_flag in ((), ("--json",)):
        done = lispdeploy("deploy", public, "--dry-run", *json_flag)
        assert done.returncode == 0, done.stderr
        assert private not in done.stdout + done.stderr
        assert "/etc/app/private.conf" in done.stdout
        assert "(content not shown: the file is not world-readable)" in done.stdout

    # The whole host: its disk (everything it wrote is in its overlay) and its memory.
    upper = os.path.join(world.engine.state.container_dir(name), "upper")
    assert found_in_tree(upper, first.encode()) == []
    assert [os.path.relpath(p, upper) for p in found_in_tree(upper, second.encode())] == [
        "etc/app/db-password"]
    assert [os.path.relpath(p, upper) for p in found_in_tree(upper, token.encode())] == [
        "etc/app/token"]
    for needle in (first, second, token):
        assert world.sh(name, MEMORY.format(needle=needle)).strip() == "", needle

    # The controller: what it printed and reported, its caches, and the container's records.
    for needle in (first, second, token):
        assert not any(needle in text for text in printed), needle
        assert [p for p in found_in_tree(world.tmp_path, needle.encode())
                if os.path.basename(p) not in ("db-password", "token")] == []
        # The container's records on this machine (its disk, searched above, aside).
        state = world.engine.state.container_dir(name)
        disk = {os.path.join(state, d) for d in ("upper", "merged", "work", "lower")}
        assert found_in_tree(state, needle.encode(), skip=disk) == []
        cache = os.path.expanduser("~/.cache/lispdeploy")
        if os.path.isdir(cache):
            assert found_in_tree(cache, needle.encode()) == []
