"""Directories activations put in place (special files that are directories), on this
machine's disk in a temporary directory, through the planner: facts gathered from the disk
(`trees.tree_fact`), planned (`plan.plan`), made by the directory executors. Installed with
owner and modes, compared by digest (the controller's digest of the store item equals the
host's of the installed tree), changed in one rename, given back as they were (a directory
that existed, or nothing), and every executor run again after an interruption gives the same
result."""

import os
import stat

from lispdeploy.hostside import trees
from lispdeploy.hostside.apply import Context, executor
from lispdeploy.hostside.contract import Facts, Manifest, SpecialFile
from lispdeploy.hostside.facts import file_fact
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import plan

NOBODY = (65534, 65534)


def store_item(tmp_path, name, files):
    """A directory laid out as the store keeps one (read-only, 0444/0555), and its entries as
    the controller's StoreItem holds them."""
    root = tmp_path / "store" / name
    entries = []
    for relative, (content, executable) in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        path.chmod(0o555 if executable else 0o444)
        entries.append((relative, content.encode(), executable))
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o555)
    return str(root), entries


def wanted(path, item, mode=0o755, user="root", group="root"):
    location, entries = item
    return SpecialFile(path=str(path), item=location, directory=True, mode=f"{mode:04o}",
                       user=user, group=group,
                       digest=trees.wanted_digest(entries, mode, user, group))


def changes(state, *directories):
    """The directory changes planned for a generation wanting `directories`."""
    m = Manifest(host_name="web", timezone="UTC", locale="C.UTF-8", files=list(directories))
    facts = Facts(files={p: file_fact(p) for p in state.originals},
                  trees={d.path: trees.tree_fact(d) for d in directories})
    return [c for c in plan(m, facts, state, {}) if c.kind == "directory"]


def make(state, planned):
    for change in planned:
        executor(change)(change.args, Context(state))
    return [(c.action, c.name) for c in planned]


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
    first = wanted(site, v1, 0o750, "nobody", "nogroup")
    planned = changes(state, first)
    assert [(c.action, c.detail) for c in planned] == [("add", "a copy of v1")]
    make(state, planned)
    assert modes(site) == {"index.html": ("0o644", *NOBODY), "cgi": ("0o750", *NOBODY),
                           "cgi/run": ("0o755", *NOBODY)}
    assert oct(stat.S_IMODE(os.stat(site).st_mode)) == "0o750"
    # The digest the controller computed is the one of the tree now on disk.
    assert trees.tree_fact(first).digest == first.digest
    assert changes(state, first) == []

    # A file changed by hand is put back; a new generation's tree replaces the old one.
    (site / "index.html").chmod(0o666)
    (site / "index.html").write_text("edited\n")
    (site / "stray").write_text("x")
    planned = changes(state, first)
    assert [(c.action, c.detail) for c in planned] == [
        ("change", "index.html: mode or owner; stray: not in the generation")]
    make(state, planned)
    assert (site / "index.html").read_text() == "one\n" and not (site / "stray").exists()
    v2 = store_item(tmp_path, "v2", {"index.html": ("two\n", False)})
    second = wanted(site, v2)
    assert make(state, changes(state, second)) == [("change", str(site))]
    assert sorted(os.listdir(site)) == ["index.html"]
    assert (site / "index.html").read_text() == "two\n"
    assert sorted(os.listdir(site.parent)) == ["site"]       # no leftovers beside it

    # No generation wants it: it was not there before, so it goes.
    assert make(state, changes(state)) == [("remove", str(site))]
    assert not site.exists() and state.originals == {}


def test_an_existing_directory_is_given_back(tmp_path):
    state = HostState(root=str(tmp_path / "state"))
    www = tmp_path / "var" / "www"
    (www / "old").mkdir(parents=True)
    (www / "old" / "page.html").write_text("the host's own page\n")
    os.chown(www / "old" / "page.html", *NOBODY)
    before = modes(www)
    site = wanted(www, store_item(tmp_path, "site", {"index.html": ("ours\n", False)}))
    planned = changes(state, site)
    assert [(c.action, c.detail) for c in planned] == [
        ("change", "index.html: missing; old: not in the generation; "
                   "old/page.html: not in the generation (what the host has there is kept, "
                   "to be given back)")]
    make(state, planned)
    assert sorted(os.listdir(www)) == ["index.html"]
    planned = changes(state)
    assert [(c.action, c.detail) for c in planned] == [
        ("restore", "give back what was there before lispdeploy")]
    make(state, planned)
    assert (www / "old" / "page.html").read_text() == "the host's own page\n"
    assert modes(www) == before
    assert state.originals == {}


def test_interrupted_executors_finish_when_run_again(tmp_path):
    state = HostState(root=str(tmp_path / "state"))
    www = tmp_path / "www"
    www.mkdir()
    (www / "mine.html").write_text("the host's\n")
    site = wanted(www, store_item(tmp_path, "site", {"index.html": ("ours\n", False)}))
    (install,) = changes(state, site)

    # Cut off after recording the original, before moving it away.
    state.originals[str(www)] = {"kind": "moved", "tree": True,
                                 "backup": trees._backup_path(state, str(www))}
    state.save()
    make(state, [install])
    assert sorted(os.listdir(www)) == ["index.html"]

    # Cut off between moving the old tree aside and renaming the new one into place.
    os.rename(www, tmp_path / ".lispdeploy-old-www")
    (tmp_path / ".lispdeploy-new-www").mkdir()
    make(state, [install])
    assert sorted(os.listdir(www)) == ["index.html"]
    assert sorted(os.listdir(tmp_path)) == ["state", "store", "www"]

    # A restore cut off after the original came back, before the record was dropped.
    backup = state.originals[str(www)]["backup"]
    (restore,) = changes(state)
    os.rename(www, tmp_path / "ours")
    os.rename(backup, www)
    make(state, [restore])
    assert sorted(os.listdir(www)) == ["mine.html"] and state.originals == {}
    # ... and a generation wanting the directory again takes it from there.
    make(state, changes(state, site))
    assert sorted(os.listdir(www)) == ["index.html"]
    make(state, changes(state))
    assert (www / "mine.html").read_text() == "the host's\n"


def test_a_tree_too_large_to_list_is_replaced(tmp_path, monkeypatch):
    state = HostState(root=str(tmp_path / "state"))
    site = wanted(tmp_path / "site", store_item(tmp_path, "s", {"a": ("a\n", False),
                                                                "b": ("b\n", False)}))
    make(state, changes(state, site))
    monkeypatch.setattr(trees, "MAX_ENTRIES", 2)
    fact = trees.tree_fact(site)
    assert (fact.kind, fact.digest) == ("directory", None)
    assert [(c.action, c.detail) for c in changes(state, site)] == [
        ("change", "becomes a copy of s")]
