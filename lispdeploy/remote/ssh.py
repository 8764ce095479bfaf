"""SSH transport (paramiko): one connection per host, reused for every command run on it.

Host keys are checked strictly: against the `host-key` of the machine's configuration when it
is given, else against the user's known_hosts (`~/.ssh/known_hosts`, `/etc/ssh/ssh_known_hosts`).
An unknown or changed key is an error that shows the key's SHA256 fingerprint and how to pin
it; nothing is ever accepted silently, nor written to known_hosts. Authentication uses the
`identity` key when given (and only it), else the SSH agent's keys and the default key files.
A user other than root runs privileged commands through `sudo -n --`.

Every paramiko or socket failure becomes a `ConnectionError_` naming the host and the reason.
This is the only module of lispdeploy that imports paramiko.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shlex
import socket
import threading
from typing import Dict, List, Optional, Sequence, Set, Tuple

import paramiko

from lispdeploy.errors import ConnectionError_, HostKeyError
from lispdeploy.location import Location
from lispdeploy.remote.transport import Completed, StderrCallback

# paramiko logs failed handshakes at ERROR level; without a handler of its own, Python would
# print them on the user's terminal next to lispdeploy's own (better) message.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

CONNECT_TIMEOUT = 10.0
KEEPALIVE_INTERVAL = 15
KNOWN_HOSTS_FILES = ("~/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts")
DEFAULT_IDENTITIES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
_STDERR_TAIL = 64 * 1024

# Host key type (as in a public key line) -> the algorithms that negotiate that key.
_HOST_KEY_ALGORITHMS = {
    "ssh-ed25519": ("ssh-ed25519",),
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
}


def command_line(argv: Sequence[str]) -> str:
    """The one place where an argv list becomes shell text (the remote login shell reads the
    command of an SSH exec request): every argument quoted."""
    return shlex.join(list(argv))


def fingerprint(blob: bytes) -> str:
    """The SHA256 fingerprint of a public key blob, as `ssh-keygen -l` shows it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def parse_public_key(line: str) -> Tuple[str, bytes]:
    """(type, blob) of an OpenSSH public key line ("ssh-ed25519 AAAA... comment"); a
    known_hosts line (with host names first) works too."""
    fields = line.split()
    while fields and fields[0] not in _HOST_KEY_ALGORITHMS and not fields[0].startswith(
            ("ssh-", "ecdsa-", "sk-")):
        fields = fields[1:]
    if len(fields) < 2:
        raise ValueError(f"not an OpenSSH public key line: {line!r}")
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except ValueError:
        raise ValueError(f"the key in {line!r} is not valid base64") from None
    return fields[0], blob


class SshTransport:
    """A connected SSH session to one host (see the module docstring). Use `connect`."""

    def __init__(self, transport: paramiko.Transport, *, host: str, user: str,
                 location: Optional[Location]):
        self._transport = transport
        self.host = host
        self.user = user
        self.location = location
        self.connections = 1
        self.round_trips = 0
        self.memo: Dict[str, object] = {}

    @property
    def wire_bytes(self) -> Tuple[int, int]:
        """(sent, received): every byte this connection put on and took off the network,
        SSH's own (handshake, encryption, channels) included."""
        sock = self._transport.sock
        return (sock.sent, sock.received) if isinstance(sock, _CountingSocket) else (0, 0)

    @classmethod
    def connect(cls, host_name: str, *, port: int = 22, user: str = "root",
                identity: Optional[str] = None, host_key: Optional[str] = None,
                name: Optional[str] = None, location: Optional[Location] = None,
                timeout: float = CONNECT_TIMEOUT, keepalive: int = KEEPALIVE_INTERVAL,
                known_hosts: Sequence[str] = KNOWN_HOSTS_FILES,
                host_key_source: Optional[str] = None) -> "SshTransport":
        """Connect to `host_name:port`, check its host key, authenticate as `user`.

        `name` is the host's name in messages (the machine's host name); `location` is the
        spec location of the machine's configuration, for errors it can fix;
        `host_key_source` says in messages where `host_key` comes from when it is not the
        spec's `host-key` (an environment that provisioned the host)."""
        opener = _Opener(host_name, port, user, name or host_name, location, timeout)
        opener.host_key_source = host_key_source
        transport = opener.open_transport(host_key, known_hosts)
        try:
            opener.authenticate(transport, identity)
            transport.set_keepalive(keepalive)
        except BaseException:
            transport.close()
            raise
        return cls(transport, host=opener.name, user=user, location=location)

    def execute(self, argv: Sequence[str], stdin: bytes = b"", *, privileged: bool = False,
                on_stderr: Optional[StderrCallback] = None) -> Completed:
        """Run `argv` on the host (see `Transport.execute`)."""
        sudo = privileged and self.user != "root"
        full = ["sudo", "-n", "--", *argv] if sudo else list(argv)
        self.round_trips += 1
        try:
            channel = self._transport.open_session(timeout=CONNECT_TIMEOUT)
            channel.exec_command(command_line(full))
        except (paramiko.SSHException, EOFError, OSError) as e:
            raise ConnectionError_(f"lost the connection: {_reason(e)}",
                                   host=self.host) from None
        with channel:
            stdout, stderr, status = _exchange(channel, stdin, on_stderr)
        if status < 0:
            raise ConnectionError_(f"lost the connection while running {argv[0]}",
                                   host=self.host)
        if sudo and status != 0 and not stdout:
            self._check_sudo(stderr)
        return Completed(status, stdout, stderr)

    def _check_sudo(self, stderr: bytes) -> None:
        """Raise if sudo itself refused or is missing (not the command it ran)."""
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        text = "\n".join(lines)
        if "sudo: a password is required" in text or "sudo: a terminal is required" in text:
            raise ConnectionError_(
                f"user {self.user} cannot run commands as root on {self.host} without a "
                "password (sudo -n refused)", host=self.host, location=self.location,
                hint=f"allow it on the host (a sudoers line '{self.user} ALL=(ALL) NOPASSWD: "
                     "ALL'), or connect as root")
        # The shell's message ("bash: sudo: command not found"), not sudo's own about the
        # command ("sudo: python3: command not found").
        if any(line.rstrip().endswith(("sudo: command not found", "sudo: not found"))
               for line in lines):
            raise ConnectionError_(
                f"sudo is not installed on {self.host}, and user {self.user} is not root",
                host=self.host, location=self.location,
                hint="install sudo on the host, or connect as root (user \"root\")")
        refusal = next((line for line in lines if line.startswith("sudo:") or
                        "is not in the sudoers file" in line or "is not allowed to" in line),
                       None)
        if refusal is not None and "command not found" not in refusal:
            raise ConnectionError_(
                f"sudo refused to run commands as root for user {self.user} on {self.host}: "
                f"{refusal}", host=self.host, location=self.location,
                hint=f"give {self.user} passwordless sudo on the host, or connect as root")

    def close(self) -> None:
        """Close the connection (commands still running on it end)."""
        self._transport.close()

    def __enter__(self) -> "SshTransport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"#<ssh-transport {self.user}@{self.host} {self.round_trips} round trips>"


def _exchange(channel: paramiko.Channel, stdin: bytes,
              on_stderr: Optional[StderrCallback]) -> Tuple[bytes, bytes, int]:
    """Feed stdin, stream stderr and collect stdout at the same time (any of them can block
    until the host reads or writes the others), then the exit status (-1: connection lost)."""
    tail = bytearray()

    def send():
        try:
            channel.sendall(stdin)
            channel.shutdown_write()
        except (OSError, EOFError, paramiko.SSHException):
            # The command ended (or the connection did) before reading all its input; its
            # exit status or the lost connection says what happened.
            pass

    def read_stderr():
        while True:
            chunk = channel.recv_stderr(65536)
            if not chunk:
                return
            tail.extend(chunk)
            del tail[:-_STDERR_TAIL]
            if on_stderr is not None:
                on_stderr(chunk)

    threads = [threading.Thread(target=send, daemon=True),
               threading.Thread(target=read_stderr, daemon=True)]
    for thread in threads:
        thread.start()
    chunks = []
    while True:
        chunk = channel.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    status = channel.recv_exit_status()
    for thread in threads:
        thread.join()
    return b"".join(chunks), bytes(tail), status


class _Opener:
    """Opening one connection: socket, handshake, host key check, authentication."""

    def __init__(self, host_name: str, port: int, user: str, name: str,
                 location: Optional[Location], timeout: float):
        self.host_name = host_name
        self.port = port
        self.user = user
        self.name = name
        self.location = location
        self.timeout = timeout
        self.address = host_name if port == 22 else f"{host_name}:{port}"
        self.host_key_source: Optional[str] = None

    def error(self, reason: str, hint: Optional[str] = None, *,
              kind: type = ConnectionError_) -> ConnectionError_:
        return kind(f"cannot connect to {self.address}: {reason}",
                    host=self.name, location=self.location, hint=hint)

    def open_transport(self, host_key: Optional[str],
                       known_hosts: Sequence[str]) -> paramiko.Transport:
        expected, source = self._expected_keys(host_key, known_hosts)
        sock = self._socket()
        transport = paramiko.Transport(sock)
        # Programs and facts are text: zlib (after authentication, zlib@openssh.com) makes
        # them a third of their size on the wire, for little CPU.
        transport.use_compression(True)
        transport.banner_timeout = self.timeout
        transport.handshake_timeout = self.timeout
        transport.auth_timeout = self.timeout
        try:
            if expected:
                self._prefer(transport, {kind for kind, _ in expected})
            transport.start_client(timeout=self.timeout)
            if not transport.is_active() or not transport.initial_kex_done:
                # start_client returns when its timeout expires, handshake done or not.
                raise self.error(f"timed out after {self.timeout:g} s waiting for the SSH "
                                 "handshake", hint="is an SSH server listening on that port?")
            key = transport.get_remote_server_key()
            self._check_host_key(key.get_name(), key.asbytes(), expected, source)
        except ConnectionError_:
            transport.close()
            raise
        except (paramiko.SSHException, EOFError, OSError) as e:
            # The transport's thread keeps the first cause ("Error reading SSH protocol
            # banner"); what start_client raises afterwards ("No existing session") is vaguer.
            reason = _reason(transport.get_exception() or e)
            transport.close()
            if "banner" in reason:
                reason = (f"timed out after {self.timeout:g} s waiting for the SSH server's "
                          f"greeting ({reason})")
            else:
                reason = f"the SSH handshake failed: {reason}"
            raise self.error(reason, hint="is an SSH server listening on that port?") from None
        return transport

    def _socket(self) -> "_CountingSocket":
        try:
            return _CountingSocket(socket.create_connection((self.host_name, self.port),
                                                            timeout=self.timeout))
        except socket.timeout:
            raise self.error(f"timed out after {self.timeout:g} s",
                             hint="check that the host is up and that nothing filters port "
                                  f"{self.port}") from None
        except ConnectionRefusedError:
            raise self.error("connection refused",
                             hint=f"is sshd running on the host, listening on port "
                                  f"{self.port}?") from None
        except socket.gaierror as e:
            raise self.error(f"cannot resolve the host name: {e.strerror}",
                             hint="check host-name in the machine's configuration") from None
        except OSError as e:
            raise self.error(e.strerror or str(e)) from None

    def _expected_keys(self, host_key: Optional[str],
                       known_hosts: Sequence[str]) -> Tuple[Set[Tuple[str, bytes]], str]:
        if host_key:
            try:
                return {parse_public_key(host_key)}, \
                    self.host_key_source or "the machine's host-key"
            except ValueError as e:
                raise self.error(f"its host-key is not usable: {e}",
                                 hint="copy the line from the host's "
                                      "/etc/ssh/ssh_host_ed25519_key.pub") from None
        lookup = self.host_name if self.port == 22 else f"[{self.host_name}]:{self.port}"
        found: Set[Tuple[str, bytes]] = set()
        for path in known_hosts:
            path = os.path.expanduser(path)
            if not os.path.isfile(path):
                continue
            keys = paramiko.HostKeys()
            try:
                keys.load(path)
            except (OSError, paramiko.SSHException, ValueError):
                continue
            entry = keys.lookup(lookup)
            for kind, key in (entry or {}).items():
                found.add((kind, key.asbytes()))
        return found, "known_hosts"

    def _prefer(self, transport: paramiko.Transport, kinds: Set[str]) -> None:
        """Negotiate the key type we know, as OpenSSH does: a host has several keys."""
        options = transport.get_security_options()
        wanted = [a for kind in sorted(kinds) for a in _HOST_KEY_ALGORITHMS.get(kind, ())]
        usable = [a for a in wanted if a in options.key_types]
        if not usable:
            raise self.error(f"its known host key type ({', '.join(sorted(kinds))}) is not "
                             "supported", hint="pin the host's ed25519 key with (host-key ...)")
        options.key_types = usable

    def _check_host_key(self, kind: str, blob: bytes, expected: Set[Tuple[str, bytes]],
                        source: str) -> None:
        shown = f"{_key_type(blob, kind)} key {fingerprint(blob)}"
        line = f"{_key_type(blob, kind)} {base64.b64encode(blob).decode()}"
        if not expected:
            raise self.error(
                f"its host key is unknown: the host presents the {shown}",
                hint=f"check that fingerprint on the host (ssh-keygen -lf "
                     f"/etc/ssh/ssh_host_ed25519_key.pub), then pin the key in the machine's "
                     f"configuration: (host-key \"{line}\")", kind=HostKeyError)
        if any(blob == known for _, known in expected):
            return
        pinned = ", ".join(f"{_key_type(b, k)} {fingerprint(b)}" for k, b in sorted(expected))
        raise self.error(
            f"HOST KEY MISMATCH: the host presents the {shown}, but {source} expects "
            f"{pinned}; someone may be intercepting the connection, or the host was "
            "reinstalled",
            hint=f"if the host was reinstalled, check the new fingerprint on it, then update "
                 + (f"{source} (docs/environments.md says where lispdeploy's environments keep "
                    "it)" if self.host_key_source and source == self.host_key_source else
                    f"{source} (for instance (host-key \"{line}\"))"), kind=HostKeyError)

    def authenticate(self, transport: paramiko.Transport, identity: Optional[str]) -> None:
        keys = self._keys(identity)
        tried = []
        for label, key in keys:
            tried.append(label)
            try:
                transport.auth_publickey(self.user, key)
            except paramiko.BadAuthenticationType as e:
                raise self.error(f"the host does not accept public keys for user {self.user} "
                                 f"(it accepts: {', '.join(e.allowed_types) or 'nothing'})",
                                 hint="lispdeploy logs in with SSH keys only") from None
            except paramiko.AuthenticationException:
                continue
            except (paramiko.SSHException, EOFError, OSError) as e:
                raise self.error(f"authentication failed: {_reason(e)}") from None
            if transport.is_authenticated():
                return
        what = ", ".join(tried) if tried else "no key (no identity, agent or default key file)"
        raise self.error(
            f"authentication failed for user {self.user} with {what}",
            hint=f"the public key must be in ~{self.user}/.ssh/authorized_keys on the host; "
                 "set (identity \"~/.ssh/KEY\") in the machine's configuration, or add the key "
                 "to ssh-agent")

    def _keys(self, identity: Optional[str]) -> List[Tuple[str, paramiko.PKey]]:
        if identity:
            return [(f"the key {identity}", self._load_identity(identity))]
        keys: List[Tuple[str, paramiko.PKey]] = []
        try:
            for key in paramiko.Agent().get_keys():
                keys.append((f"the agent's {key.get_name()} key {key.fingerprint}", key))
        except (paramiko.SSHException, OSError):
            pass
        for path in DEFAULT_IDENTITIES:
            full = os.path.expanduser(path)
            if os.path.isfile(full):
                try:
                    keys.append((f"the key {path}", paramiko.PKey.from_path(full)))
                except (paramiko.SSHException, OSError, ValueError):
                    continue
        return keys

    def _load_identity(self, identity: str) -> paramiko.PKey:
        try:
            return paramiko.PKey.from_path(identity)
        except FileNotFoundError:
            raise self.error(f"its identity file {identity} does not exist",
                             hint="check identity in the machine's configuration") from None
        except paramiko.PasswordRequiredException:
            agent_key = self._agent_key_for(identity)
            if agent_key is not None:
                return agent_key
            raise self.error(f"the identity {identity} is protected by a passphrase",
                             hint=f"add it to ssh-agent (ssh-add {identity})") from None
        except (paramiko.SSHException, OSError, ValueError) as e:
            raise self.error(f"cannot read the identity {identity}: {_reason(e)}") from None

    @staticmethod
    def _agent_key_for(identity: str) -> Optional[paramiko.PKey]:
        try:
            with open(identity + ".pub") as f:
                _, blob = parse_public_key(f.read())
            for key in paramiko.Agent().get_keys():
                if key.asbytes() == blob:
                    return key
        except (OSError, ValueError, paramiko.SSHException):
            return None
        return None


class _CountingSocket:
    """A socket that counts the bytes it sends and receives (what a report calls the wire)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self.sent = 0
        self.received = 0

    def send(self, data, *args) -> int:
        done = self._sock.send(data, *args)
        self.sent += done
        return done

    def sendall(self, data, *args) -> None:
        self._sock.sendall(data, *args)
        self.sent += len(data)

    def recv(self, size: int, *args) -> bytes:
        data = self._sock.recv(size, *args)
        self.received += len(data)
        return data

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


def _key_type(blob: bytes, negotiated: str) -> str:
    """The key type named inside a public key blob (`rsa-sha2-512` negotiates `ssh-rsa`)."""
    try:
        length = int.from_bytes(blob[:4], "big")
        return blob[4:4 + length].decode("ascii")
    except (UnicodeDecodeError, ValueError):
        return negotiated


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    if isinstance(error, EOFError) or not text:
        return "the host closed the connection"
    return text
