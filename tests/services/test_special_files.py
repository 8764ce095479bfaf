"""special-files-service-type and extra-special-file: files and whole directories anywhere
outside /etc, with owner, group and mode, in the manifest's "files" section; the paths it
refuses (the hierarchy's own directories, virtual file systems, lispdeploy's directory)."""

from systems import (build, fresh_spec_cache, items_by_path, os_spec, where)  # noqa: F401

import pytest

from lispdeploy.errors import LispdeployError


def site(tmp_path):
    (tmp_path / "site" / "css").mkdir(parents=True)
    (tmp_path / "site" / "index.html").write_text("<h1>hi</h1>\n")
    (tmp_path / "site" / "css" / "main.css").write_text("h1 { color: teal }\n")


def files_of(system):
    return {f["path"]: f for f in system.manifest["files"]}


def test_files_and_directories_anywhere(tmp_path):
    site(tmp_path)
    system = build(tmp_path, os_spec("""
        (list (service special-files-service-type
                (list (list "/srv/www/site" (local-file "site" #:recursive? #t))
                      (special-file (path "/usr/local/bin/hello")
                                    (file (program-file "hello" #~(display "hello\\n"))))))
              (extra-special-file "/var/www/robots.txt"
                                  (plain-file "robots.txt" "User-agent: *\\nDisallow:\\n"))
              (simple-service 'secret special-files-service-type
                (list (special-file (path "/opt/app/token") (file (plain-file "token" "s3"))
                                    (mode #o600) (user "nobody") (group "nogroup")))))"""))
    files = files_of(system)
    assert sorted(files) == ["/opt/app/token", "/srv/www/site", "/usr/local/bin/hello",
                             "/var/www/robots.txt"]
    items = items_by_path(system)
    tree = files["/srv/www/site"]
    assert (tree["directory"], tree["mode"], tree["user"], tree["group"]) == (
        True, "0755", "root", "root")
    assert [e[0] for e in items[tree["item"]].entries] == ["css/main.css", "index.html"]
    assert (files["/usr/local/bin/hello"]["directory"], files["/usr/local/bin/hello"]["mode"]) \
        == (False, "0755")
    assert files["/var/www/robots.txt"]["mode"] == "0644"
    assert items[files["/var/www/robots.txt"]["item"]].text() == "User-agent: *\nDisallow:\n"
    token = files["/opt/app/token"]
    assert (token["mode"], token["user"], token["group"]) == ("0600", "nobody", "nogroup")
    # A file others may not read is a private store item (0400 on the host), as /etc's are.
    assert items[token["item"]].private
    assert not items[files["/var/www/robots.txt"]["item"]].private
    # Every item travels with the system.
    assert all(f["item"] in system.manifest["items"] for f in files.values())


def test_a_unit_may_watch_a_special_file(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (extra-special-file "/opt/app/app.conf" (plain-file "app.conf" "x=1\\n"))
              (simple-service 'app shepherd-root-service-type
                (list (systemd-unit (name "cron.service") (watch '("/opt/app/app.conf"))))))"""))
    units = {u["name"]: u for u in system.manifest["units"]}
    assert units["cron.service"]["watch"] == ["/opt/app/app.conf"]


@pytest.mark.parametrize("path, message", [
    ("/usr", "expects a path inside /usr, not /usr itself"),
    ("/", "expects an absolute path such as"),
    ("srv/x", "expects an absolute path such as"),
    ("/srv/../etc/x", "expects an absolute path such as"),
    ("/proc/sys/x", "expects a path outside /proc (a virtual file system"),
    ("/run/app.pid", "expects a path outside /run"),
    ("/var/lib/lispdeploy/store/x", "expects a path outside /var/lib/lispdeploy (lispdeploy's"),
])
def test_refused_paths(tmp_path, path, message):
    text = os_spec(f'(list (extra-special-file "{path}" (plain-file "x" "x")))')
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    rendered = e.value.render()
    # Located at the declaration, the rule it breaks said directly, and where such files go.
    assert e.value.location is not None and str(e.value.location).startswith(str(tmp_path))
    assert f"field 'path' {message}" in rendered
    assert "hint: a special file goes inside a directory of its own, e.g. " in rendered


def test_a_secret_file_is_never_a_special_file(tmp_path):
    (tmp_path / "key").write_text("s3cret\n")
    text = os_spec('(list (extra-special-file "/opt/app/key" (secret-file "key" #:file "key")))')
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    rendered = e.value.render()
    assert e.value.location is not None
    assert "/opt/app/key: a secret-file goes to /etc only (an etc-file), never into the store" \
        in rendered
    assert "hint: declare it as an etc-file" in rendered


def test_etc_paths_belong_to_etc_service_type(tmp_path):
    text = os_spec('(list (extra-special-file "/etc/app.conf" (plain-file "x" "x")))')
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    rendered = e.value.render()
    assert "/etc/app.conf is under /etc: 'special-file-/etc/app.conf'" in rendered
    assert "must give it to etc-service-type" in rendered


def test_nested_and_twice_declared_paths(tmp_path):
    site(tmp_path)
    text = os_spec("""
        (list (extra-special-file "/srv/www" (local-file "site" #:recursive? #t))
              (extra-special-file "/srv/www/index.html" (plain-file "i" "x")))""")
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    assert "cannot both be declared (one is inside the other)" in e.value.render()
    text = os_spec("""
        (list (extra-special-file "/srv/a" (plain-file "a" "1"))
              (extra-special-file "/srv/a" (plain-file "a" "2")))""")
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    assert "/srv/a is declared twice" in e.value.render()


def test_guix_systems_own_special_files_stay_debians(tmp_path):
    # A Guix %base-services written out gives /bin/sh and /usr/bin/env (as file-appends of
    # packages, which on Debian name the host's own files): the host's shell is not replaced.
    system = build(tmp_path, os_spec("""
        (cons (service special-files-service-type
                `(("/bin/sh" ,(file-append bash "/bin/sh"))
                  ("/usr/bin/env" ,(file-append coreutils "/bin/env"))
                  ("/srv/motd" ,(plain-file "motd" "hi\\n"))))
              %base-services)"""))  # and next to %base-services, as docs/services.md shows
    assert sorted(files_of(system)) == ["/srv/motd"]


def test_a_link_to_a_host_file_is_refused_with_a_hint(tmp_path):
    text = os_spec("""
        (list (service special-files-service-type
                `(("/usr/local/bin/py" ,(file-append python "/bin/python3")))))""")
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, text)
    rendered = e.value.render()
    assert "/usr/local/bin/py would be a link to /usr/bin/python3, a file on the host" in rendered
    assert "hint: give a file-like (local-file, plain-file, program-file)" in rendered
