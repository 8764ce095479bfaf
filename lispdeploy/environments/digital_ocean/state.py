"""What the controller keeps about each droplet it created, in a state directory:

    $LISPDEPLOY_DIGITAL_OCEAN_STATE, else $XDG_STATE_HOME/lispdeploy/digital-ocean,
    else ~/.local/state/lispdeploy/digital-ocean:
        <droplet name>/            (mode 700)
            lock                   held while a command finds or creates the droplet
            host_key.pub           the droplet's SSH host key, checked on every connection
            host_key               its private half: only from creation until the droplet
                                   first answered with it (the droplet has its own copy)
            droplet.json           the droplet's id, region, size, image and address

Losing the directory does not lose the droplet, but lispdeploy then no longer knows its host
key and refuses to connect until it is given back (see docs/environments.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import time
from typing import Any, Dict, Iterator, Mapping, Optional

from lispdeploy.errors import EnvironmentError_

STATE_VARIABLE = "LISPDEPLOY_DIGITAL_OCEAN_STATE"
LOCK_TIMEOUT = 600.0


def state_root(environ: Optional[Mapping[str, str]] = None) -> str:
    """The directory holding every droplet's state (see the module docstring)."""
    environ = os.environ if environ is None else environ
    if environ.get(STATE_VARIABLE):
        return environ[STATE_VARIABLE]
    base = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                         "state")
    return os.path.join(base, "lispdeploy", "digital-ocean")


class DropletState:
    """The state directory of one droplet, by name."""

    def __init__(self, root: str, name: str):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise EnvironmentError_(f"droplet {name!r}: not a usable droplet name",
                                    hint="host names of droplets are letters, digits, '.' "
                                         "and '-'")
        self.name = name
        self.directory = os.path.join(root, name)
        self.host_key_path = os.path.join(self.directory, "host_key")
        self.record_path = os.path.join(self.directory, "droplet.json")

    @classmethod
    def of(cls, name: str, environ: Optional[Mapping[str, str]] = None) -> "DropletState":
        """The state of droplet `name` under the configured root."""
        return cls(state_root(environ), name)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the droplet's lock, so that two commands never both create it."""
        self._make_directory()
        with open(os.path.join(self.directory, "lock"), "a") as handle:
            self._take(handle)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _take(self, handle) -> None:
        # Whoever holds the lock is provisioning, which is bounded by its own timeout; waiting
        # longer than that means a stuck process, which is worth saying.
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EnvironmentError_(
                        f"droplet {self.name}: another lispdeploy command has been working on "
                        f"it for over {LOCK_TIMEOUT:.0f} s (it holds "
                        f"{os.path.join(self.directory, 'lock')})",
                        hint="wait for that command to end, or stop it") from None
                time.sleep(0.5)

    def host_key(self) -> Optional[str]:
        """The droplet's recorded host key ("ssh-ed25519 AAAA..."), or None."""
        try:
            with open(self.host_key_path + ".pub") as f:
                line = f.read().strip()
        except FileNotFoundError:
            return None
        return line or None

    def private_host_key(self) -> Optional[str]:
        """The private host key, while the droplet has not yet answered with it."""
        try:
            with open(self.host_key_path) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def forget_private_host_key(self) -> None:
        """Remove the private host key: the droplet answered with it, and only it needs it."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.host_key_path)

    def droplet_id(self) -> Optional[int]:
        """The id of the droplet lispdeploy created under this name, if recorded."""
        record = self.record()
        value = record.get("id") if record else None
        return int(value) if isinstance(value, int) else None

    def record(self) -> Optional[Dict[str, Any]]:
        """What droplet.json says, or None."""
        try:
            with open(self.record_path) as f:
                data = json.load(f)
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_record(self, data: Mapping[str, Any]) -> None:
        """Replace droplet.json (atomically)."""
        self._make_directory()
        temporary = self.record_path + ".new"
        with open(temporary, "w") as f:
            json.dump(dict(data), f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(temporary, self.record_path)

    def forget_droplet(self) -> None:
        """Remove what is known of the droplet (keys and record), keeping the lock file."""
        for path in (self.host_key_path, self.host_key_path + ".pub", self.record_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def remove(self) -> None:
        """Remove the whole directory (the droplet is gone)."""
        shutil.rmtree(self.directory, ignore_errors=True)

    def _make_directory(self) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
        except OSError as e:
            raise EnvironmentError_(
                f"droplet {self.name}: cannot make its state directory {self.directory}: "
                f"{e.strerror}", hint=f"set {STATE_VARIABLE} to a writable directory") from None
