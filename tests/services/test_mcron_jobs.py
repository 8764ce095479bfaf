"""mcron-service-type as /etc/cron.d entries: the file (golden), jobs whose action is Scheme
code (run as a program), and the errors for what crontab cannot express."""

from systems import (assert_golden, build, etc_entry, etc_text, fresh_spec_cache,  # noqa: F401
                     install_runtime_here, items_by_path, os_spec, run, save, unit_entry,
                     where)

import pytest

from lispdeploy.errors import LispdeployError

MCRON = "(use-service-modules mcron)"


def test_cron_entries_golden(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service mcron-service-type
                       (mcron-configuration
                         (jobs (list #~(job "5 0 * * *" "guix gc -F 1G")
                                     #~(job "@hourly" "date +%s >> /var/tmp/ticks"
                                            "ticks" #:user "nobody")))))
              (simple-service 'rotate mcron-service-type
                              (list #~(job "0 4 * * 1-5"
                                           #$(string-append "find /var/tmp"
                                                            " -mtime +7 -delete")))))""",
                                     preamble=MCRON))
    text = etc_text(system, "cron.d/lispdeploy-mcron")
    assert_golden("lispdeploy-mcron", text)
    assert etc_entry(system, "cron.d/lispdeploy-mcron")["mode"] == "0644"
    assert unit_entry(system, "cron.service") == {"name": "cron.service", "item": None,
                                                   "enable": True, "start": True, "watch": [],
                                                   "reload": [], "packages": ["cron"]}
    assert {"name": "cron", "version": None} in system.manifest["packages"]


def test_output_is_dropped_without_a_log(tmp_path):
    system = build(tmp_path, os_spec("""
        (list (service mcron-service-type
                       (mcron-configuration (log? #f)
                                            (jobs (list #~(job "* * * * *" "true"))))))""",
                                     preamble=MCRON))
    assert "* * * * * root /bin/sh -c true > /dev/null 2>&1\n" in etc_text(
        system, "cron.d/lispdeploy-mcron")


def test_a_job_with_a_procedure_runs_as_a_program(tmp_path):
    out = tmp_path / "ran"
    system = build(tmp_path, os_spec(f"""
        (list (service mcron-service-type
                       (mcron-configuration
                         (jobs (list #~(job "*/10 * * * *"
                                            (lambda ()
                                              (call-with-output-file "{out}"
                                                (lambda (port)
                                                  (display "job ran" port))))))))))""",
                                     preamble=MCRON))
    line = etc_text(system, "cron.d/lispdeploy-mcron").splitlines()[-1]
    schedule, user, program = line.split()[:5], line.split()[5], line.split()[6:9]
    assert schedule == ["*/10", "*", "*", "*", "*"] and user == "root"
    assert program[:2] == ["/usr/bin/python3", "-I"]
    item = items_by_path(system)[program[2]]
    install_runtime_here()
    result = run(["python3", "-I", save(tmp_path, "job", item.content)])
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "job ran"


def error_of(tmp_path, jobs):
    with pytest.raises(LispdeployError) as e:
        build(tmp_path, os_spec(f"(list (service mcron-service-type (mcron-configuration "
                                f"(jobs (list {jobs})))))", preamble=MCRON))
    return e.value.render(), str(tmp_path / "spec.hy")


def test_a_schedule_crontab_cannot_express(tmp_path):
    message, path = error_of(tmp_path, "#~(job '(next-hour '(3)) \"date\")")
    assert message == (
        f"{where(path, '#~(job')}: error: mcron job: (next-hour (quote (3))) is "
        "not a crontab schedule\nhint: write the time as crontab does: \"MINUTE HOUR DAY MONTH "
        "WEEKDAY\" such as \"5 0 * * *\", or @daily, @hourly, ...")


def test_a_command_on_several_lines(tmp_path):
    message, path = error_of(tmp_path, "#~(job \"@daily\" \"date\\nreboot\")")
    assert message == (f"{where(path, '#~(job')}: error: mcron job: the command must be one "
                       "non-empty line (it holds a newline)")


def test_a_gexp_that_is_not_a_job(tmp_path):
    message, path = error_of(tmp_path, "#~(list \"@daily\" \"date\")")
    assert message == (f"{where(path, '#~(list')}: error: mcron job: the g-expression does not "
                       "give a (job ...)\nhint: write #~(job \"5 0 * * *\" \"command\")")


def test_a_cron_line_runs_as_written(tmp_path):
    out, log = tmp_path / "out", tmp_path / "mcron.log"
    system = build(tmp_path, os_spec(f"""
        (list (service mcron-service-type
                       (mcron-configuration
                         (log-file "{log}")
                         (jobs (list #~(job "@daily"
                                            "echo 100% done > {out}; echo logged # !"))))))""",
                                     preamble=MCRON))
    line = etc_text(system, "cron.d/lispdeploy-mcron").splitlines()[-1]
    command = line.split(None, 2)[2]
    # What cron does with the command part: \% becomes %, then SHELL runs it.
    result = run(["/bin/sh", "-c", command.replace("\\%", "%")])
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "100% done\n"
    assert log.read_text() == "logged\n"
