"""log-rotation-service-type (and rottlog's records), unattended-upgrade-service-type and
syslog-service-type: the files they write, checked by logrotate, apt-config and rsyslogd
themselves, schedules as systemd calendar times, extensions, and mistakes in specs."""

import os

from systems import (build, etc_entry, etc_text, fresh_spec_cache, items_by_path,  # noqa: F401
                     os_spec, require, run, save, unit_entry, where)

import pytest

from lispdeploy.errors import LispdeployError
from lispdeploy.services import debian

ADMIN = "(use-service-modules admin base)"


def check(tmp_path, system, path):
    entry = etc_entry(system, path)
    file = save(tmp_path, os.path.basename(path), items_by_path(system)[entry["item"]].content)
    return run([file if a == "{}" else a for a in entry["validate"]])


ROTATION = """
(list (service log-rotation-service-type
               (log-rotation-configuration
                 (compression 'zstd)
                 (expiry (* 7 24 3600))
                 (calendar-event #~(calendar-event #:hours '(22) #:minutes '(0)
                                                   #:days-of-week '(sunday)))
                 (rotations (list (log-rotation
                                    (files '("/var/log/app/*.log"))
                                    (frequency 'daily)
                                    (post-rotate #~(display "rotated"))
                                    (options (cons "rotate 2"
                                                   %default-log-rotation-options)))))))
      (simple-service 'app-logs log-rotation-service-type '("/var/log/app.log"))
      (simple-service 'old-style log-rotation-service-type
                      (list (log-rotation (files '("/var/log/old.log"))))))
"""


def test_logrotate_file_from_files_and_records_passes_logrotate(tmp_path):
    system = build(tmp_path, os_spec(ROTATION, preamble=ADMIN))
    text = etc_text(system, "logrotate.d/lispdeploy")
    stanzas = text.split("}\n")
    assert stanzas[0].splitlines()[1:] == [
        "/var/log/app.log {", "  daily", "  missingok", "  notifempty", "  copytruncate",
        "  minsize 8192", "  rotate 7", "  maxage 7", "  compress",
        "  compresscmd /usr/bin/zstd", "  compressext .zst", "  uncompresscmd /usr/bin/unzstd",
        "  compressoptions -q"]
    daily = stanzas[1].splitlines()
    assert daily[:6] == ["/var/log/app/*.log {", "  daily", "  missingok", "  rotate 2",
                         "  compress", "  notifempty"]
    assert daily[6] == "  postrotate" and daily[7].startswith(
        "    /usr/bin/python3 -I /var/lib/lispdeploy/store/")
    assert stanzas[2].splitlines()[:2] == ["/var/log/old.log {", "  weekly"]
    require("/usr/sbin/logrotate")
    result = check(tmp_path, system, "logrotate.d/lispdeploy")
    assert result.returncode == 0, result.stderr
    assert etc_text(system, "systemd/system/logrotate.timer.d/lispdeploy.conf").endswith(
        "[Timer]\nOnCalendar=\nOnCalendar=Sun *-*-* 22:00:00\n")
    assert unit_entry(system, "logrotate.timer")["watch"] == [
        "systemd/system/logrotate.timer.d/lispdeploy.conf"]
    assert [p["name"] for p in system.manifest["packages"]][-2:] == ["logrotate", "zstd"]


def test_logrotate_check_refuses_an_unknown_directive(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service log-rotation-service-type
                       (log-rotation-configuration
                         (rotations (list (log-rotation (files '("/var/log/x.log"))
                                                        (options '("rotat 4"))))))))""",
                                     preamble=ADMIN))
    result = check(tmp_path, system, "logrotate.d/lispdeploy")
    assert result.returncode != 0 and "unknown option 'rotat'" in result.stderr


def test_without_a_calendar_event_debians_daily_timer_stays(tmp_path):
    system = build(tmp_path, os_spec("(list (service log-rotation-service-type))",
                                     preamble=ADMIN))
    assert not [e for e in system.manifest["etc"] if "logrotate.timer" in e["path"]]
    assert unit_entry(system, "logrotate.timer")["enable"] is True


def test_rottlog_rotations_go_to_logrotate(tmp_path):
    system = build(tmp_path, os_spec("(list (service rottlog-service-type))", preamble=ADMIN))
    assert "/var/log/mcron.log {\n  weekly\n  missingok\n  rotate 4\n  compress\n" in etc_text(
        system, "logrotate.d/lispdeploy")


@pytest.mark.parametrize("schedule,calendar", [
    ("30 01 * * 0", "Sun *-*-* 01:30:00"),
    ("0 3 * * 1-5", "Mon,Tue,Wed,Thu,Fri *-*-* 03:00:00"),
    ("*/15 * * * *", "*-*-* *:00,15,30,45:00"),
    ("0 0 1,15 * *", "*-*-01,15 00:00:00"),
    ("0 12 * jan,jul *", "*-01,07-* 12:00:00"),
    ("@daily", "daily"),
])
def test_crontab_schedules_as_calendar_times(schedule, calendar):
    assert debian.cron_to_calendar(schedule) == calendar


def test_a_calendar_time_systemd_reads_back(tmp_path):
    require("/usr/bin/systemd-analyze")
    for schedule in ("30 01 * * 0", "*/15 * * * *", "0 12 * jan,jul *"):
        result = run(["systemd-analyze", "calendar", debian.cron_to_calendar(schedule)])
        assert result.returncode == 0, result.stderr


UPGRADES = """
(list (service unattended-upgrade-service-type
               (unattended-upgrade-configuration
                 (operating-system-file "/etc/config.scm")
                 (schedule "0 3 * * 1-5")
                 (reboot? #t)
                 (maximum-duration 1800)
                 (package-blacklist '("linux-" "nginx"))
                 (mail "root"))))
"""


def test_unattended_upgrades_files_pass_apt_config(tmp_path):
    system = build(tmp_path, os_spec(UPGRADES, preamble=ADMIN))
    text = etc_text(system, "apt/apt.conf.d/50unattended-upgrades")
    assert ('Unattended-Upgrade::Package-Blacklist {\n  "linux-";\n  "nginx";\n};\n' in text)
    assert 'Unattended-Upgrade::Automatic-Reboot "true";\n' in text
    assert 'Unattended-Upgrade::Mail "root";\n' in text
    assert 'Unattended-Upgrade::LogDir "/var/log/unattended-upgrades";\n' in text
    assert etc_text(system, "apt/apt.conf.d/20auto-upgrades").splitlines()[1:] == [
        'APT::Periodic::Update-Package-Lists "1";', 'APT::Periodic::Unattended-Upgrade "1";']
    for path in ("apt/apt.conf.d/50unattended-upgrades", "apt/apt.conf.d/20auto-upgrades"):
        result = check(tmp_path, system, path)
        assert result.returncode == 0, result.stderr
    assert "OnCalendar=\nOnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 03:00:00\nRandomizedDelaySec=0" in \
        etc_text(system, "systemd/system/apt-daily-upgrade.timer.d/lispdeploy.conf")
    assert "TimeoutStartSec=1800" in etc_text(
        system, "systemd/system/apt-daily-upgrade.service.d/lispdeploy.conf")
    units = {u["name"]: (u["enable"], u["start"]) for u in system.manifest["units"]}
    # The services come first, so that container hosts unmask them before the timers start.
    assert list(units.items()) == [("apt-daily.service", (False, False)),
                                   ("apt-daily-upgrade.service", (False, False)),
                                   ("apt-daily.timer", (True, True)),
                                   ("apt-daily-upgrade.timer", (True, True))]


def test_apt_config_refuses_a_broken_extra_content(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service unattended-upgrade-service-type
                       (unattended-upgrade-configuration
                         (extra-content "Unattended-Upgrade::Verbose \\"true\\" extra;"))))""",
                                     preamble=ADMIN))
    result = check(tmp_path, system, "apt/apt.conf.d/50unattended-upgrades")
    assert result.returncode != 0 and "Syntax error" in result.stderr


@pytest.mark.parametrize("clause,message", [
    ('(schedule "30 25 * * *")', "field 'schedule' expects a crontab schedule such as "
                                 "\"30 01 * * 0\" ('25' is outside 0-23)"),
    ('(log-file "/var/log/upgrades.log")', "field 'log-file' expects a path ending in "
                                           "/unattended-upgrades.log"),
    ('(package-blacklist \'("x\\"; evil"))', "field 'package-blacklist' expects a list of "
                                              "package names or patterns"),
])
def test_unattended_upgrade_mistakes(tmp_path, clause, message):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(f"(list (service unattended-upgrade-service-type "
                                f"(unattended-upgrade-configuration {clause})))",
                                preamble=ADMIN))
    assert message in e.value.render()
    assert e.value.render().startswith(f"{where(str(tmp_path / 'spec.hy'), clause[:8])}: ")


def test_syslog_rules_after_rsyslogs_modules_pass_rsyslogd(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service syslog-service-type
                       (syslog-configuration
                         (config-file (plain-file "rules" "local3.* /var/log/app.log\\n"))
                         (extra-options '("-x")))))""", preamble=ADMIN))
    text = etc_text(system, "rsyslog.conf")
    assert text.splitlines()[1:3] == ['module(load="imuxsock")', 'module(load="imklog")']
    assert text.endswith("\nlocal3.* /var/log/app.log\n")
    require("/usr/sbin/rsyslogd")
    result = check(tmp_path, system, "rsyslog.conf")
    assert result.returncode == 0, result.stderr
    assert "ExecStart=\nExecStart=/usr/sbin/rsyslogd -n -iNONE -x" in etc_text(
        system, "systemd/system/rsyslog.service.d/lispdeploy.conf")
    assert unit_entry(system, "rsyslog.service")["watch"] == [
        "rsyslog.conf", "systemd/system/rsyslog.service.d/lispdeploy.conf"]


def test_default_syslog_rules_are_debians_and_rsyslogd_refuses_garbage(tmp_path):
    system = build(tmp_path, os_spec("(list (service syslog-service-type))", preamble=ADMIN))
    assert "*.*;auth,authpriv.none\t\t-/var/log/syslog\n" in etc_text(system, "rsyslog.conf")
    assert check(tmp_path, system, "rsyslog.conf").returncode == 0
    system = build(tmp_path, os_spec("""
        (list (service syslog-service-type
                       (syslog-configuration
                         (config-file (plain-file "rules" "local3.* /var/log/x.log\\nnot a rule\\n")))))""",
                                     preamble=ADMIN))
    result = check(tmp_path, system, "rsyslog.conf")
    assert result.returncode != 0 and "error during parsing file" in result.stderr
