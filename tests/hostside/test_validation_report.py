"""The host's half of the `validate` safety check: a file's checker runs only for a file the
deploy would change."""

from lispdeploy.hostside.safety import report


def test_a_checker_runs_for_new_or_changed_content_only(tmp_path):
    target = tmp_path / "deploy"
    argv = ["/bin/sh", "-c", "echo 'parse error in the file' >&2; exit 1"]

    def validated(content):
        return report({"validate": [{"path": str(target), "argv": argv,
                                     "content": content}]})["validate"][0]

    absent = validated("%deploy ALL=(ALL) NOPASSWD: ALL\n")
    assert absent["ran"] and not absent["ok"]
    assert absent["output"] == "parse error in the file"

    target.write_text("%deploy ALL=(ALL) NOPASSWD: ALL\n")
    assert validated("%deploy ALL=(ALL) NOPASSWD: ALL\n") == {
        "path": str(target), "ran": False, "ok": True, "unchanged": True}
    changed = validated("%deploy ALL=(ALL) ALL\n")
    assert changed["ran"] and not changed["ok"]

    # A link to a file with that content is not the file: the deploy replaces it.
    real = tmp_path / "real"
    real.write_text("x\n")
    target.unlink()
    target.symlink_to(real)
    assert validated("x\n")["ran"]


def test_the_file_is_given_to_the_checker_in_place_of_braces(tmp_path):
    target = tmp_path / "motd"
    answer = report({"validate": [{"path": str(target), "argv": ["/bin/grep", "-q", "hello", "{}"],
                                   "content": "hello\n"}]})["validate"][0]
    assert answer["ran"] and answer["ok"]
