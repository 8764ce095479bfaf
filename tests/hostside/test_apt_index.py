"""The host half of the package check: what apt's cache says of declared packages, read from
`apt-cache policy` as apt prints it, and which declarations apt could not install."""

from __future__ import annotations

import pytest

from lispdeploy.hostside.apt_index import Known, has_lists, parse_policy, unresolved

# apt-cache policy bash nginx mail-transport-agent nonexistent (Debian 12, LC_ALL=C): an
# installed package with an update, a package not installed, a virtual package; the unknown
# name prints nothing.
POLICY = """\
bash:
  Installed: 5.2.15-2+b8
  Candidate: 5.2.15-2+b13
  Version table:
     5.2.15-2+b13 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
 *** 5.2.15-2+b8 100
        100 /var/lib/dpkg/status
nginx:
  Installed: (none)
  Candidate: 1.22.1-9+deb12u11
  Version table:
     1.22.1-9+deb12u11 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     1.22.1-9 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
mail-transport-agent:
  Installed: (none)
  Candidate: (none)
  Version table:
pinned-away:
  Installed: (none)
  Candidate: (none)
  Version table:
     2.0-1 -1
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
"""


def test_policy_output_is_read_into_candidates_and_versions():
    known = parse_policy(POLICY)
    assert sorted(known) == ["bash", "mail-transport-agent", "nginx", "pinned-away"]
    assert known["bash"].candidate == "5.2.15-2+b13"
    assert known["bash"].versions == ["5.2.15-2+b13", "5.2.15-2+b8"]
    assert known["nginx"].versions == ["1.22.1-9+deb12u11", "1.22.1-9"]
    assert known["mail-transport-agent"].candidate is None
    assert known["mail-transport-agent"].versions == []
    assert known["pinned-away"].candidate is None
    assert known["pinned-away"].versions == ["2.0-1"]
    assert parse_policy("") == {}


CASES = [
    # (name, pin), what apt knows -> the problem, or None
    (("nginx", None), {"nginx": Known("1.22.1-9", ["1.22.1-9"])}, None),
    (("nginx", "1.22.1-9"), {"nginx": Known("1.22.1-9", ["1.22.1-9"])}, None),
    (("nginx", "1.22.*"), {"nginx": Known("1.22.1-9", ["1.22.1-9"])}, None),
    (("nginx", "1.24.0-1"), {"nginx": Known("1.22.1-9", ["1.22.1-9", "1.22.1-8"])},
     {"name": "nginx", "kind": "version", "version": "1.24.0-1",
      "offered": ["1.22.1-9", "1.22.1-8"]}),
    (("nginxx", None), {}, {"name": "nginxx", "kind": "unknown"}),
    # Virtual, or only named by another package's dependencies: no version to install.
    (("mail-transport-agent", None), {"mail-transport-agent": Known(None, [])},
     {"name": "mail-transport-agent", "kind": "unknown"}),
    (("pinned-away", None), {"pinned-away": Known(None, ["2.0-1"])},
     {"name": "pinned-away", "kind": "no-candidate", "offered": ["2.0-1"]}),
    # A pin chooses among the versions whatever the candidate.
    (("pinned-away", "2.0-1"), {"pinned-away": Known(None, ["2.0-1"])}, None),
]


@pytest.mark.parametrize("pending, known, problem", CASES,
                         ids=[f"{c[0][0]}@{c[0][1]}" for c in CASES])
def test_declarations_apt_cannot_install(pending, known, problem):
    assert unresolved([pending], known) == ([problem] if problem else [])


def test_lists_are_the_packages_files_compressed_or_not(tmp_path):
    assert not has_lists(str(tmp_path))
    assert not has_lists(str(tmp_path / "missing"))
    (tmp_path / "lock").write_text("")
    (tmp_path / "partial").mkdir()
    assert not has_lists(str(tmp_path))
    (tmp_path / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"
     ).write_text("")
    assert has_lists(str(tmp_path))
