"""SSH keys of droplets: the user's key that root logs in with (found, read, fingerprinted as
DigitalOcean names keys), the host key pair lispdeploy makes for a new droplet, and the
cloud-init user data that installs that host key before sshd first starts.

The host key travels in `user_data`, so lispdeploy knows the droplet's key before it first
connects: nothing is trusted on first sight and nothing is left unchecked. Keys are made
with ssh-keygen.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from typing import Optional

from lispdeploy.errors import EnvironmentError_

DEFAULT_KEYS = ("~/.ssh/id_ed25519", "~/.ssh/id_rsa")


def user_key_path(configured: Optional[str], subject: str) -> str:
    """The private key root logs in with: `ssh-key` of the configuration (`~` expanded), else
    the first of ~/.ssh/id_ed25519 and ~/.ssh/id_rsa that exists."""
    if configured:
        path = os.path.expanduser(configured)
        if not os.path.isfile(path):
            raise EnvironmentError_(f"{subject}: its ssh-key {configured} does not exist",
                                    hint="check ssh-key in the machine's configuration")
        return path
    for candidate in DEFAULT_KEYS:
        path = os.path.expanduser(candidate)
        if os.path.isfile(path):
            return path
    raise EnvironmentError_(
        f"{subject}: no SSH key to log in to the droplet with: ssh-key is not set, and neither "
        f"{' nor '.join(DEFAULT_KEYS)} exists",
        hint="make one (ssh-keygen -t ed25519), or set (ssh-key \"~/.ssh/KEY\") in the "
             "machine's digital-ocean-configuration")


def public_key(private_path: str, subject: str) -> str:
    """The OpenSSH public key line of a private key: its `.pub` file, else what
    `ssh-keygen -y` derives."""
    try:
        with open(private_path + ".pub") as f:
            line = f.read().strip()
        if line:
            return line
    except FileNotFoundError:
        pass
    done = _ssh_keygen(["-y", "-P", "", "-f", private_path], subject)
    if done.returncode != 0:
        raise EnvironmentError_(
            f"{subject}: cannot read the public key of {private_path}: "
            f"{done.stderr.strip() or 'ssh-keygen failed'}",
            hint=f"put its public key next to it in {private_path}.pub")
    return done.stdout.strip()


def md5_fingerprint(line: str) -> str:
    """The MD5 fingerprint DigitalOcean names a public key by: "aa:bb:...:ff"."""
    fields = line.split()
    if len(fields) < 2:
        raise ValueError(f"not an OpenSSH public key line: {line!r}")
    digest = hashlib.md5(base64.b64decode(fields[1]), usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def generate_host_key(path: str, comment: str, subject: str) -> str:
    """Write a new ed25519 key pair at `path` (mode 600) and `path`.pub; return the public key
    line ("ssh-ed25519 AAAA... comment")."""
    for stale in (path, path + ".pub"):
        if os.path.lexists(stale):
            os.unlink(stale)
    done = _ssh_keygen(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], subject)
    if done.returncode != 0:
        raise EnvironmentError_(f"{subject}: ssh-keygen could not write {path}: "
                                f"{done.stderr.strip()}")
    os.chmod(path, 0o600)
    with open(path + ".pub") as f:
        return f.read().strip()


def cloud_config(host_private_key: str, host_public_key: str) -> str:
    """cloud-init user data that makes the droplet's sshd use this ed25519 host key only.

    JSON is YAML, so the document is written without a YAML library and cannot be
    misquoted. cloud-init writes the keys in its early stage, before sshd starts.
    """
    document = {
        "ssh_deletekeys": True,
        "ssh_genkeytypes": [],
        "ssh_keys": {"ed25519_private": host_private_key,
                     "ed25519_public": host_public_key.strip()},
    }
    return "#cloud-config\n" + json.dumps(document, indent=2) + "\n"


def _ssh_keygen(arguments: list, subject: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["ssh-keygen", *arguments], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise EnvironmentError_(f"{subject}: ssh-keygen is not installed",
                                hint="apt-get install openssh-client") from None
    except subprocess.TimeoutExpired:
        raise EnvironmentError_(f"{subject}: ssh-keygen did not finish within 60 s") from None
