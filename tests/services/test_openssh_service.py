"""openssh-service-type: the sshd_config it writes (golden), checked by the real sshd, the
precedence of the spec's settings over host drop-ins, listen addresses and authorized keys."""

import os

from systems import (SPECS_DIR, assert_golden, build, build_path, etc_entry, etc_text,
                     fresh_spec_cache, host_key, os_spec, require, run, save,  # noqa: F401
                     unit_entry, where)

import pytest

from lispdeploy.errors import LispdeployError

SSH = "(use-service-modules ssh)"
HOME_SERVER = os.path.join(SPECS_DIR, "home-server.hy")


def sshd_effective(tmp_path, config_text, drop_in=None):
    """sshd's effective settings (`sshd -T`) for a config, with the Include pointed at a
    directory of this test holding `drop_in` (the machine's own /etc/ssh is not touched)."""
    directory = tmp_path / "sshd_config.d"
    directory.mkdir(exist_ok=True)
    if drop_in is not None:
        save(directory, "00-host.conf", drop_in)
    text = config_text.replace("Include /etc/ssh/sshd_config.d/*.conf",
                               f"Include {directory}/*.conf")
    config = save(tmp_path, "sshd_config.effective", text)
    result = run([require("/usr/sbin/sshd"), "-T", "-f", config,
                  "-o", f"HostKey={host_key(tmp_path)}"])
    assert result.returncode == 0, result.stderr
    settings = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        settings.setdefault(key, []).append(value)
    return settings


def test_home_server_sshd_config_golden_and_valid(tmp_path):
    system = build_path(HOME_SERVER, listen_address="127.0.10.7")
    text = etc_text(system, "ssh/sshd_config")
    assert_golden("home-server.sshd_config", text)
    config = save(tmp_path, "sshd_config", text)
    result = run([require("/usr/sbin/sshd"), "-t", "-f", config,
                  "-o", f"HostKey={host_key(tmp_path)}"])
    assert result.returncode == 0, result.stderr
    assert etc_entry(system, "ssh/sshd_config")["validate"] == ["/usr/sbin/sshd", "-t", "-f",
                                                                "{}"]


def test_home_server_runs_debians_ssh_unit():
    system = build_path(HOME_SERVER)
    assert unit_entry(system, "ssh.service") == {"name": "ssh.service", "item": None,
                                                  "enable": True, "start": True,
                                                  "watch": [],
                                                  "reload": ["ssh/sshd_config"],
                                                  "packages": ["openssh-server"]}
    assert {"name": "openssh-server", "version": None} in system.manifest["packages"]


def test_declared_settings_win_over_drop_ins_and_defaults_do_not(tmp_path):
    # What a container host's drop-in says (see environments/container/disk.py).
    drop_in = ("ListenAddress 127.0.10.7:22\nHostKey /etc/ssh/ssh_host_ed25519_key\n"
               "PermitRootLogin prohibit-password\nPasswordAuthentication no\n")
    system = build_path(HOME_SERVER, listen_address="127.0.10.7")
    settings = sshd_effective(tmp_path, etc_text(system, "ssh/sshd_config"), drop_in)
    assert settings["permitrootlogin"] == ["yes"]            # the spec says #t
    assert settings["passwordauthentication"] == ["no"]      # a default: the host's drop-in wins
    assert "/etc/ssh/ssh_host_ed25519_key" in settings["hostkey"]
    assert settings["listenaddress"][0] == "127.0.10.7:22"
    assert settings["x11forwarding"] == ["no"]


def test_no_listen_address_listens_everywhere(tmp_path):
    system = build(tmp_path, os_spec("(list (service openssh-service-type))", preamble=SSH))
    text = etc_text(system, "ssh/sshd_config")
    assert "ListenAddress" not in text
    assert sshd_effective(tmp_path, text)["listenaddress"] == ["[::]:22", "0.0.0.0:22"]


def test_listen_address_takes_the_port(tmp_path):
    system = build(tmp_path, os_spec(
        "(list (service openssh-service-type (openssh-configuration (port-number 2222))))",
        preamble=SSH), listen_address="127.0.10.9")
    settings = sshd_effective(tmp_path, etc_text(system, "ssh/sshd_config"))
    assert settings["listenaddress"] == ["127.0.10.9:2222"]


def test_the_spec_s_own_addresses_are_kept(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service openssh-service-type
                       (openssh-configuration
                         (listen-addresses '("127.0.0.1" "[::1]:2200")))))""", preamble=SSH),
        listen_address="127.0.10.9")
    text = etc_text(system, "ssh/sshd_config")
    assert "ListenAddress 127.0.0.1\nListenAddress [::1]:2200\n" in text
    assert "127.0.10.9" not in text
    system = build(tmp_path, os_spec("""
        (list (service openssh-service-type
                       (openssh-configuration
                         (extra-content "ListenAddress 127.0.0.2\\n"))))""", preamble=SSH),
        listen_address="127.0.10.9")
    assert "127.0.10.9" not in etc_text(system, "ssh/sshd_config")


def test_extra_content_match_blocks_go_last(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service openssh-service-type
                       (openssh-configuration
                         (extra-content
                           "MaxAuthTries 3\\nMatch User backup\\n  ForceCommand /bin/false\\n"))))""",
                                     preamble=SSH))
    text = etc_text(system, "ssh/sshd_config")
    assert text.index("MaxAuthTries 3") < text.index("Include ")
    assert text.rstrip().endswith("Match User backup\n  ForceCommand /bin/false")
    settings = sshd_effective(tmp_path, text)
    assert settings["maxauthtries"] == ["3"]
    assert settings["subsystem"] == ["sftp internal-sftp"]


def test_authorized_keys_are_collected_per_user(tmp_path):
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ alice"
    save(tmp_path, "alice.pub", key + "\n")
    system = build(tmp_path, os_spec("""
        (list (service openssh-service-type
                       (openssh-configuration
                         (authorized-keys (list (list "alice" (local-file "alice.pub"))))))
              (simple-service 'more-keys openssh-service-type
                              (list (list "alice" "ssh-ed25519 AAAA second")
                                    (list "bob" "ssh-ed25519 AAAA bob"))))""", preamble=SSH))
    assert etc_text(system, "ssh/authorized_keys.d/alice") == key + "\nssh-ed25519 AAAA second\n"
    assert etc_text(system, "ssh/authorized_keys.d/bob") == "ssh-ed25519 AAAA bob\n"
    assert ("AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2 "
            "/etc/ssh/authorized_keys.d/%u\n") in etc_text(system, "ssh/sshd_config")


def test_permit_root_login_values(tmp_path):
    # sshd -T shows prohibit-password by its older name, without-password.
    for value, written, shown in (("#t", "yes", "yes"), ("#f", "no", "no"),
                                  ("'prohibit-password", "prohibit-password", "without-password"),
                                  ("'without-password", "prohibit-password", "without-password")):
        system = build(tmp_path, os_spec(
            f"(list (service openssh-service-type (openssh-configuration "
            f"(permit-root-login {value}))))", preamble=SSH))
        text = etc_text(system, "ssh/sshd_config")
        assert f"PermitRootLogin {written}\n" in text
        assert sshd_effective(tmp_path, text)["permitrootlogin"] == [shown]


def test_a_wrong_permit_root_login_names_the_field(tmp_path):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(
            "(list (service openssh-service-type (openssh-configuration "
            "(permit-root-login 'sometimes))))", preamble=SSH))
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(permit-root-login')}: error: openssh-configuration: field "
        "'permit-root-login' expects #t, #f, 'prohibit-password or 'forced-commands-only, got "
        "symbol 'sometimes")
