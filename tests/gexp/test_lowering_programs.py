"""Lowering on the controller: gexps into programs that name the host runtime item (checked by
running them with a bare `python3 -I -S`, which gets the runtime in the request when its store
lacks it), the value whitelist, computed-file and program-file, and the host runtime's own
constraints (standard library only, Python 3.9, Hy's mangling)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import hy
import pytest

from lispdeploy.errors import GexpError
from lispdeploy.gexp.lowering import Lowerer
from lispdeploy.gexp.program import LoweredProgram, function_call
from lispdeploy.gexp.runtime import runtime_frame, runtime_item
from lispdeploy.spec.loader import evaluate, load_spec
from lispdeploy.store import StoreItem
from lispdeploy.hostside import build_utils, protocol, scheme, values
from lispdeploy.hostside.names import mangle
from lispdeploy.hostside.store import item_digest
from remote_hosts import OPERATING_SYSTEM

SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "spec.hy"
    path.write_text(OPERATING_SYSTEM + """
(list (machine (operating-system (os-named "web"))
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration (host-name "127.0.250.77")
                                                         (system "x86_64-linux")))))
""")
    return load_spec(str(path))


def run_locally(program: LoweredProgram, header=None) -> dict:
    """Run a program as a host would, with a bare python3: no site-packages at all (the
    runtime frame goes with it when this machine's store lacks the runtime)."""
    request = program.request(header or {"op": "run", "items": []},
                              send_runtime=not os.path.isdir(program.runtime.path))
    completed = subprocess.run([SYSTEM_PYTHON, "-I", "-S", "-c", protocol.BOOTSTRAP],
                               input=request, capture_output=True, cwd="/")
    assert completed.returncode == 0, completed.stderr.decode()
    return protocol.decode_document(completed.stdout)


def test_a_program_runs_on_a_bare_python(spec):
    gexp = evaluate(spec, '#~(do (import json) (json.dumps (list #$@[1 "two"] (cons* 0 [1]))))')
    program = Lowerer().lower_program("bare", gexp)
    assert "import hy" not in program.text and "from hy" not in program.text
    document = run_locally(program)
    assert values.decode(document["value"]) == '[1, "two", [0, 1]]'


def test_hy_models_are_embedded_as_plain_data(spec):
    gexp = evaluate(spec, """#~(list #$'("wheel" "audio") #$'wheel #$'(1 2.5))""")
    document = run_locally(Lowerer().lower_program("models", gexp))
    assert values.decode(document["value"]) == [["wheel", "audio"], "wheel", [1, 2.5]]


def test_values_outside_the_whitelist_name_type_and_place(spec):
    for text, expected in [
        ("(setv r (object))\n#~(list #$r)", "#$ number 1 of this gexp: value is a value of "
                                            "type object, which cannot be embedded"),
        ("#~(list #$(dict :a {1 (frozenset [2])}))",
         "value['a'][1] is a value of type frozenset"),
        ("(setv xs [1])\n(.append xs xs)\n#~(list #$xs)", "value[1] contains itself"),
        ("#~(list 1 #$abs)", "value is the procedure abs"),
    ]:
        with pytest.raises(GexpError) as raised:
            Lowerer().lower_program("bad", evaluate(spec, text, "/tmp/expression.hy"))
        assert expected in raised.value.message, raised.value.message
        assert raised.value.location.file == "/tmp/expression.hy"


def test_nested_gexp_locations_map_their_own_lines(spec):
    gexp = evaluate(spec, """(setv inner #~(do
                                 (setv a 1)
                                 (/ a 0)))
#~(do
    (setv x 1)
    #$inner)""", "/tmp/nested.hy")
    program = Lowerer().lower_program("nested", gexp)
    assert "/tmp/nested.hy" not in program.text  # locations never enter programs
    document = run_locally(program)
    assert document["error"]["location"] == {"gexp": 1, "line": 2}
    error = program.source_map.describe(document["error"])
    assert error["type"] == "ZeroDivisionError"
    assert error["location"] == {"file": "/tmp/nested.hy", "line": 3}
    assert 'File "/tmp/nested.hy", line 6, in gexp' in error["traceback"]
    assert 'File "/tmp/nested.hy", line 3, in gexp' in error["traceback"]


def test_computed_file_builds_a_file_with_its_references(spec):
    lowerer = Lowerer()
    part = evaluate(spec, '(setv part (plain-file "part" "a part"))\npart')
    computed = evaluate(spec, """(computed-file "assembled"
        #~(call-with-output-file #$output
            (fn [port] (display (+ "uses " #$part "\\n") port))))""")
    item = lowerer.lower_file(computed)
    part_item = lowerer.lower_file(part)
    assert item.content == f"uses {part_item.path}\n".encode()
    assert item.references == (part_item,)
    assert lowerer.lower_file(computed) is item  # memoized: built once


def test_computed_file_builds_a_directory(spec):
    computed = evaluate(spec, """(computed-file "tree"
        #~(do (mkdir-p (+ #$output "/bin"))
              (with-output-to-file (+ #$output "/bin/run") (fn [] (print "#!/bin/sh")))
              (chmod (+ #$output "/bin/run") 0o755)
              (with-output-to-file (+ #$output "/README") (fn [] (display "hi")))))""")
    item = Lowerer().lower_file(computed)
    assert item.entries == (("README", b"hi", False), ("bin/run", b"#!/bin/sh\n", True))
    assert item.references == ()


def test_computed_file_failures_point_at_the_spec(spec):
    failing = evaluate(spec, """(computed-file "broken"
        #~(do
            (setv n 0)
            (/ 1 n)))""", "/tmp/broken.hy")
    with pytest.raises(GexpError) as raised:
        Lowerer().lower_file(failing)
    assert raised.value.message.startswith(
        "computed-file broken: its gexp failed: ZeroDivisionError: division by zero")
    assert str(raised.value.location) == "/tmp/broken.hy:4"
    lazy = evaluate(spec, '(computed-file "lazy" #~(+ 1 1))', "/tmp/lazy.hy")
    with pytest.raises(GexpError, match="its gexp made nothing at #\\$output") as raised:
        Lowerer().lower_file(lazy)
    assert "call-with-output-file #$output" in raised.value.hint


def test_program_file_is_an_executable_script(spec, tmp_path):
    program = evaluate(spec, """(program-file "greet"
        #~(do (import sys)
              (print "hello" (len sys.argv))
              (when (> (len sys.argv) 1)
                (raise (RuntimeError (+ "asked to fail: " (get sys.argv 1)))))))""",
                       "/tmp/greet.hy")
    lowerer = Lowerer()
    item = lowerer.lower_file(program)
    assert item.executable and item.content.startswith(b"#!/usr/bin/env python3\n")
    script = tmp_path / "greet"
    script.write_bytes(item.content)
    script.chmod(0o755)
    ok = subprocess.run([str(script)], capture_output=True, text=True)
    assert (ok.returncode, ok.stdout) == (0, "hello 1\n")
    failed = subprocess.run([str(script), "now"], capture_output=True, text=True)
    assert failed.returncode == 1
    # Where the gexp was written is not in the item; its source map says it (deploys record
    # it on the host, where a failing program then names its spec lines).
    assert b"/tmp/greet.hy" not in item.content
    assert 'File "<gexp 0>", line 4, in gexp' in failed.stderr
    located = lowerer.source_maps[item.path].rewrite(failed.stderr)
    assert 'File "/tmp/greet.hy", line 4, in gexp' in located
    assert failed.stderr.rstrip().endswith("RuntimeError: asked to fail: now")


def test_function_call_runs_target_functions_only():
    gexp = function_call("lispdeploy.hostside.build_utils.which", "sh")
    document = run_locally(Lowerer().lower_program("which", gexp))
    assert values.decode(document["value"]).endswith("/sh")
    with pytest.raises(ValueError):
        function_call("os.system", "true")


def test_programs_name_the_runtime_instead_of_embedding_it():
    program = Lowerer().lower_program("probe", function_call(
        "lispdeploy.hostside.entry.probe", {"items": []}))
    runtime = runtime_item()
    assert program.runtime == runtime and runtime.path in program.text
    assert "def activate(" not in program.text and len(program.text) < 8000
    paths = {path for path, _, _ in runtime.entries}
    assert {"lispdeploy/__init__.py", "lispdeploy/hostside/runner.py",
            "lispdeploy/hostside/activation.py"} <= paths
    # The frame carries the whole runtime, compressed.
    assert len(runtime_frame()) < runtime.size / 2


def test_a_program_item_refers_to_the_runtime_it_names(spec):
    item = Lowerer().program("tool", function_call("lispdeploy.hostside.build_utils.which", "sh"))
    assert runtime_item() in item.references


def test_the_host_runtime_is_standard_library_python_3_9():
    target = os.path.dirname(build_utils.__file__)
    for name in sorted(os.listdir(target)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(target, name)) as f:
            tree = ast.parse(f.read(), name, feature_version=(3, 9))
        for node in ast.walk(tree):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0
                       else [])
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or module.startswith(
                    "lispdeploy.hostside") or module == "lispdeploy", (name, module)


def test_mangling_on_hosts_is_hys():
    names = list(scheme.PROCEDURES) + list(build_utils.PROCEDURES) + [
        "_private", "__dunder__", "->", "a.b-c", "🦑", "é-x", "x-", "-x", "1+", "valid_name"]
    for name in names:
        assert mangle(name) == hy.mangle(name), name


def test_hosts_verify_items_with_the_controller_hash():
    item = StoreItem("tree", entries=[("z", b"1", True), ("a/b", b"2", False)],
                     references=[StoreItem("dep", content=b"d")])
    assert item_digest("tree", None, False, [("a/b", b"2", False), ("z", b"1", True)],
                       [item.references[0].path]) == item.hash
