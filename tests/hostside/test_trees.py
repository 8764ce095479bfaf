"""Directories activations put in place (hostside.trees), on this machine's disk in a
temporary directory: installed with owner and modes, compared, changed in one rename, and
given back as they were (a directory that existed, or nothing)."""

import os
import stat

from lispdeploy.hostside import trees
from lispdeploy.hostside.hoststate import HostState


def store_item(tmp_path, name, files):
    """A directory laid out as the store keeps one (read-only, 0444/0555)."""
    root = tmp_path / "store" / name
    for relative, (content, executable) in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        path.chmod(0o555 if executable else 0o444)
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o555)
    return str(root)


def apply(changes):
    for change in changes:
        change.apply()
    return [(c.action, c.name) for c in changes]


def modes(root):
    out = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            out[os.path.relpath(path, root)] = (oct(stat.S_IMODE(st.st_mode)), st.st_uid,
                                                st.st_gid)
    return out


def test_install_compare_change_and_remove(tmp_path):
    state = HostState(root=str(tmp_path / "state"))
    site = tmp_path / "srv" / "site"
    v1 = store_item(tmp_path, "v1", {"index.html": ("one\n", False),
                                     "cgi/run": ("#!/bin/sh\n", True)})
    wanted = {str(site): trees.DesiredTree(str(site), v1, mode=0o750, user="nobody",
                                           group="nogroup")}
    assert apply(trees.tree_changes(wanted, state)) == [("add", str(site))]
    nobody = (65534, 65534)
    assert modes(site) == {"index.html": ("0o644", *nobody), "cgi": ("0o750", *nobody),
                           "cgi/run": ("0o755", *nobody)}
    assert oct(stat.S_IMODE(os.stat(site).st_mode)) == "0o750"
    assert trees.tree_changes(wanted, state) == []

    # A file changed by hand is put back; a new generation's tree replaces the old one.
    (site / "index.html").chmod(0o666)
    (site / "index.html").write_text("edited\n")
    (site / "stray").write_text("x")
    changes = trees.tree_changes(wanted, state)
    assert changes[0].detail == "index.html: mode or owner; stray: not in the generation"
    apply(changes)
    assert (site / "index.html").read_text() == "one\n" and not (site / "stray").exists()
    v2 = store_item(tmp_path, "v2", {"index.html": ("two\n", False)})
    wanted = {str(site): trees.DesiredTree(str(site), v2, mode=0o755)}
    assert apply(trees.tree_changes(wanted, state)) == [("change", str(site))]
    assert sorted(os.listdir(site)) == ["index.html"]
    assert (site / "index.html").read_text() == "two\n"
    assert sorted(os.listdir(site.parent)) == ["site"]       # no leftovers beside it

    # No generation wants it: it was not there before, so it goes.
    assert apply(trees.tree_changes({}, state)) == [("remove", str(site))]
    assert not site.exists() and state.originals == {}


def test_an_existing_directory_is_given_back(tmp_path):
    state = HostState(root=str(tmp_path / "state"))
    www = tmp_path / "var" / "www"
    (www / "old").mkdir(parents=True)
    (www / "old" / "page.html").write_text("the host's own page\n")
    os.chown(www / "old" / "page.html", 65534, 65534)
    before = modes(www)
    item = store_item(tmp_path, "site", {"index.html": ("ours\n", False)})
    wanted = {str(www): trees.DesiredTree(str(www), item)}
    apply(trees.tree_changes(wanted, state))
    assert sorted(os.listdir(www)) == ["index.html"]
    changes = trees.tree_changes({}, state)
    assert [(c.action, c.detail) for c in changes] == [
        ("restore", "give back what was there before lispdeploy")]
    apply(changes)
    assert (www / "old" / "page.html").read_text() == "the host's own page\n"
    assert modes(www) == before
    assert state.originals == {}
