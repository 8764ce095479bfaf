"""File-like objects on hosts: lowered to store items, sent once (only what the host lacks),
written atomically and read-only, verified by hash on the host; program items run there."""

from __future__ import annotations

import json
import os

import pytest

from lispdeploy.errors import RemoteEvalError
from lispdeploy.gexp.build import item_transfer
from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.runtime import runtime_item
from lispdeploy.remote.eval import (missing_items, remote_eval, run_program, send_items,
                                    sent_paths)
from lispdeploy.spec.loader import evaluate, load_spec
from lispdeploy.store import StoreItem, closure
from lispdeploy.hostside import protocol
from remote_hosts import host_run, machine_form

FILES = """
(define greeting (plain-file "greeting" "hello, world\\n"))
(define site (local-file "site" #:recursive? #t))
(define config (mixed-text-file "site.conf" "root " site "\\ngreeting " greeting "\\n"))
(define script (program-file "hello" #~(print (+ "hello from " #$greeting))))
(define rendered
  (computed-file "rendered"
    #~(call-with-output-file #$output
        (fn [port] (display (+ "rendered with " #$greeting) port)))))
(define (read-all)
  #~(do
      (defn read [path] (call-with-input-file path get-string-all))
      {"greeting" (read #$greeting)
       "index" (read #$(file-append site "/index.html"))
       "tool-executable" (executable-file? #$(file-append site "/bin/tool"))
       "config" (read #$config)
       "rendered" (read #$rendered)
       "script" (do (import subprocess)
                    (. (subprocess.run [#$script] :capture-output True :text True) stdout))}))
"""


def make_site(tmp_path) -> None:
    site = tmp_path / "site"
    (site / "bin").mkdir(parents=True)
    (site / "index.html").write_text(f"<p>{tmp_path.name}</p>\n")
    (site / "bin" / "tool").write_text("#!/bin/sh\necho tool\n")
    (site / "bin" / "tool").chmod(0o755)


def test_file_likes_are_sent_once_and_read_back(fleet, write_spec, connect, tmp_path):
    (host,) = fleet(1)
    make_site(tmp_path)
    spec = load_spec(write_spec({"web": machine_form("web", host)}, FILES))
    gexp = spec.module.read_all()
    lowerer = Lowerer()
    items = closure(lowerer.lower_program("read-all", gexp).items)
    # The program-file refers to the host runtime it names.
    assert {i.name for i in items} == {"greeting", "site", "site.conf", "hello", "rendered",
                                       "lispdeploy-runtime"}

    first = connect(host)
    value = remote_eval(first, gexp, lowerer=lowerer)
    greeting = lowerer.lower_file(spec.module.greeting).path
    site = lowerer.lower_file(spec.module.site).path
    assert value == {
        "greeting": "hello, world\n",
        "index": f"<p>{tmp_path.name}</p>\n",
        "tool-executable": True,
        "config": f"root {site}\ngreeting {greeting}\n",
        "rendered": f"rendered with {greeting}",
        "script": f"hello from {greeting}\n",
    }
    # One probe (asked again with the runtime, which a fresh host lacks), one run carrying
    # every item.
    assert first.round_trips == 3
    assert sorted(sent_paths(first)) == sorted(i.path for i in items)

    # Another command, another connection: the host has everything, nothing is sent.
    second = connect(host)
    assert remote_eval(second, gexp, lowerer=Lowerer()) == value
    assert second.round_trips == 2 and sent_paths(second) == []
    # Over the same connection, the host is known to have them: no probe either.
    assert remote_eval(second, gexp) == value
    assert second.round_trips == 3 and sent_paths(second) == []


def test_items_are_read_only_and_leave_no_temporary_files(fleet, write_spec, connect,
                                                          tmp_path):
    (host,) = fleet(1)
    make_site(tmp_path)
    spec = load_spec(write_spec({"web": machine_form("web", host)}, FILES))
    transport = connect(host)
    lowerer = Lowerer()
    site = lowerer.lower_file(spec.module.site)
    script = lowerer.lower_file(spec.module.script)
    sent = send_items(transport, [site, script])
    assert {i.path for i in sent} == {site.path, script.path,
                                      lowerer.lower_file(spec.module.greeting).path}
    modes = evaluate(spec, """#~(do (import os stat)
        (dfor path (sorted (os.listdir "/var/lib/lispdeploy/store"))
              path (oct (stat.S_IMODE (. (os.lstat (+ "/var/lib/lispdeploy/store/" path))
                                         st_mode)))))""")
    listing = remote_eval(transport, modes)
    assert not [name for name in listing if name.startswith(".")]
    assert listing[os.path.basename(site.path)] == "0o555"
    assert listing[os.path.basename(script.path)] == "0o555"
    assert listing[os.path.basename(lowerer.lower_file(spec.module.greeting).path)] == "0o444"
    tool = host_run(transport, ["stat", "-c", "%a", f"{site.path}/bin/tool"]).strip()
    index = host_run(transport, ["stat", "-c", "%a", f"{site.path}/index.html"]).strip()
    assert (tool, index) == ("555", "444")


def test_a_damaged_item_is_refused_and_not_stored(fleet, connect):
    (host,) = fleet(1)
    transport = connect(host)
    item = StoreItem("payload", content=b"the real content")
    headers, _ = item_transfer([item])
    request = Lowerer().lower_program("noop", []).request(
        {"op": "run", "items": headers}, [b"the fake content"], send_runtime=True)
    completed = transport.execute(["python3", "-I", "-c", protocol.BOOTSTRAP], request)
    document = json.loads(completed.stdout)
    assert document["status"] == "error"
    assert document["error"]["type"] == "StoreError"
    assert f"store item {item.path} arrived damaged" in document["error"]["message"]
    assert document["written"] == []
    assert missing_items(transport, [item]) == [item]
    listing = transport.execute(["sh", "-c", "ls -A /var/lib/lispdeploy/store 2>/dev/null"])
    # Only the host runtime, which came with the request in its own frame.
    assert listing.stdout.decode().split() == [os.path.basename(runtime_item().path)]


def test_a_program_item_runs_on_the_host(fleet, write_spec, connect):
    (host,) = fleet(1)
    spec = load_spec(write_spec({"web": machine_form("web", host)}, """
        (define note (plain-file "note" "noted"))
        (define steps
          (list #~(do (mkdir-p "/run/steps") (call-with-input-file #$note get-string-all))
                #~(do (import os) (sorted (os.listdir "/run/steps")))))
        (define failing
          (list #~(+ 1 1)
                #~(do (invoke "false"))))
    """))
    lowerer = Lowerer()
    program = lowerer.program("steps", spec.module.steps)
    assert program.executable
    assert sorted(r.name for r in program.references) == ["lispdeploy-runtime", "note"]
    transport = connect(host)
    assert run_program(transport, program) == ["noted", []]
    assert run_program(transport, program) == ["noted", []]
    assert sent_paths(transport).count(program.path) == 1

    with pytest.raises(RemoteEvalError) as raised:
        run_program(transport, lowerer.program("failing", spec.module.failing))
    assert raised.value.exception_type == "InvokeError"
    assert raised.value.location.file == spec.path
    assert 'File "' + spec.path in raised.value.remote_traceback
    # As a plain script too: an error prints the traceback, status 1. The item holds no spec
    # path: on a host whose generation does not record its source map, frames are staged
    # code's, which the controller's source map turns into spec lines.
    item = lowerer.program("failing", spec.module.failing)
    completed = transport.execute([item.path])
    assert completed.exit_status == 1
    assert 'File "<gexp ' in completed.stderr.decode()
    assert f'File "{spec.path}", line' in lowerer.source_maps[item.path].rewrite(
        completed.stderr.decode())
