"""What the planner does for safety, from hand-written facts (the planner is pure): secrets
planned from the content the controller sends and never put in a change, kept as the host has
them when their content is not sent; files that were private never shown; homes lispdeploy
did not create never chowned or chmodded."""

import hashlib
import json

from lispdeploy.hostside.contract import (EtcFile, Facts, FileFact, HostSettingsFact, Manifest,
                                          User, UserFact)
from lispdeploy.hostside.diffs import MASKED, SECRET
from lispdeploy.hostside.hoststate import HostState
from lispdeploy.hostside.plan import facts_request, plan, settings_files

ITEM = "/var/lib/lispdeploy/store/0001-app.conf"
SECRET_PATH = "/etc/app/db-password"
POISON = b"POISON-old"
ROTATED = b"POISON-new"


def manifest(**fields) -> Manifest:
    return Manifest(**{"host_name": "web", "timezone": "UTC", "locale": "C.UTF-8", **fields})


def settled(m: Manifest, **files) -> Facts:
    """Facts of a host whose host-setting files are what `m` wants, and `files`."""
    facts = Facts(host=HostSettingsFact(hostname=m.host_name, locales=["c.utf8"]))
    for path, wanted in settings_files(m, facts, HostState.of({})).items():
        facts.files[path] = FileFact("symlink", target=wanted.target) if wanted.target else \
            fact(wanted.content)
    facts.files.update(files)
    return facts


def fact(content: bytes, mode: int = 0o644, user: str = "root", group: str = "root"):
    return FileFact("file", sha256=hashlib.sha256(content).hexdigest(), mode=mode, user=user,
                    group=group, text=content.decode() if mode & 0o004 else None)


SECRET_ENTRY = EtcFile("app/db-password", mode="0600", user="app", group="app",
                       secret="db-password")


def changes_of(m, facts, items=None, **kwargs):
    return [c for c in plan(m, facts, HostState.of({}), items or {}, **kwargs)
            if c.kind == "file"]


def test_a_secret_is_written_from_what_the_controller_sends_and_in_no_change():
    m = manifest(etc=[SECRET_ENTRY])
    (change,) = changes_of(m, settled(m), secrets={SECRET_PATH: POISON})
    assert (change.action, change.name, change.detail) == ("add", SECRET_PATH, SECRET)
    assert change.args == {"step": "files", "path": SECRET_PATH, "mode": 0o600, "user": "app",
                           "group": "app", "secret": "db-password"}
    assert b"POISON" not in json.dumps(change.to_json()).encode()


def test_a_rotated_secret_is_a_change_and_the_same_one_none():
    m = manifest(etc=[SECRET_ENTRY])
    on_host = settled(m, **{SECRET_PATH: fact(POISON, 0o600, "app", "app")})
    assert changes_of(m, on_host, secrets={SECRET_PATH: POISON}, current=m) == []
    (change,) = changes_of(m, on_host, secrets={SECRET_PATH: ROTATED}, current=m)
    assert (change.action, change.detail, change.drift) == ("change", SECRET, False)


def test_a_secret_whose_content_is_not_sent_is_kept_or_said_missing():
    m = manifest(etc=[SECRET_ENTRY])
    on_host = settled(m, **{SECRET_PATH: fact(POISON, 0o600, "app", "app")})
    assert changes_of(m, on_host) == []
    (change,) = changes_of(m, settled(m, **{SECRET_PATH: fact(POISON, 0o644)}))
    assert (change.action, change.detail) == ("change", SECRET)
    assert change.args["secret"] == "db-password"
    (change,) = changes_of(m, settled(m))
    assert change.action == "unavailable"
    assert change.detail == "secret 'db-password' is not on the host: deploy the spec to send it"


def test_a_file_that_was_private_is_never_shown():
    before = manifest(etc=[EtcFile("app.conf", item=ITEM, mode="0600")])
    after = manifest(etc=[EtcFile("app.conf", item=ITEM, mode="0644")])
    # Someone made it world-readable on the host: its old text is in the facts.
    facts = settled(after, **{"/etc/app.conf": fact(b"password=POISON\n", 0o644)})
    (change,) = changes_of(after, facts, items={ITEM: b"password=POISON-new\n"},
                           current=before)
    assert change.detail == MASKED and "POISON" not in json.dumps(change.to_json())
    secret_before = manifest(etc=[SECRET_ENTRY])
    gone = manifest()
    facts = settled(gone, **{SECRET_PATH: fact(POISON, 0o644)})
    state = HostState.of({"originals": {SECRET_PATH: {"kind": "absent"}}})
    (change,) = [c for c in plan(gone, facts, state, {}, current=secret_before)
                 if c.kind == "file"]
    assert (change.action, change.detail) == ("remove", MASKED)


def test_a_home_lispdeploy_did_not_create_is_left_as_it_is():
    user = User("web", group="users", home="/srv/web", create_home=True)
    m = manifest(users=[user])
    assert "/srv/web" in facts_request(m, HostState.of({})).paths
    facts = settled(m, **{"/srv/web": FileFact("directory", mode=0o755, user="root",
                                               group="root")})
    (add,) = [c for c in plan(m, facts, HostState.of({}), {}) if c.kind == "user"]
    assert add.args["user"]["create-home"] is False
    assert add.detail.endswith("home /srv/web exists: kept as it is (lispdeploy did not "
                               "create it)")
    # An existing account whose home is there: nothing to do to it either.
    facts.users["web"] = UserFact("web", uid=1001, group="users", home="/srv/web",
                                  shell="/bin/sh", home_exists=True)
    assert [c for c in plan(m, facts, HostState.of({}), {}) if c.kind == "user"] == []
    # A home lispdeploy made, and that went away, is made again.
    facts.files["/srv/web"] = FileFact("absent")
    facts.users["web"].home_exists = False
    state = HostState.of({"homes": {"/srv/web": {"user": "web"}}})
    (make,) = [c for c in plan(m, facts, state, {}) if c.kind == "user"]
    assert make.detail == "create home /srv/web"
