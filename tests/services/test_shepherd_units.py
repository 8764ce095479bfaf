"""shepherd-service records as systemd units: the unit files (golden, and checked by
`systemd-analyze verify`), the start and stop forms Guix uses, and their errors."""

from systems import (assert_golden, build, fresh_spec_cache, items_by_path, os_spec,  # noqa: F401
                     require, run, save, unit_entry, unit_text, where)

import pytest

from lispdeploy.errors import LispdeployError

DAEMON = """
(list (service openssh-service-type)
      (simple-service 'backup shepherd-root-service-type
        (list (shepherd-service
                (provision '(backup-daemon backupd))
                (requirement '(networking ssh-daemon file-systems))
                (documentation "Copy the data away, now and then.")
                (respawn-limit '(5 30))
                (respawn-delay 2)
                (start #~(make-forkexec-constructor
                           (list "/usr/bin/python3" "-I" #$(plain-file "backup.py" "print(1)")
                                 "--label" "night shift" "--price" "5$ or 10%")
                           #:user "nobody" #:group "nogroup"
                           #:directory "/var/tmp"
                           #:environment-variables (list "LANG=C.UTF-8" "GREETING=hello world")
                           #:log-file "/var/log/backup.log"))
                (stop #~(make-kill-destructor SIGINT #:grace-period 20))))))
"""


def verify(tmp_path, name, text):
    """systemd-analyze accepts the unit file."""
    unit = save(tmp_path, name, text)
    result = run([require("systemd-analyze"), "verify", unit])
    assert result.returncode == 0, result.stderr + result.stdout


def test_daemon_unit_golden_and_valid(tmp_path):
    system = build(tmp_path, os_spec(DAEMON, preamble="(use-service-modules ssh)"))
    text = unit_text(system, "backup-daemon.service")
    script = [i for i in system.items if i.name == "backup.py"][0]
    assert_golden("backup-daemon.service", text.replace(script.path, "BACKUP.PY"))
    verify(tmp_path, "backup-daemon.service", text)
    entry = unit_entry(system, "backup-daemon.service")
    assert entry["enable"] and entry["start"] and entry["watch"] == []
    # The unit's item refers to the script, so the script travels with the system.
    unit_item = items_by_path(system)[entry["item"]]
    assert script in unit_item.references


def test_a_plain_list_starts_a_program(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (simple-service 'sleeper shepherd-root-service-type
                (list (shepherd-service
                        (provision '(sleeper))
                        (start '("/bin/sleep" "infinity"))))))"""))
    text = unit_text(system, "sleeper.service")
    assert "Type=simple\nExecStart=/bin/sleep infinity\nRestart=always\n" in text
    verify(tmp_path, "sleeper.service", text)


def test_one_shot_and_system_constructors(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (simple-service 'jobs shepherd-root-service-type
                (list (shepherd-service
                        (provision '(warm-cache))
                        (one-shot? #t)
                        (start #~(make-forkexec-constructor (list "/bin/true"))))
                      (shepherd-service
                        (provision '(mount-share))
                        (auto-start? #f)
                        (start #~(make-system-constructor "mkdir -p /srv/share && " "echo ok"))
                        (stop #~(make-system-destructor "echo stopped"))))))"""))
    warm = unit_text(system, "warm-cache.service")
    assert "Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n" in warm
    assert "Restart=" not in warm
    share = unit_text(system, "mount-share.service")
    assert 'ExecStart=/bin/sh -c "mkdir -p /srv/share && echo ok"\n' in share
    assert 'ExecStop=/bin/sh -c "echo stopped"\n' in share
    assert unit_entry(system, "mount-share.service")["enable"] is False
    assert unit_entry(system, "mount-share.service")["start"] is False
    for name in ("warm-cache.service", "mount-share.service"):
        verify(tmp_path, name, unit_text(system, name))


def test_pid_file_means_a_forking_daemon(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service
                        (provision '(forker))
                        (start #~(make-forkexec-constructor (list "/usr/sbin/forker")
                                                             #:pid-file "/run/forker.pid"))))))"""))
    assert "Type=forking\nPIDFile=/run/forker.pid\n" in unit_text(system, "forker.service")


def test_shepherd_service_type_procedure(tmp_path):
    system = build(tmp_path, os_spec("(list (service echo-type \"/srv/echo\"))", preamble="""
        (define echo-type
          (shepherd-service-type 'echo
            (lambda (directory)
              (shepherd-service (provision '(echo))
                                (start #~(make-forkexec-constructor
                                           (list "/bin/ls" #$directory)))))))"""))
    assert "ExecStart=/bin/ls /srv/echo\n" in unit_text(system, "echo.service")


def error_of(tmp_path, services, preamble=""):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(services, preamble=preamble))
    return e.value.render(), str(tmp_path / "spec.hy")


def test_a_name_the_start_cannot_use(tmp_path):
    message, path = error_of(tmp_path, """
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service (provision '(d))
                                        (start #~(begin (invoke "true")
                                                        (make-forkexec-constructor
                                                          (list "/bin/true"))))))))""")
    assert message.startswith(
        f"{where(path, '#~(begin')}: error: the start of shepherd service 'd': 'invoke' is not "
        "available when lispdeploy reads this g-expression\nhint: it may use calendar-event, "
        "command, const, cron-string->calendar-event, make-forkexec-constructor, "
        "make-kill-destructor, make-system-constructor, make-system-destructor, "
        "make-timer-constructor, make-timer-destructor, names such as SIGHUP, the Scheme "
        "procedures (list, "
        "string-append, ...) and values spliced in with #$")


def test_a_relative_program(tmp_path):
    message, path = error_of(tmp_path, """
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service (provision '(d)) (start '("python3" "app.py"))))))""")
    assert message == (
        f"{where(path, '(shepherd-service')}: error: shepherd service 'd': the program "
        "'python3' must be an absolute path\nhint: e.g. \"/usr/bin/python3\"")


def test_an_unknown_requirement(tmp_path):
    message, path = error_of(tmp_path, """
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service (provision '(d)) (requirement '(postgres))
                                        (start '("/bin/true"))))))""")
    assert message == (
        f"{where(path, '(shepherd-service')}: error: shepherd service 'd' requires 'postgres', "
        "which no service of this system provides\nhint: add the service that provides it, or "
        "name a unit lispdeploy does not manage by its full name, as a string: "
        "\"postgres.service\"")


def test_a_requirement_by_unit_name(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service (provision '(d)) (requirement '("postgresql.service"))
                                        (start '("/bin/true"))))))"""))
    assert "Requires=postgresql.service\nAfter=postgresql.service\n" in unit_text(
        system, "d.service")


def test_a_provision_given_twice(tmp_path):
    message, path = error_of(tmp_path, """
        (list (simple-service 'one shepherd-root-service-type
                (list (shepherd-service (provision '(web)) (start '("/bin/true")))))
              (simple-service 'two shepherd-root-service-type
                (list (shepherd-service (provision '(www web)) (start '("/bin/true"))))))""")
    assert message.startswith(
        f"{where(path, '(shepherd-service', 2)}: error: 'web' is provided twice: by web.service "
        f"('one' ({where(path, '(simple-service')})) and by www.service ('two' "
        f"({where(path, '(simple-service', 2)}))")


def test_custom_actions_have_no_systemd_counterpart(tmp_path):
    message, path = error_of(tmp_path, """
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service (provision '(d)) (start '("/bin/true"))
                                        (actions (list "rotate"))))))""")
    assert message == (
        f"{where(path, '(shepherd-service')}: error: shepherd-service 'd': custom actions have "
        "no systemd counterpart\nhint: keep only shepherd-trigger-action and "
        "shepherd-configuration-action; run other commands with lispdeploy deploy -x")


def test_a_package_in_a_start_gexp(tmp_path):
    message, path = error_of(tmp_path, """
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service (provision '(d))
                        (start #~(make-forkexec-constructor
                                   (list #$(specification->package "redis"))))))))""")
    assert message == (
        f"{where(path, '#~(make-forkexec')}: error: the start of shepherd service 'd': cannot "
        "use a package spliced in with #$ here\nhint: a Debian package has no store path; name "
        "the program by its path on the host, e.g. \"/usr/sbin/sshd\"")


def test_a_relative_log_file(tmp_path):
    message, path = error_of(tmp_path, """
        (list (simple-service 'd shepherd-root-service-type
                (list (shepherd-service (provision '(d))
                        (start #~(make-forkexec-constructor (list "/bin/true")
                                                             #:log-file "d.log"))))))""")
    assert message == (f"{where(path, '(shepherd-service')}: error: shepherd service 'd': "
                       "'d.log' must be an absolute path without spaces")
