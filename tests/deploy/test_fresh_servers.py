"""The seed's home server on fresh servers of both Debian releases: minimal-image container
hosts that have systemd, sshd and python3 and nothing else (no sudo, no locales, no package
lists), deployed to as a user deploys to a new VPS.

First deploy, a no-op, a change, --roll-back, switch-generation 0 giving back the fresh host
exactly, and a deploy again; the host-side code runs on each release's own python3 (3.11 on
bookworm, 3.13 on trixie).
"""

import json
import os

import pytest

SEED = os.path.join(os.path.dirname(__file__), "..", "..", "specs", "home-server.hy")

# What a fresh host is, as compared before lispdeploy and after switch-generation 0: the
# packages and their state, accounts, and every file under /etc with its content.
SNAPSHOT = r"""
dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' | sort
echo ---
cat /etc/passwd /etc/group /etc/shadow /etc/gshadow
echo ---
cd /etc && find . -xdev \( -type f -o -type l \) \
  ! -name '*-' ! -name ld.so.cache ! -path './ssh/ssh_host_*' -print0 | sort -z \
  | xargs -0 sha256sum 2>/dev/null | sed 's/^/etc /'
"""


def fresh_home_server(world, name, image):
    """The seed's spec, with its machine switched to a container host of `image`."""
    text = open(SEED).read()
    machines = text.index("(list (machine")
    return world.write(
        text[:machines] + f"""(list (machine (operating-system os)
         (environment container-environment-type)
         (configuration (container-configuration (name "{name}") (image "{image}")))))
""", f"home-{image}.hy")


def with_change(world, spec, image):
    """The same spec with a package and a user added (generation 2)."""
    text = open(spec).read().replace(
        '%base-user-accounts))',
        '(cons (user-account (name "bob") (group "users")) %base-user-accounts)))').replace(
        '    (sudoers-file', '    (packages (cons "hello" %base-packages))\n    (sudoers-file')
    # The same file name, so the same deployment (the one that owns the host).
    return world.write(text, f"v2/home-{image}.hy")


def deploy(world, *args):
    done = world.lispdeploy(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["hosts"][0]


@pytest.mark.parametrize("image,python", [("debian-12", "3.11"), ("debian-13", "3.13")])
def test_the_home_server_on_a_fresh_server(world, image, python):
    name = world.host_name()
    spec = fresh_home_server(world, name, image)
    # Created and booted first, as a new VPS is, so that its fresh state can be recorded.
    started = world.lispdeploy("container", "start", spec)
    assert started.returncode == 0, started.stderr
    fresh = world.sh(name, SNAPSHOT)
    assert not [line for line in fresh.splitlines() if line.startswith(("sudo ", "locales "))]

    first = deploy(world, "deploy", spec)
    assert (first["result"], first["generation"]) == ("deployed", 1)
    facts = world.sh(name, """
        python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])'
        dpkg-query -W -f='${db:Status-Abbrev}\\n' sudo locales | tr -d ' ' | tr '\\n' ' '; echo
        locale -a | grep -x en_US.utf8
        cat /etc/default/locale
        readlink /etc/localtime
        grep XKBVARIANT /etc/default/keyboard
        id -nG alyssa | tr ' ' '\\n' | sort | tr '\\n' ' '; echo
        sshd -T | grep -i '^permitrootlogin'
        visudo -c >/dev/null && echo sudoers-valid
        sudo -u alyssa sudo -n true && echo alyssa-is-root
    """).splitlines()
    assert facts == [
        python, "ii ii ", "en_US.utf8", "LANG=en_US.utf8", "/usr/share/zoneinfo/America/New_York",
        "XKBVARIANT='altgr-intl'", "audio netdev users video wheel ",
        "permitrootlogin yes", "sudoers-valid", "alyssa-is-root"]

    again = deploy(world, "deploy", spec)
    assert (again["result"], again["changes"]) == ("unchanged", [])

    changed = deploy(world, "deploy", with_change(world, spec, image))
    assert (changed["result"], changed["generation"]) == ("deployed", 2)
    assert world.sh(name, "hello; id -un bob") == "Hello, world!\nbob\n"

    back = deploy(world, "deploy", spec, "--roll-back")
    assert (back["result"], back["generation"]) == ("switched", 1)
    assert world.sh(name, "command -v hello || echo no-hello; id -un bob 2>&1 || true") \
        .splitlines()[0] == "no-hello"

    zero = world.lispdeploy("switch-generation", spec, "0")
    assert zero.returncode == 0, zero.stderr
    assert world.sh(name, SNAPSHOT) == fresh

    last = deploy(world, "deploy", spec)
    assert last["result"] == "deployed"
    assert world.sh(name, "locale -a | grep -x en_US.utf8; id -un alyssa") == \
        "en_US.utf8\nalyssa\n"
