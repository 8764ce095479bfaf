"""The host runtime travels once: a fresh host asks for it and keeps it as a store item, later
programs only name it (one session each, a few KB), and the host compiles it once."""

from __future__ import annotations

import json
import zlib

from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.program import function_call
from lispdeploy.gexp.runtime import runtime_frame, runtime_item
from lispdeploy.remote.eval import remote_eval, sent_bytes
from lispdeploy.hostside import protocol, values
from remote_hosts import host_run

WHICH = function_call("lispdeploy.hostside.build_utils.which", "sh")


def test_a_fresh_host_gets_the_runtime_once_then_programs_only_name_it(fleet, connect):
    (host,) = fleet(1)
    runtime = runtime_item()
    first = connect(host)
    assert remote_eval(first, WHICH).endswith("/sh")
    # Asked, answered "runtime-missing", then asked again with the runtime frame.
    assert first.round_trips == 2
    assert sent_bytes(first)["items"] == len(runtime_frame())
    kept = host_run(first, ["sh", "-c", f"ls {runtime.path}/lispdeploy/hostside | wc -l; "
                                        "ls /var/lib/lispdeploy/runtime-cache"]).split()
    assert int(kept[0]) == len([p for p, _, _ in runtime.entries if "/hostside/" in p])
    assert kept[1].startswith(runtime.path.rsplit("/", 1)[1] + "-")
    first.close()

    second = connect(host)
    assert remote_eval(second, WHICH).endswith("/sh")
    assert second.round_trips == 1
    assert sent_bytes(second)["items"] == 0
    assert sent_bytes(second)["requests"] < 8000


def test_a_runtime_frame_that_does_not_match_its_name_is_refused(fleet, connect):
    (host,) = fleet(1)
    transport = connect(host)
    program = Lowerer().lower_program("which", WHICH)
    files = bytearray(zlib.decompress(runtime_frame()))
    # Some bytes of a docstring changed: the files still run, but no longer hash to the item's
    # name.
    position = files.index(b"Standard library only")
    files[position:position + 8] = b"STANDARD"
    request = protocol.encode_request(program.text, {"op": "run", "items": []},
                                      runtime=zlib.compress(bytes(files)))
    completed = transport.execute(["python3", "-I", "-c", protocol.BOOTSTRAP], request)
    assert completed.exit_status != 0
    assert b"arrived damaged" in completed.stderr
    listing = host_run(transport, ["sh", "-c", "ls -A /var/lib/lispdeploy/store 2>/dev/null; "
                                               "true"])
    assert runtime_item().path.rsplit("/", 1)[1] not in listing


def test_a_program_item_finds_the_runtime_it_refers_to(fleet, connect):
    (host,) = fleet(1)
    transport = connect(host)
    lowerer = Lowerer()
    tool = lowerer.program("tool", function_call("lispdeploy.hostside.build_utils.which", "sh"))
    remote_eval(transport, function_call("lispdeploy.hostside.build_utils.which", tool))
    # Run as a plain script, as systemd runs the watchdog: it loads the runtime it names.
    output = host_run(transport, ["python3", "-I", tool.path])
    assert output == ""
    document = json.loads(host_run(transport, ["sh", "-c", f"LISPDEPLOY_RESULT_FD=1 python3 -I "
                                                           f"{tool.path}"]))
    assert document["status"] == "ok" and values.decode(document["value"]).endswith("/sh")
