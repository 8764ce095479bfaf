"""What every test gives back to the process it ran in (loaded by conftest.py).

Host code run in-process (an inline activation ignores SIGINT, SIGHUP and SIGPIPE so that a
lost SSH session cannot stop it half-way) changes the process's signal dispositions; a later
test of the same worker would start its `lispdeploy` with SIGINT ignored (exec keeps ignored
signals), and its Ctrl-C would do nothing. For the same reason a session started in the
background of a non-interactive shell (`make test &` in a script: SIGINT and SIGQUIT are
ignored there) takes SIGINT back first: the tests that press Ctrl-C need children that get it.
"""

from __future__ import annotations

import signal

import pytest

_SIGNALS = (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE, signal.SIGTERM)


@pytest.fixture(scope="session", autouse=True)
def interruptible_children():
    """Children of this process get SIGINT (see above)."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


@pytest.fixture(autouse=True)
def signal_dispositions(interruptible_children):
    """Restore the process's signal handlers after each test."""
    saved = {number: signal.getsignal(number) for number in _SIGNALS}
    yield
    for number, handler in saved.items():
        if signal.getsignal(number) is not handler and handler is not None:
            signal.signal(number, handler)
