"""Home directories on a real host: a directory that was there before lispdeploy declared a
user whose home it is keeps its owner, group, mode and content through the deploy, a roll-back,
a deploy again and the user's removal, and the plan says it is kept as it is; a home
lispdeploy creates is the user's, with the declared permissions, and stays (with the user's
files) when the user goes."""

import json

from deploy_hosts import container_machine

SPEC = """
(use-modules (gnu))
(define os
  (operating-system
    (host-name "home-host")
    (users (append (list {users}) %base-user-accounts))))
(list {machine})
"""
USERS = """(user-account (name "web") (group "users") (home-directory "/srv/data"))
                       (user-account (name "fresh") (group "users")
                                     (home-directory "/home/fresh")
                                     (home-directory-permissions #o750))"""
# What the host has at the two homes (owner names, or numbers once the user is gone).
HOMES = ("stat -c '%a %U:%G %n' /srv/data /srv/data/keep /home/fresh 2>&1; "
         "getent passwd web fresh | cut -d: -f1,6 || true")
BEFORE = ["2775 root:staff /srv/data", "640 root:staff /srv/data/keep"]


def test_a_home_lispdeploy_did_not_create_is_never_chowned_or_chmodded(world):
    name = world.host_name()
    machine = container_machine("os", name)
    without = world.write(SPEC.format(users="", machine=machine), "v1/spec.hy")
    with_users = world.write(SPEC.format(users=USERS, machine=machine), "v2/spec.hy")

    done = world.lispdeploy("deploy", without)
    assert done.returncode == 0, done.stderr
    # Someone's shared directory, there before any user names it.
    world.sh(name, "mkdir -p /srv/data && chown root:staff /srv/data && chmod 2775 /srv/data"
                   " && echo mine > /srv/data/keep && chown root:staff /srv/data/keep"
                   " && chmod 640 /srv/data/keep")
    assert world.sh(name, HOMES).splitlines()[:2] == BEFORE

    done = world.lispdeploy("deploy", with_users, "--dry-run")
    assert done.returncode == 0, done.stderr
    (web,) = [line for line in done.stdout.splitlines() if "add user web" in line]
    assert web.endswith("; home /srv/data exists: kept as it is (lispdeploy did not create it)")
    (fresh,) = [line for line in done.stdout.splitlines() if "add user fresh" in line]
    assert "kept as it is" not in fresh

    done = world.lispdeploy("deploy", with_users, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hosts"][0]["result"] == "deployed"
    homes = world.sh(name, HOMES).splitlines()
    assert homes == BEFORE + ["750 fresh:users /home/fresh", "web:/srv/data",
                              "fresh:/home/fresh"]
    assert world.sh(name, "cat /srv/data/keep") == "mine\n"

    # Nothing to do: the kept home is not a pending change.
    done = world.lispdeploy("deploy", with_users, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hosts"][0]["result"] == "unchanged"

    # Back to the generation without the users: they go, both directories stay as they are.
    done = world.lispdeploy("deploy", with_users, "--roll-back")
    assert done.returncode == 0, done.stderr
    homes = world.sh(name, HOMES).splitlines()
    assert homes[:2] == BEFORE
    assert homes[2].startswith("750 ") and homes[2].endswith(" /home/fresh")
    assert len(homes) == 3, homes

    # Declared again, then removed for good: still never taken over.
    done = world.lispdeploy("deploy", with_users)
    assert done.returncode == 0, done.stderr
    assert world.sh(name, HOMES).splitlines()[:2] == BEFORE
    done = world.lispdeploy("deploy", without)
    assert done.returncode == 0, done.stderr
    assert world.sh(name, HOMES).splitlines()[:2] == BEFORE
    assert world.sh(name, "cat /srv/data/keep") == "mine\n"
