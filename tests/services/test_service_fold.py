"""Folding services into a system: real service graphs, and each error the fold reports, with
the spec location it names."""

import os

import pytest

from systems import (MACHINE_TAIL, SPECS_DIR, build, etc_text, fresh_spec_cache,  # noqa: F401
                     os_spec, where, write_spec)

from lispdeploy.errors import LispdeployError, ServiceError
from lispdeploy.services import base
from lispdeploy.services.core import (Folding, Service, ServiceExtension, ServiceType,
                                      fold_services, service)
from lispdeploy.services.sinks import etc_service_type, system_service_type
from lispdeploy.spec.loader import load_spec
from lispdeploy.system.essential import operating_system_services

CUSTOM_TYPES = """
(define needs-value-type
  (service-type (name 'needs-value)
                (extensions (list (service-extension etc-service-type
                                    (lambda (v) (list (list "v" (plain-file "v" v)))))))))
(define inner-type
  (service-type (name 'inner) (compose concatenate) (extend (lambda (v extra) v))))
(define outer-type
  (service-type (name 'outer)
                (extensions (list (service-extension inner-type (lambda (v) (list v)))))
                (default-value "x")))
"""


def kinds(services):
    return [s.kind.name for s in services]


def test_home_server_folds_into_a_system():
    spec = load_spec(os.path.join(SPECS_DIR, "home-server.hy"))
    os_ = spec.machines[0].operating_system
    services = operating_system_services(os_)
    assert kinds(services) == ["system", "host-settings", "etc", "account", "activation",
                               "shepherd-root", "profile", "openssh", "dhcp-client", "login",
                               "journald", "sysctl", "guix", "nscd", "udev", "mingetty",
                               "console-font", "virtual-terminal", "urandom-seed",
                               "log-cleanup"]
    root = fold_services(services, system_service_type)
    assert sorted(root) == ["accounts", "activation", "etc", "host", "packages", "units"]
    assert root["host"][0].host_name == "alyssas-home-server"
    assert [u.name for u in root["units"]] == ["ssh.service", "systemd-networkd.service"]
    assert {getattr(a, "name") for a in root["accounts"]} >= {"alyssa", "root", "wheel"}


def test_forum_servers_fold_into_four_systems():
    spec = load_spec(os.path.join(SPECS_DIR, "forum-servers.hy"))
    names = []
    for machine in spec.machines:
        root = fold_services(operating_system_services(machine.operating_system),
                             system_service_type)
        names.append(root["host"][0].host_name)
        assert [u.name for u in root["units"]] == ["apache2.service"]
    assert names == [f"forum-server-{n}" for n in range(4)]


def test_contributions_remember_the_service_they_come_from(tmp_path):
    path = write_spec(tmp_path, os_spec(
        "(list (simple-service 'motd etc-service-type "
        "(list (list \"motd\" (plain-file \"motd\" \"hi\")))))"))
    spec = load_spec(path)
    folding = Folding(operating_system_services(spec.machines[0].operating_system))
    etc = folding.only(etc_service_type)
    (source, contribution), = [c for c in folding.contributions(etc) if c[0].kind.name == "motd"]
    assert str(source.location) == where(path, "(simple-service 'motd")
    assert contribution[0][0] == "motd"


def test_no_value_for_a_type_without_default(tmp_path):
    path = write_spec(tmp_path, os_spec("(list (service needs-value-type))",
                                        preamble=CUSTOM_TYPES))
    with pytest.raises(ServiceError) as e:
        load_spec(path)
    assert e.value.render() == (
        f"{where(path, '(service needs-value-type)')}: error: no value specified for service "
        "of type 'needs-value'\n"
        "hint: write (service needs-value VALUE); this type has no default value")


def test_extension_of_a_missing_target_without_default(tmp_path):
    system = os_spec("(list (service outer-type))", preamble=CUSTOM_TYPES)
    with pytest.raises(ServiceError) as e:
        build(tmp_path, system)
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(service outer-type)')}: error: service 'outer' extends 'inner', "
        "which is missing and has no default value\n"
        "hint: add (service inner VALUE) to the services")


def test_two_instances_of_a_type_that_others_extend(tmp_path):
    text = os_spec("""(list (service nginx-service-type)
                            (service nginx-service-type)
                            (simple-service 'site nginx-service-type
                                            (list (nginx-server-configuration))))""",
                   preamble="(use-service-modules web)")
    with pytest.raises(ServiceError) as e:
        build(tmp_path, text)
    path = str(tmp_path / "spec.hy")
    first, second = where(path, "(service nginx"), where(path, "(service nginx", 2)
    assert e.value.render() == (
        f"{second}: error: more than one target service of type 'nginx' (extended by "
        f"'site'): {first}, {second}\n"
        "hint: keep a single (service nginx ...); extend it from other services instead of "
        "declaring it twice")


def test_two_instances_writing_the_same_file(tmp_path):
    text = os_spec("(list (service openssh-service-type) (service openssh-service-type))",
                   preamble="(use-service-modules ssh)")
    with pytest.raises(ServiceError) as e:
        build(tmp_path, text)
    path = str(tmp_path / "spec.hy")
    first, second = where(path, "(service openssh"), where(path, "(service openssh", 2)
    assert e.value.render() == (
        f"{second}: error: /etc/ssh/sshd_config is declared twice: by 'openssh' "
        f"({first}) and by 'openssh' ({second})\n"
        "hint: keep one of them; to change a service's file, change its configuration "
        "(modify-services) instead")


def test_an_extension_cycle_is_an_error():
    # Records are immutable, so a spec cannot tie two types into a loop; a Python module
    # could, by reaching into a record, and the fold must still stop.
    a = ServiceType(name="a", compose=list, extend=lambda v, extra: v, default_value=1)
    b = ServiceType(name="b", extensions=(ServiceExtension(target=a, compute=lambda v: v),),
                    compose=list, extend=lambda v, extra: v, default_value=2)
    # (A record's stored values sit in its _values and, for fast reads, its __dict__.)
    a._values["extensions"] = vars(a)["extensions"] = (
        ServiceExtension(target=b, compute=lambda v: v),)
    with pytest.raises(ServiceError) as e:
        fold_services([service(a), service(b)], a)
    assert str(e.value) == "service extension cycle: a -> b -> a"


def test_modify_services_of_an_absent_type(tmp_path):
    text = os_spec("(modify-services %base-services (delete nginx-service-type))",
                   preamble="(use-service-modules web)")
    path = write_spec(tmp_path, text)
    with pytest.raises(ServiceError) as e:
        load_spec(path)
    assert e.value.render() == (
        f"{where(path, '(modify-services')}: error: modify-services: no service of type "
        "'nginx' to modify\n"
        "hint: the list given to modify-services has no such service")


def test_modify_services_changes_and_deletes(tmp_path):
    system = build(tmp_path, os_spec("""
        (modify-services (cons (service openssh-service-type) %base-services)
          (openssh-service-type config =>
            (openssh-configuration (inherit config) (port-number 2222)))
          (sysctl-service-type config =>
            (sysctl-configuration (settings '(("net.ipv4.ip_forward" "1")))))
          (delete journald-service-type))""", preamble="(use-service-modules ssh)"))
    assert "Port 2222\n" in etc_text(system, "ssh/sshd_config")
    assert etc_text(system, "sysctl.d/90-lispdeploy.conf").endswith("net.ipv4.ip_forward = 1\n")
    assert [u["name"] for u in system.manifest["units"]] == ["ssh.service",
                                                             "systemd-sysctl.service"]


def test_an_error_inside_a_service_procedure_names_the_service(tmp_path):
    text = os_spec("(list (service broken-type 1))", preamble="""
        (define broken-type
          (service-type (name 'broken)
                        (extensions (list (service-extension etc-service-type
                                            (lambda (v) (car v)))))))""")
    with pytest.raises(ServiceError) as e:
        build(tmp_path, text)
    path = str(tmp_path / "spec.hy")
    assert e.value.render().startswith(
        f"{where(path, '(service broken-type')}: error: service 'broken': its extension of "
        "'etc' failed: SchemeError: car: expects a list, got 1\n")
    assert e.value.render().endswith(
        f"hint: see the definition of broken's service type ({where(path, '(service-type')})")


def test_a_sink_given_something_else_names_the_service(tmp_path):
    text = os_spec("(list (simple-service 'odd account-service-type (list \"alice\")))")
    with pytest.raises(ServiceError) as e:
        build(tmp_path, text)
    path = str(tmp_path / "spec.hy")
    assert e.value.render() == (
        f"{where(path, '(simple-service')}: error: service 'odd' gives string 'alice' to "
        "account-service-type, which expects user-account and user-group records")


def test_base_services_change_nothing_by_default(tmp_path):
    system = build(tmp_path, os_spec("%base-services"))
    assert [e["path"] for e in system.manifest["etc"]] == ["sudoers"]
    assert system.manifest["units"] == []
    assert system.manifest["activation"] is None
    assert kinds(base.BASE_SERVICES)[:3] == ["login", "journald", "sysctl"]
    # The rest stand for Guix's base services that Debian provides itself: they do nothing.
    assert all(s.kind.extensions == () for s in base.BASE_SERVICES[3:])


def test_sinks_are_added_when_missing():
    folding = Folding([Service(kind=base.login_service_type, value=base.LoginConfiguration())])
    assert {s.kind.name for s in folding.services} == {"login", "etc", "system"}


def test_essential_services_can_be_replaced(tmp_path):
    text = MACHINE_TAIL.join(["", ""])
    path = write_spec(tmp_path, """
        (define os (operating-system (host-name "h")
                     (essential-services (list 42))))""" + text)
    spec = load_spec(path)
    with pytest.raises(LispdeployError) as e:
        operating_system_services(spec.machines[0].operating_system)
    assert "field 'essential-services' expects a list of services" in str(e.value)
