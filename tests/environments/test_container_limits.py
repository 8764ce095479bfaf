"""Kernel limits that stop container hosts from booting: found before booting, named with the
command that raises them, and recognized on a console that hit them."""

from __future__ import annotations

import pytest

from lispdeploy.environments.container import limits
from lispdeploy.errors import EnvironmentError_


def usage(instances=(128, 100), watches=(192530, 500)):
    return {"fs.inotify.max_user_instances": instances, "fs.inotify.max_user_watches": watches,
            "kernel.pid_max": (32768, 400), "kernel.threads-max": (192726, 400),
            "pids.max": (None, 0)}


def test_twenty_hosts_need_more_inotify_instances_than_debians_default():
    short = limits.shortfalls(20, usage())
    assert [s.name for s in short] == ["fs.inotify.max_user_instances"]
    needed = 100 + 20 * limits.PER_HOST["fs.inotify.max_user_instances"] + \
        limits.SPARE["fs.inotify.max_user_instances"]
    assert short[0].needed == needed
    assert short[0].command == f"sysctl -w fs.inotify.max_user_instances={needed}"
    assert limits.shortfalls(1, usage(instances=(1024, 100))) == []


def test_the_check_reads_this_machine_and_names_what_to_raise():
    # This machine now: enough for one host (the tests boot them), never for a million.
    limits.check_limits(1)
    with pytest.raises(EnvironmentError_) as raised:
        limits.check_limits(1000000)
    assert "cannot boot 1000000 more container hosts" in raised.value.message
    assert "sysctl -w fs.inotify.max_user_instances=" in raised.value.hint
    assert "tools/raise-container-limits.sh" in raised.value.hint


def test_a_console_that_ran_out_of_inotify_instances_says_so():
    console = ("[  OK  ] Reached target sockets.\n"
               "Failed to create inotify object: Too many open files\n"
               "[FAILED] Failed to start systemd-logind.service\n")
    cause = limits.diagnose(console)
    assert "fs.inotify.max_user_instances" in cause and "sysctl -w" in cause
    assert limits.diagnose("[  OK  ] Started OpenBSD Secure Shell server.\n") is None


def test_in_use_counts_come_from_proc():
    instances, watches = limits.inotify_in_use()
    assert instances >= 1 and watches >= 1  # systemd and the container hosts hold some
    assert limits.tasks_in_use() > 1
