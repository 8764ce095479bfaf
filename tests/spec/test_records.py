"""Records in specs: clauses, defaults, inherit, thunked fields, locations, aliases."""

import os

from spec_helpers import MACHINE_TAIL


def test_defaults_and_required_fields(load):
    spec = load('(define os (operating-system (host-name "h")))' + MACHINE_TAIL)
    os_ = spec.machines[0].operating_system
    assert (os_.timezone, os_.locale) == ("Etc/UTC", "en_US.utf8")
    cfg = spec.machines[0].configuration
    assert (cfg.port, cfg.user, cfg.identity, cfg.host_key) == (22, "root", None, None)
    assert (cfg.build_locally, cfg.authorize, cfg.allow_downgrades, cfg.safety_checks) == (
        True, True, False, True)


def test_inherit_copies_and_overrides_but_not_location(load, write_spec):
    spec = load("""
        (define base (operating-system (host-name "base") (timezone "Europe/Paris")))
        (define os
          (operating-system
            (inherit base)
            (host-name "derived")))""" + MACHINE_TAIL)
    os_ = spec.machines[0].operating_system
    assert (os_.host_name, os_.timezone) == ("derived", "Europe/Paris")
    assert (os_.location.line, os_.location.column) == (3, 11)


def test_thunked_field_follows_inherit(load):
    spec = load("""
        (define alice (user-account (name "alice")))
        (define bob (user-account (inherit alice) (name "bob")))
        (define os (operating-system (host-name "h") (users (list alice bob))))""" + MACHINE_TAIL)
    alice, bob = spec.machines[0].operating_system.users
    assert alice.home_directory == "/home/alice"
    assert bob.home_directory == "/home/bob"


def test_field_refers_to_earlier_field_of_same_form(load):
    spec = load("""
        (define os
          (operating-system
            (host-name "h")
            (keyboard-layout (keyboard-layout "us" "altgr-intl"))
            (bootloader (bootloader-configuration
                         (bootloader grub-bootloader)
                         (target "/dev/sda")
                         (keyboard-layout keyboard-layout)))))""" + MACHINE_TAIL)
    os_ = spec.machines[0].operating_system
    assert os_.bootloader.keyboard_layout is os_.keyboard_layout
    assert os_.bootloader.keyboard_layout.variant == "altgr-intl"
    assert os_.bootloader.targets == ("/dev/sda",)


def test_system_is_the_older_spelling_of_operating_system(load):
    spec = load("""
        (list (machine
               (system (operating-system (host-name "old-style")))
               (environment managed-host-environment-type)
               (configuration (machine-ssh-configuration (host-name "h") (system "x86_64-linux")))))
    """)
    assert spec.machines[0].operating_system.host_name == "old-style"


def test_question_mark_fields_both_spellings(load):
    spec = load("""
        (define os (operating-system (host-name "h")))
        (list (machine (operating-system os) (environment managed-host-environment-type)
                (configuration (machine-ssh-configuration (host-name "h") (system "x86_64-linux")
                                 (allow-downgrades? #t) (safety-checks #f)))))""")
    cfg = spec.machines[0].configuration
    assert cfg.allow_downgrades is True and cfg.safety_checks is False


def test_records_remember_their_location(load):
    spec = load("""
        (define os
          (operating-system
            (host-name "h")
            (users (list (user-account (name "u"))))))""" + MACHINE_TAIL)
    user = spec.machines[0].operating_system.users[0]
    assert (user.location.line, user.location.column) == (4, 26)
    assert user.location.file.endswith("spec.hy")


def test_local_file_is_relative_to_the_spec_directory(load, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "motd").write_text("hello\n")
    cwd = os.getcwd()
    os.chdir("/")
    try:
        spec = load("""
            (define os (operating-system (host-name "h")
                         (hosts-file (local-file "files/motd"))))""" + MACHINE_TAIL)
    finally:
        os.chdir(cwd)
    f = spec.machines[0].operating_system.hosts_file
    assert f.file == str(tmp_path / "files" / "motd") and f.name == "motd"


def test_file_likes(load):
    spec = load("""
        (define motd (plain-file "motd" "hi"))
        (define os (operating-system (host-name "h")
                     (hosts-file (mixed-text-file "hosts" "127.0.0.1 " "localhost\\n"))))
        (define result (list motd (file-append motd "/x")))""" + MACHINE_TAIL)
    motd, appended = spec.module.__dict__["result"]
    assert (motd.name, motd.content) == ("motd", "hi")
    assert appended.base is motd and appended.suffix == "/x"
    assert spec.machines[0].operating_system.hosts_file.texts == ("127.0.0.1 ", "localhost\n")
