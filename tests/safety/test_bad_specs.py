"""The corpus of bad specs (tests/safety/corpus/*.hy): each is deployed, as a user would,
to one live container host; each must fail with exit status 1 and its expected located error
(the `;; expect:` and `;; hint:` lines at its top), print no traceback, and leave the host
exactly as it was: its disk byte for byte (the overlay's upper directory), its units, its
accounts and its generation.

In the expectations, @SPEC@ stands for the spec's path, @DIR@ for its directory and @HOST@
for the container host's name, which also replaces @HOST@ in the spec itself.

The whole corpus takes about 18 minutes on 2 shared cores, so `make test` deploys a spread
sample of about 40 specs (every sixth spec, and every spec whose error the host's checks
find); `LISPDEPLOY_CORPUS=all` (`make test-corpus`) deploys every one.
"""

import os
import re

import pytest

from deploy_hosts import DeployWorld, container_machine, disk_fingerprint


CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SPECS = sorted(name for name in os.listdir(CORPUS) if name.endswith(".hy"))
# Found by the probe (packages against the host's apt, the time zone, accounts' ids, /etc
# files on the host): always deployed, they are the ones that reach the host.
FOUND_ON_THE_HOST = {76, 77, 78, 79, 127, 172, 173, 174, 175, 176, 177}
SAMPLE_EVERY = 6


def sample(specs):
    """The specs `make test` deploys: all of them with LISPDEPLOY_CORPUS=all, else a spread
    sample (see the module docstring)."""
    if os.environ.get("LISPDEPLOY_CORPUS") == "all":
        return list(specs)
    others = [n for n in specs if int(n.split("-", 1)[0]) not in FOUND_ON_THE_HOST]
    spread = set(others[::SAMPLE_EVERY])
    return [n for n in specs if n in spread or int(n.split("-", 1)[0]) in FOUND_ON_THE_HOST]


DEPLOYED = sample(SPECS)

GOOD = """
(use-modules (gnu))
(define os (operating-system (host-name "corpus-host")))
(list {machine})
"""
# What else a deploy could change on the host, beyond its disk.
STATE = ("readlink /var/lib/lispdeploy/profiles/system; getent passwd; getent group; "
         "systemctl list-units --all --no-legend --plain --type=service | sort")


class CorpusHost:
    """The one container host every bad spec is deployed to, and its state before any."""

    def __init__(self, world: DeployWorld):
        self.world = world
        self.name = world.host_name()
        # Named as the bad specs are (spec.hy): one deployment, whose host they may reach.
        path = world.write(GOOD.format(machine=container_machine("os", self.name)), "spec.hy")
        done = world.lispdeploy("deploy", path)
        assert done.returncode == 0, done.stderr
        self.baseline = self.state()

    def state(self, *, running=True):
        """The host's disk, and (over SSH) its generation, accounts and units."""
        disk = disk_fingerprint(self.world, self.name)
        return (disk, self.world.sh(self.name, STATE) if running else self.baseline[1])


@pytest.fixture(scope="module")
def corpus_host(tmp_path_factory):
    world = DeployWorld(tmp_path_factory.mktemp("corpus"))
    try:
        yield CorpusHost(world)
    finally:
        world.destroy_all()


def expectation(data: bytes):
    lines = data.decode("utf-8", "replace").split("\n")
    assert lines[1].startswith(";; expect: ") and lines[2].startswith(";; hint: "), \
        "a corpus spec starts with its description, ;; expect: and ;; hint: lines"
    hint = lines[2][len(";; hint: "):]
    return lines[1][len(";; expect: "):], None if hint == "(none)" else hint


def test_the_corpus_has_at_least_100_bad_specs():
    assert len(SPECS) >= 100


def test_every_spec_of_the_corpus_states_its_expected_error():
    # Even the specs the sample leaves out are well-formed corpus entries (numbered, with
    # their expected error and hint), so LISPDEPLOY_CORPUS=all runs each as intended.
    for name in SPECS:
        assert re.match(r"\d{3}-", name), name
        with open(os.path.join(CORPUS, name), "rb") as f:
            expectation(f.read())


@pytest.mark.parametrize("name", DEPLOYED)
def test_a_bad_spec_is_refused_where_it_is_wrong_and_changes_nothing(corpus_host, name,
                                                                      tmp_path):
    with open(os.path.join(CORPUS, name), "rb") as f:
        data = f.read()
    expected, hint = expectation(data)
    path = tmp_path / "spec.hy"
    path.write_bytes(data.replace(b"@HOST@", corpus_host.name.encode()))

    def fill(text):
        return (text.replace("@SPEC@", str(path)).replace("@DIR@", str(tmp_path))
                .replace("@HOST@", corpus_host.name))

    done = corpus_host.world.lispdeploy("deploy", str(path))
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    # A spec's mistake stands alone; a mistake found while building or probing one host is
    # prefixed with the host's name.
    wanted = f"{path}:{fill(expected)}"
    found = [i for i, line in enumerate(lines)
             if line == wanted or re.fullmatch(r"[a-z0-9-]+: " + re.escape(wanted), line)]
    assert found, f"expected\n  {wanted}\nin\n{done.stderr}"
    if hint is not None:
        # The hint follows the error and the lines of output it quotes (a validator's).
        hints = [line for line in lines[found[0] + 1:] if line.startswith("hint: ")]
        assert hints and hints[0] == f"hint: {fill(hint)}", done.stderr
    # Every spec leaves the disk byte for byte as it was; one that reached the host (its error
    # names the host) also leaves its running state so.
    reached = lines[found[0]] != wanted
    assert corpus_host.state(running=reached) == corpus_host.baseline, f"{name} changed the host"


def test_the_host_is_as_it_was_after_the_whole_corpus(corpus_host):
    assert corpus_host.state() == corpus_host.baseline
