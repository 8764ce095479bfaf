"""secret-file on the controller: its content is read only when asked (at deploy time), never
lowered into a store item, absent from the manifest, the built items, `lispdeploy build`'s
output and the spec cache; its default mode is 0600; reading it fails with a located error."""

import json
import os
import secrets as random

import pytest

from spec_helpers import MACHINE_TAIL, run_cli
from systems import build, where, write_spec

from lispdeploy.errors import LispdeployError


def poison() -> str:
    return "POISON-" + random.token_hex(12)


SPEC = """
(use-modules (gnu))
(define os (operating-system (host-name "secret-host")
  (services (cons* (simple-service 'app etc-service-type
                     (list (list "app/db-password" (secret-file "db-password" #:file "pw"))
                           (etc-file (path "app/token")
                                     (file (secret-file "token" #:command '("cat" "tk")))
                                     (user "nobody") (group "nogroup") (mode #o640))))
                   %base-services))))
""" + MACHINE_TAIL


@pytest.fixture
def secret_spec(tmp_path, monkeypatch):
    monkeypatch.setenv("LISPDEPLOY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    values = (poison(), poison())
    (tmp_path / "pw").write_text(values[0])
    (tmp_path / "tk").write_text(values[1])
    return tmp_path, values


def test_a_secret_is_in_no_item_manifest_output_or_cache(secret_spec):
    tmp_path, values = secret_spec
    system = build(tmp_path, SPEC)
    entries = {e["path"]: e for e in system.manifest["etc"]}
    assert entries["app/db-password"] == {"path": "app/db-password", "item": None,
                                          "secret": "db-password", "mode": "0600",
                                          "user": "root", "group": "root", "validate": None,
                                          "validate-early": True}
    assert entries["app/token"]["mode"] == "0640" and entries["app/token"]["user"] == "nobody"
    assert system.secrets["app/db-password"].read() == values[0].encode()
    assert system.secrets["app/token"].read() == values[1].encode()
    for item in system.items:
        blob = item.content if item.content is not None else b"".join(
            c for _, c, _ in item.entries)
        assert not any(v.encode() in blob for v in values), item.path
    done = run_cli("build", "--json", str(tmp_path / "spec.hy"), cwd=str(tmp_path),
                   env={"LISPDEPLOY_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["machines"][0]["host-name"] == "secret-host"
    assert not any(v in done.stdout + done.stderr for v in values)
    for root, _, files in os.walk(tmp_path / "cache"):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            assert not any(v.encode() in data for v in values)


def test_reading_a_secret_fails_where_it_is_declared(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = SPEC.replace('#:file "pw"', '#:file "missing"').replace('("cat" "tk")',
                                                                    '("sh" "-c" "echo locked >&2; exit 3")')
    system = build(tmp_path, text)
    path = str(tmp_path / "spec.hy")
    with pytest.raises(LispdeployError) as e:
        system.secrets["app/db-password"].read()
    assert e.value.render() == (f"{where(path, '(secret-file')}: error: secret-file "
                                f"'db-password': cannot read {tmp_path}/missing: No such file "
                                "or directory")
    with pytest.raises(LispdeployError) as e:
        system.secrets["app/token"].read()
    assert e.value.render() == (f"{where(path, '(secret-file', 2)}: error: secret-file 'token': "
                                "sh -c echo locked >&2; exit 3 failed (exit status 3): locked")


@pytest.mark.parametrize("use,message", [
    ('(list (list "app.conf" (mixed-text-file "app.conf" "password=" pw)))',
     "secret-file 'pw' cannot be part of a store item"),
    ("(list (list \"app.conf\" (computed-file \"c\" #~(call-with-output-file #$output "
     "(lambda (port) (display #$pw port))))))", "secret-file 'pw' cannot be part of a store item"),
])
def test_a_secret_cannot_become_part_of_a_store_item(tmp_path, use, message):
    text = ("(use-modules (gnu))\n(define pw (secret-file \"pw\" #:command '(\"echo\" \"x\")))\n"
            f"(define os (operating-system (host-name \"h\") (services (cons (simple-service "
            f"'app etc-service-type {use}) %base-services))))\n" + MACHINE_TAIL)
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    assert message in e.value.message
    assert e.value.location is not None and e.value.location.line == 2
