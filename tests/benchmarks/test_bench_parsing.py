"""The benchmark harness's own parsing and reporting (never the benchmark itself, which is
`make bench`): sshd log lines into counts, rounds into medians, medians into results.md."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

import hosts as benchmark_hosts  # noqa: E402
import report  # noqa: E402
import workload  # noqa: E402

LOG = [
    (100.0, "Accepted publickey for root from 127.0.0.1 port 40000 ssh2: ED25519 SHA256:x"),
    (100.1, "Starting session: command for root from 127.0.0.1 port 40000 id 0"),
    (100.2, "Transferred: sent 3000, received 4500 bytes"),
    (105.0, "Accepted publickey for root from 127.0.0.1 port 40002 ssh2: ED25519 SHA256:x"),
    (105.1, "Starting session: command for root from 127.0.0.1 port 40002 id 0"),
    (105.2, "Starting session: command for root from 127.0.0.1 port 40002 id 1"),
    (105.3, "pam_unix(sshd:session): session closed for user root"),
    (105.4, "Transferred: sent 100, received 200 bytes"),
]


def test_sshd_log_lines_become_counts_within_a_window():
    assert benchmark_hosts.ssh_counts(LOG, 99, 101) == {
        "connections": 1, "sessions": 1, "bytes-to-host": 4500, "bytes-from-host": 3000}
    assert benchmark_hosts.ssh_counts(LOG, 104, 106) == {
        "connections": 1, "sessions": 2, "bytes-to-host": 200, "bytes-from-host": 100}
    assert benchmark_hosts.ssh_counts(LOG, 0, 50)["connections"] == 0


def _run(tool, hosts, round_number, wall):
    phases = {p: {"wall": wall * (i + 1), "cpu": 0.5, "rss_mb": 40, "hosts_cpu": 0.1,
                  "connections": 1, "sessions": 1, "bytes-to-host": 5000}
              for i, p in enumerate(report.PHASES)}
    phases["floor"] = {"wall": 0.3, "cpu": 0.2, "rss_mb": 30, "hosts_cpu": 0.05,
                       "connections": 1, "sessions": 1, "bytes-to-host": 1500}
    return {"tool": tool, "hosts": hosts, "round": round_number, "phases": phases}


RESULTS = {
    "machine": {"cpus": 2, "cpu": "test CPU", "memory_gib": 24, "kernel": "6.1",
                "python": "3.11", "systemd": "systemd 252", "openssh": "OpenSSH_9.2",
                "date": "2026-12-01 12:00", "load_at_start": "0.5"},
    "versions": {"pyinfra": "3.10.0", "ansible-core": "2.19.14"},
    "sizes": [1, 5], "rounds": 3, "tools": ["lispdeploy", "pyinfra", "ansible"],
    "runs": [_run(tool, n, r, wall)
             for n in (1, 5) for r in (1, 2, 3)
             for tool, wall in (("lispdeploy", 0.4 + r / 10), ("pyinfra", 2.0), ("ansible", 8.0))],
}


def test_rounds_become_medians_and_the_floor_is_every_tools_hosts():
    table = report.medians(RESULTS)
    assert round(table[("lispdeploy", 1, "cold")]["wall"], 3) == 0.6
    assert round(table[("lispdeploy", 5, "no-op")]["wall"], 3) == 1.2
    assert table[("floor", 5, "floor")]["wall"] == 0.3


def test_results_md_gives_the_table_the_ratios_and_the_machine():
    text = report.render(RESULTS)
    assert "| 1 | 0.60 / 1.20 / 1.80 | 2.00 / 4.00 / 6.00 | 8.00 / 16.00 / 24.00 | 0.30 |" in text
    # pyinfra 2.00 s against lispdeploy 0.60 s; lispdeploy over the floor: 0.6 / 0.3.
    assert "| 1 | cold | 3.3x | 13.3x | 2.0x |" in text
    assert "2 CPUs (test CPU)" in text and "pyinfra 3.10.0" in text
    assert "![time against N](results.png)" in text


def test_the_workloads_reach_the_hosts_with_their_keys():
    hosts = [{"address": "127.0.10.7", "identity": "/k/id", "host_key": "ssh-ed25519 AAAA"}]
    assert "127.0.10.7 ssh-ed25519 AAAA\n" == workload.known_hosts(hosts)
    assert '"ssh_key": "/k/id"' in workload.pyinfra_inventory(hosts, "/k/known")
    assert "ansible_ssh_private_key_file=/k/id number=1" in workload.ansible_inventory(hosts)
    assert "version 2" in workload.pyinfra_deploy(2) and "version 2" in workload.ansible_playbook(2)
    assert "version 3" in workload.lispdeploy_data(hosts, 3)


def test_a_run_stopped_early_says_which_rounds_it_lacks():
    assert "stopped before its end" not in report.render(RESULTS)
    partial = dict(RESULTS, sizes=[1, 5, 20],
                   runs=RESULTS["runs"] + [_run("lispdeploy", 20, 1, 3.0)])
    text = report.render(partial)
    assert ("- This run stopped before its end; rounds measured where fewer than 3: "
            "N=20 lispdeploy: 1, N=20 pyinfra: 0, N=20 ansible: 0.") in text
    assert "| 20 | 3.00 / 6.00 / 9.00 | - / - / - | - / - / - | 0.30 |" in text
