"""The probe's list of compiled locales comes from glibc's files, as `locale -a` reads them,
without running it: the archive written by localedef, and the locale directories (on a host,
and in an image's files for a dry run of a host not created yet)."""

from __future__ import annotations

import subprocess

from lispdeploy.hostside import facts


def test_the_archive_localedef_writes_is_read_as_locale_a_reads_it(tmp_path):
    # A real archive: localedef compiles a locale into a tree of its own (a few seconds).
    (tmp_path / "usr/lib/locale").mkdir(parents=True)
    subprocess.run(["localedef", "-i", "en_US", "-f", "UTF-8", f"--prefix={tmp_path}",
                    "xx_XX.UTF-8"], check=True, capture_output=True)
    archive = tmp_path / "usr/lib/locale/locale-archive"
    assert facts.archive_locales(str(archive)) == {"xx_XX.utf8"}
    assert facts.archive_locales(str(tmp_path / "none")) == set()
    junk = tmp_path / "junk"
    junk.write_bytes(b"not an archive at all")
    assert facts.archive_locales(str(junk)) is None
    # An image's files: the archive's locale is seen offline too.
    assert facts.image_locales(str(tmp_path)) == ["c", "posix", "xx_xx.utf8"]


def test_this_machines_locales_match_locale_a():
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert facts.available_locales() == sorted({facts.normalize_locale(n) for n in listed})
