"""The SSH transport against real container hosts: strict host keys, identities, unreachable
and silent hosts, non-root users through sudo, and hosts without python3. Every error names
the host and the reason."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from lispdeploy.errors import ConnectionError_, HostError
from lispdeploy.gexp.program import function_call
from lispdeploy.remote.eval import remote_eval
from lispdeploy.remote.ssh import SshTransport
from lispdeploy.spec.loader import evaluate, load_spec
from remote_hosts import UNREACHABLE_ADDRESS, host_run, machine_form


def ssh_keygen_fingerprint(public_key_line: str, tmp_path) -> str:
    path = tmp_path / "key.pub"
    path.write_text(public_key_line + "\n")
    out = subprocess.run(["ssh-keygen", "-lf", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return out.split()[1]


def test_a_pinned_host_key_lets_the_connection_through(shared_fleet, connect):
    (host,) = shared_fleet(1)
    transport = connect(host)
    assert host_run(transport, ["cat", "/etc/hostname"]).strip() == host.host_name
    assert (transport.connections, transport.round_trips) == (1, 1)


def test_a_host_key_mismatch_is_refused(shared_fleet, tmp_path):
    web, other = shared_fleet(2)
    with pytest.raises(ConnectionError_) as raised:
        SshTransport.connect(web.address, identity=web.identity, host_key=other.host_key,
                             name="web")
    error = raised.value
    assert error.host == "web"
    assert "HOST KEY MISMATCH" in error.message
    assert ssh_keygen_fingerprint(web.host_key, tmp_path) in error.message
    assert ssh_keygen_fingerprint(other.host_key, tmp_path) in error.message
    assert f'(host-key "{web.host_key}")' in error.hint


def test_an_unknown_host_key_is_refused_with_its_fingerprint(shared_fleet, tmp_path):
    (host,) = shared_fleet(1)
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(ConnectionError_) as raised:
        SshTransport.connect(host.address, identity=host.identity, name="web",
                             known_hosts=[str(empty)])
    error = raised.value
    assert "host key is unknown" in error.message
    assert ssh_keygen_fingerprint(host.host_key, tmp_path) in error.message
    assert f'(host-key "{host.host_key}")' in error.hint
    assert empty.read_text() == ""  # never written: nothing is accepted silently


def test_known_hosts_is_used_without_a_pinned_key(shared_fleet, tmp_path):
    web, other = shared_fleet(2)
    known = tmp_path / "known_hosts"
    known.write_text(web.known_hosts_line() + "\n")
    with SshTransport.connect(web.address, identity=web.identity, name="web",
                              known_hosts=[str(known)]) as transport:
        assert host_run(transport, ["hostname"]).strip() == web.host_name
    # A known_hosts entry with another key for the same address is a mismatch.
    known.write_text(f"{web.address} {other.host_key}\n")
    with pytest.raises(ConnectionError_, match="HOST KEY MISMATCH"):
        SshTransport.connect(web.address, identity=web.identity, name="web",
                             known_hosts=[str(known)])


def test_a_wrong_identity_is_refused(shared_fleet, tmp_path):
    (host,) = shared_fleet(1)
    key = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with pytest.raises(ConnectionError_) as raised:
        SshTransport.connect(host.address, identity=str(key), host_key=host.host_key,
                             name="web")
    error = raised.value
    assert error.message == (f"cannot connect to {host.address}: authentication failed for "
                             f"user root with the key {key}")
    assert "authorized_keys" in error.hint
    with pytest.raises(ConnectionError_, match="identity file .* does not exist"):
        SshTransport.connect(host.address, identity=str(tmp_path / "missing"),
                             host_key=host.host_key, name="web")


def test_an_unreachable_host_is_named_with_the_reason():
    started = time.monotonic()
    with pytest.raises(ConnectionError_) as raised:
        SshTransport.connect(UNREACHABLE_ADDRESS, name="ghost", timeout=5)
    assert raised.value.host == "ghost"
    assert raised.value.render().startswith(
        f"ghost: error: cannot connect to {UNREACHABLE_ADDRESS}: connection refused")
    assert time.monotonic() - started < 5


def test_a_silent_server_times_out():
    # Listening, but never speaking SSH: the kernel accepts the connection, nobody answers.
    with socket.socket() as server:
        server.bind(("127.0.250.78", 0))
        server.listen(1)
        port = server.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ConnectionError_) as raised:
            SshTransport.connect("127.0.250.78", port=port, name="mute", timeout=1.5)
        assert time.monotonic() - started < 10
    assert raised.value.host == "mute"
    assert raised.value.message.startswith(
        f"cannot connect to 127.0.250.78:{port}: timed out after 1.5 s waiting for the SSH ")


USERS = """
(define (add-users authorized-keys)
  #~(do
      (for [user ["alice" "bob"]]
        (invoke "useradd" "--create-home" "--shell" "/bin/sh" user)
        (mkdir-p (+ "/home/" user "/.ssh"))
        (copy-file #$authorized-keys (+ "/home/" user "/.ssh/authorized_keys"))
        (invoke "chown" "-R" (+ user ":" user) (+ "/home/" user "/.ssh")))
      (call-with-output-file "/etc/sudoers.d/lispdeploy-test"
        (fn [port] (display "alice ALL=(ALL) NOPASSWD: ALL\\nbob ALL=(ALL) ALL\\n" port)))
      (chmod "/etc/sudoers.d/lispdeploy-test" 0o440)))
"""


def test_a_non_root_user_runs_programs_through_sudo(fleet, write_spec, connect):
    (host,) = fleet(1)
    spec = load_spec(write_spec({"web": machine_form("web", host)}, USERS))
    # A minimal host has no sudo: install it as its administrator would.
    host_run(connect(host), ["sh", "-c", "apt-get update -q && apt-get install -y -q sudo"])
    remote_eval(connect(host), spec.module.add_users("/root/.ssh/authorized_keys"))

    alice = connect(host, user="alice")
    whoami = evaluate(spec, "#~(do (import os) [(os.getuid) (os.environ.get \"SUDO_USER\")])")
    assert remote_eval(alice, whoami) == [0, "alice"]
    # Plain commands run as the user; only the runner goes through sudo.
    assert host_run(alice, ["id", "-un"]).strip() == "alice"

    bob = connect(host, user="bob")
    with pytest.raises(ConnectionError_) as raised:
        remote_eval(bob, whoami)
    assert raised.value.message == (f"user bob cannot run commands as root on {host.host_name} "
                                    "without a password (sudo -n refused)")
    assert "NOPASSWD" in raised.value.hint


def test_a_host_without_python3_says_so(fleet, connect):
    (host,) = fleet(1)
    transport = connect(host)
    # Every python3 the host's SSH commands would find: /usr/bin/python3, or a version
    # manager's shim, which the shell's start-up file puts on the PATH (and recreates).
    for attempt in range(5):
        found = transport.execute(["sh", "-c", "command -v python3"]).stdout.decode().strip()
        if not found:
            break
        if "/shims/" in found:
            host_run(transport, ["truncate", "-s", "0", "/root/.bashrc"])
        else:
            host_run(transport, ["rm", found])
    with pytest.raises(HostError) as raised:
        remote_eval(transport, function_call("lispdeploy.hostside.build_utils.which", "ls"))
    assert raised.value.message == (f"{host.host_name} has no python3 (or it is not on the "
                                    "PATH of SSH commands)")
    assert "apt-get install python3" in raised.value.hint


def test_a_chatty_login_shell_does_not_disturb_results(fleet, connect):
    (host,) = fleet(1)
    transport = connect(host)
    host_run(transport, ["sh", "-c", "echo 'echo Welcome to the host; echo {\\\"not\\\": 1}' "
                                     ">> /root/.bashrc"])
    assert host_run(transport, ["true"]).startswith("Welcome to the host")
    gexp = function_call("lispdeploy.hostside.build_utils.which", "sh")
    assert remote_eval(transport, gexp).endswith("/sh")
