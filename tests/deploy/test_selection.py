"""`--on`: host-name globs, @tags, !exclusions, errors that list what exists, and the shell
completion of host names and tags. Connects to nothing."""

import os
import subprocess
import sys

import pytest

from lispdeploy.deploy.hosts import completions, select_machines
from lispdeploy.errors import UsageError
from lispdeploy.spec.loader import load_spec

SPEC = """
(define (m name tags)
  (machine (operating-system (operating-system (host-name name)))
           (environment container-environment-type)
           (tags tags)
           (configuration (container-configuration))))
(list (m "web-1" '("web" "eu")) (m "web-2" '("web" "us")) (m "db-1" '("db" "eu"))
      (m "cache-1" '()))
"""


@pytest.fixture
def spec_path(tmp_path, monkeypatch):
    monkeypatch.setenv("LISPDEPLOY_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "fleet.hy"
    path.write_text(SPEC)
    return str(path)


@pytest.fixture
def machines(spec_path):
    return load_spec(spec_path).machines


@pytest.mark.parametrize("on, chosen", [
    ((), ["web-1", "web-2", "db-1", "cache-1"]),
    (("web-*",), ["web-1", "web-2"]),
    (("db-1", "web-2"), ["web-2", "db-1"]),            # spec order, whatever the order given
    (("db-1,web-2",), ["web-2", "db-1"]),
    (("@web",), ["web-1", "web-2"]),
    (("@eu",), ["web-1", "db-1"]),
    (("@e*",), ["web-1", "db-1"]),
    (("@web,@db",), ["web-1", "web-2", "db-1"]),
    (("!@web",), ["db-1", "cache-1"]),                 # only exclusions: from every machine
    (("@eu", "!db-*"), ["web-1"]),
    (("*-1,!@eu",), ["cache-1"]),
    (("@web", "!web-2", "cache-1"), ["web-1", "cache-1"]),
])
def test_selection(machines, on, chosen):
    assert [m.display_name for m in select_machines(machines, on)] == chosen


@pytest.mark.parametrize("on, message", [
    ("web-9", "--on web-9: no machine of the spec has a matching host name"),
    ("@mars", "--on @mars: no machine of the spec has a matching tag"),
    ("!@mars", "--on !@mars: no machine of the spec has a matching tag"),
    ("!", "--on !: an empty pattern"),
    ("@", "--on @: an empty pattern"),
    ("@web,!web-*", "--on @web,!web-*: selects no machine (every one it matches is excluded)"),
])
def test_selection_errors(machines, on, message):
    with pytest.raises(UsageError) as caught:
        select_machines(machines, [on])
    assert caught.value.message == message
    if "empty" not in message:
        assert caught.value.hint == ("the host names are: web-1, web-2, db-1, cache-1; the "
                                     "tags: @db, @eu, @us, @web")


@pytest.mark.parametrize("incomplete, offered", [
    ("", ["web-1", "web-2", "db-1", "cache-1", "@db", "@eu", "@us", "@web"]),
    ("we", ["web-1", "web-2"]),
    ("@", ["@db", "@eu", "@us", "@web"]),
    ("@w", ["@web"]),
    ("!d", ["!db-1"]),
    ("web-1,@e", ["web-1,@eu"]),
    ("web-1,!", ["web-1,!web-1", "web-1,!web-2", "web-1,!db-1", "web-1,!cache-1",
                 "web-1,!@db", "web-1,!@eu", "web-1,!@us", "web-1,!@web"]),
])
def test_completions(machines, incomplete, offered):
    assert completions(machines, incomplete) == offered


def lispdeploy(*args, env=None, cwd=None):
    script = os.path.join(os.path.dirname(sys.executable), "lispdeploy")
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def test_the_shell_completes_host_names_and_tags(spec_path):
    def complete(*words):
        line = ["lispdeploy", *words]
        done = lispdeploy(env={"_LISPDEPLOY_COMPLETE": "bash_complete",
                               "COMP_WORDS": " ".join(line), "COMP_CWORD": str(len(line) - 1)})
        assert done.returncode == 0, done.stderr
        return [item.split(",", 1)[1] for item in done.stdout.split()]

    assert complete("deploy", spec_path, "--on", "@") == ["@db", "@eu", "@us", "@web"]
    assert complete("eval", spec_path, "-j", "2", "--on", "web-1,w") == ["web-1,web-1",
                                                                          "web-1,web-2"]
    assert complete("container", "list", spec_path, "--on", "!c") == ["!cache-1"]
    assert complete("destroy", spec_path, "--on", "d") == ["db-1"]
    assert complete("deploy", "/nowhere.hy", "--on", "w") == []  # never an error in a shell
    done = lispdeploy("completion", "bash")
    assert done.returncode == 0 and "_LISPDEPLOY_COMPLETE=bash_complete" in done.stdout


def test_every_command_taking_on_takes_tags(spec_path):
    """`container list` needs no host: a machine without one shows as not created."""
    done = lispdeploy("container", "list", spec_path, "--on", "@eu,!web-*")
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["MACHINE", "db-1"]
    for command in (["deploy"], ["deploy", "--dry-run"], ["eval", "#~1"], ["generations"],
                    ["gc"], ["switch-generation", "1"], ["destroy"], ["container", "start"],
                    ["container", "stop"], ["container", "destroy"]):
        before, after = (command[:2], command[2:]) if command[0] == "container" else (
            command[:1], command[1:])
        done = lispdeploy(*before, spec_path, *after, "--on", "@mars")
        assert done.returncode == 2, (command, done.stderr)
        assert "error: --on @mars: no machine of the spec has a matching tag" in done.stderr
