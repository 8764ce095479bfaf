"""Systems do not depend on where the spec lives: the same spec built from another directory,
spelled `./x.hy`, `$PWD/x.hy` or `dir/x.hy`, or with comments and blank lines added, gives the
same store items, down to every program; only the provenance (beside the system, not in it)
differs. Locations still reach error messages (see test_activation_program and
tests/gexp)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from systems import SPECS_DIR, build_path

SCRIPT = os.path.join(os.path.dirname(sys.executable), "lispdeploy")


def commented(text: str) -> str:
    """The spec with a comment line and blank lines added between its forms."""
    out = [";; A comment that moves every line below it.", ""]
    for line in text.splitlines():
        out.append(line)
        if line.startswith("(define"):
            out.insert(len(out) - 1, "\n;; another comment\n")
    return "\n".join(out) + "\n"


def built(cwd: str, spec: str, *load_path: str) -> str:
    args = [SCRIPT, "build", spec]
    for directory in load_path:
        args += ["-L", directory]
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "LISPDEPLOY_CACHE_DIR": os.path.join(cwd, ".c")})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_same_items_whatever_the_path_spelling_directory_and_comments(tmp_path):
    for name, modules in (("web-demo.hy", None), ("heartbeat.hy", "modules")):
        first, second = tmp_path / "a" / name.split(".")[0], tmp_path / "b" / "c"
        first.mkdir(parents=True)
        second.mkdir(parents=True, exist_ok=True)
        text = open(os.path.join(SPECS_DIR, name)).read()
        (first / name).write_text(text)
        (second / name).write_text(commented(text))
        load_path = []
        if modules:
            for directory in (first, second):
                shutil.copytree(os.path.join(SPECS_DIR, modules), directory / modules,
                                dirs_exist_ok=True)
            load_path = [modules]
        outputs = {
            "name": built(str(first), name, *load_path),
            "./name": built(str(first), f"./{name}", *load_path),
            "$PWD/name": built(str(first), str(first / name),
                               *[str(first / d) for d in load_path]),
            "other directory, commented": built(str(second.parent), f"c/{name}",
                                                *[f"c/{d}" for d in load_path]),
        }
        assert len(set(outputs.values())) == 1, outputs


def test_every_item_is_the_same_and_only_provenance_differs(tmp_path):
    for name, modules in (("web-demo.hy", []), ("heartbeat.hy", ["modules"])):
        text = open(os.path.join(SPECS_DIR, name)).read()
        load_path = [os.path.join(SPECS_DIR, m) for m in modules]
        (tmp_path / name).write_text(commented(text))
        original = build_path(os.path.join(SPECS_DIR, name), load_path=load_path)
        moved = build_path(str(tmp_path / name), load_path=load_path)
        assert [i.path for i in original.items] == [i.path for i in moved.items]
        for item in moved.items:
            if item.content is not None:
                assert str(tmp_path).encode() not in item.content
                assert SPECS_DIR.encode() not in item.content
        assert original.provenance["spec"]["path"] != moved.provenance["spec"]["path"]
        assert original.provenance["spec"]["item"] != moved.provenance["spec"]["item"]
    # Where the programs' gexps were written is provenance: the web demo's activation snippet
    # is in the spec, and its recorded location moved with the comments.
    demo = build_path(str(tmp_path / "web-demo.hy"))
    program = demo.manifest["activation"]["program"]
    moved_here = [w for w in demo.provenance["locations"][program]["snippets"]
                  if w.startswith(str(tmp_path / "web-demo.hy") + ":")]
    original = build_path(os.path.join(SPECS_DIR, "web-demo.hy"))
    there = [w for w in original.provenance["locations"][program]["snippets"]
             if w.startswith(os.path.join(SPECS_DIR, "web-demo.hy") + ":")]
    assert len(moved_here) == len(there) == 2
    assert all(a.split(":")[1] != b.split(":")[1] for a, b in zip(moved_here, there))
