"""A command run on the host for `lispdeploy deploy -x`, stopped when the controller goes away.

The command runs in a session of its own (so that its children can be signalled with it),
its output going where the program's goes: to the SSH channel. When the controller closes
the connection (Ctrl-C, or it is lost), the channel's end of that pipe closes; a watcher sees
it (POLLERR/POLLHUP on stderr) and ends the command: SIGTERM to its whole process group, then
SIGKILL if it is still there after GRACE seconds. Standard library only.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time

GRACE = 5.0
POLL_MS = 250


def run(argv):
    """Run `argv` (no shell), its output shown; its exit status (negative: the signal that
    ended it; 127: no such program)."""
    argv = [str(a) for a in argv]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as e:
        print("{}: {}".format(argv[0], e.strerror), file=sys.stderr)
        return 127
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(process, done), daemon=True)
    watcher.start()
    try:
        return process.wait()
    finally:
        done.set()


def _watch(process, done):
    """End the command's process group once the controller's end of stderr is gone."""
    poller = select.poll()
    poller.register(2, select.POLLERR | select.POLLHUP)
    while not done.is_set():
        if poller.poll(POLL_MS):
            break
    else:
        return
    _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if process.poll() is None:
        _signal(process, signal.SIGKILL)


def _signal(process, number):
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass
