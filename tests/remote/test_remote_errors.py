"""A program that raises on a host comes back as a RemoteEvalError: the exception's type and
message, the host, the spec line it was raised from, and the host's traceback with its frames
mapped to spec lines."""

from __future__ import annotations

import pytest

from lispdeploy.errors import RemoteEvalError
from lispdeploy.remote.eval import remote_eval
from lispdeploy.spec.loader import load_spec
from remote_hosts import machine_form

def spec_line(path: str, text: str) -> int:
    with open(path) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def test_remote_exception_with_traceback_and_spec_lines(write_spec, shared_fleet, connect):
    (host,) = shared_fleet(1)
    prelude = """
        (define broken
          #~(do
              (defn check-config [path]
                (unless (file-exists? path)
                  (raise (FileNotFoundError (+ "no configuration at " path)))))
              (setv paths ["/etc/hostname" "/etc/nothing-here.conf"])
              (for [p paths]
                (check-config p))
              "unreachable"))
    """
    path = write_spec({"web": machine_form("web", host)}, prelude)
    spec = load_spec(path)
    with pytest.raises(RemoteEvalError) as raised:
        remote_eval(connect(host), spec.module.broken)
    error = raised.value
    assert error.exception_type == "FileNotFoundError"
    assert error.message == "FileNotFoundError: no configuration at /etc/nothing-here.conf"
    assert error.host == host.host_name
    # The innermost frame in staged code: the function that raised, where it is defined.
    assert error.location.file == path
    assert error.location.line == spec_line(path, "(defn check-config [path]")
    assert error.hint is None
    trace = error.remote_traceback
    assert trace.startswith("Traceback (most recent call last):")
    assert f'File "{path}", line {spec_line(path, "(for [p paths]")}, in gexp' in trace
    assert f'File "{path}", line {spec_line(path, "(defn check-config")}, in check_config' in trace
    assert "raise FileNotFoundError('no configuration at ' + path)" in trace
    assert trace.rstrip().endswith(
        "FileNotFoundError: no configuration at /etc/nothing-here.conf")
    # The runtime's own plumbing is not shown before the first frame of staged code.
    assert "runner.py" not in trace and "program.py" not in trace
    rendered = error.render()
    assert rendered.startswith(f"{host.host_name}: {path}:{error.location.line}:")


def test_a_failing_command_carries_its_status_and_stderr(write_spec, shared_fleet, connect):
    (host,) = shared_fleet(1)
    path = write_spec({"web": machine_form("web", host)}, """
        (define listing #~(invoke "ls" "/no/such/directory"))
    """)
    spec = load_spec(path)
    with pytest.raises(RemoteEvalError) as raised:
        remote_eval(connect(host), spec.module.listing)
    error = raised.value
    assert error.exception_type == "InvokeError"
    assert 'command "ls" "/no/such/directory" failed with exit status 2' in error.message
    assert "No such file or directory" in error.message
    assert error.location.line == spec_line(path, "(define listing")


def test_remote_stderr_and_stdout_stream_to_the_callback(write_spec, shared_fleet, connect):
    (host,) = shared_fleet(1)
    spec = load_spec(write_spec({"web": machine_form("web", host)}, """
        (define chatty #~(do (import sys)
                             (print "to stdout") (print "to stderr" :file sys.stderr)
                             (invoke "echo" "from a command") 42))
    """))
    chunks = []
    assert remote_eval(connect(host), spec.module.chatty, on_stderr=chunks.append) == 42
    text = b"".join(chunks).decode()
    assert "to stdout\n" in text and "to stderr\n" in text and "from a command\n" in text


def test_a_name_from_outside_the_gexp_gets_a_hint(write_spec, shared_fleet, connect):
    (host,) = shared_fleet(1)
    spec = load_spec(write_spec({"web": machine_form("web", host)}, """
        (import os)
        (define uses-outer-import #~(os.getpid))
    """))
    with pytest.raises(RemoteEvalError) as raised:
        remote_eval(connect(host), spec.module.uses_outer_import)
    assert raised.value.message == "NameError: name 'os' is not defined"
    assert "import inside the gexp" in raised.value.hint


def test_a_host_program_meeting_a_newer_manifest_says_so(shared_fleet, connect):
    """A system item of a manifest format this host program does not read (a newer
    lispdeploy made it) is refused before anything changes, as a `format` error."""
    import json

    from lispdeploy.gexp.lowering import Lowerer
    from lispdeploy.gexp.program import LoweredProgram, function_call
    from lispdeploy.hostside import contract
    from lispdeploy.remote.eval import run_lowered
    from lispdeploy.store import StoreItem

    (host,) = shared_fleet(1)
    newer = StoreItem("system", content=json.dumps(
        {"format": contract.MANIFEST_FORMAT + 1, "host-name": "x", "timezone": "UTC",
         "locale": "C", "wormholes": []}).encode())
    lowered = Lowerer().lower_program("activate", function_call(
        "lispdeploy.hostside.entry.activate", newer.path, "test", None, None))
    transport = connect(host)
    current = function_call("lispdeploy.hostside.generations.current")
    before = remote_eval(transport, current)
    with pytest.raises(RemoteEvalError) as raised:
        run_lowered(transport, LoweredProgram(lowered.name, lowered.text,
                                              list(lowered.items) + [newer]))
    error = raised.value
    assert error.kind == contract.KIND_FORMAT
    assert f"has format {contract.MANIFEST_FORMAT + 1}, and this host program reads formats" \
        in error.message
    assert "made by a newer lispdeploy" in error.message
    assert error.hint.startswith("the host's lispdeploy program is older than this one")
    assert remote_eval(transport, current) == before  # nothing was activated
