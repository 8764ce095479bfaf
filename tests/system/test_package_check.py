"""The deploy's package check, controller half: where the spec asks for each package (its
origin), and what the user reads when the host's apt cannot install one as declared: the
spec location, the Guix name it came from, close Debian names, providers or versions."""

from __future__ import annotations

import pytest

from lispdeploy.environments.managed_host import checks
from lispdeploy.errors import DeployError
from lispdeploy.hostside.contract import Facts, OsRelease, ProbeAnswer
from systems import build, fresh_spec_cache, where  # noqa: F401

SPEC = """
(use-modules (gnu) (gnu services web))
(define os
  (operating-system
    (host-name "test-host")
    (packages (cons* "htpo" nss-certs
                     (specification->package "bind:utils")
                     %base-packages))
    (services (list (service nginx-service-type)))))
(list (machine
       (operating-system os)
       (environment managed-host-environment-type)
       (configuration (machine-ssh-configuration
                       (host-name "192.0.2.1")
                       (system "x86_64-linux")))))
"""
DEBIAN = "Debian GNU/Linux 12 (bookworm)"


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    return build(tmp_path_factory.mktemp("packages"), SPEC)


def judge(system, report):
    context = checks.CheckContext(manifest=system.manifest_record, contents=system.contents(),
                                  package_origins=system.package_origins)
    answer = ProbeAnswer(machine="x86_64", os=OsRelease("debian", "12", DEBIAN),
                         python=[3, 11, 2], package_manager="apt", systemd=True,
                         checks={"packages": report}, facts=Facts())
    return checks.judge(answer, context)


def present(*problems):
    return {"lists": "present", "update-error": None, "problems": list(problems)}


def test_each_package_knows_where_the_spec_asks_for_it(system):
    path = system.provenance["spec"]["path"]
    origins = system.package_origins
    field = where(path, "(packages")
    assert [str(origins["htpo"].location), origins["htpo"].guix_name] == [field, None]
    assert [str(origins["ca-certificates"].location),
            origins["ca-certificates"].guix_name] == [field, "nss-certs"]
    assert str(origins["bind9-dnsutils"].location) == where(path, "(specification->package")
    assert origins["bind9-dnsutils"].guix_name == "bind"
    assert str(origins["nginx"].location) == where(path, "(service nginx")
    assert origins["nginx"].service == "nginx"
    # The base packages are named by the (absent) packages field: the operating system.
    assert origins["sudo"].location is not None


def test_the_check_asks_the_host_about_every_declared_package(system):
    context = checks.CheckContext(manifest=system.manifest_record, contents=system.contents())
    asked = checks.probe_requests(context)["packages"]
    assert {"name": "htpo", "version": None} in asked
    assert {p["name"] for p in asked} >= {"ca-certificates", "bind9-dnsutils", "nginx", "sudo"}


def test_an_unknown_name_is_refused_at_its_location_with_close_names(system):
    (problem,) = judge(system, present({"name": "htpo", "kind": "unknown",
                                        "close": ["htop", "htp"]}))
    assert not problem.warning
    assert problem.message == f"package 'htpo' is not known to the host's apt ({DEBIAN})"
    assert problem.hint.startswith("close names apt knows: 'htop', 'htp'; ")
    with pytest.raises(DeployError) as raised:
        checks.raise_first([problem], "web", "checks")
    assert str(raised.value.location) == str(system.package_origins["htpo"].location)
    assert raised.value.step == "checks"


def test_a_guix_package_names_the_guix_name_it_came_from(system):
    (problem,) = judge(system, present({"name": "bind9-dnsutils", "kind": "unknown",
                                        "close": []}))
    assert problem.message == ("package 'bind9-dnsutils' (lispdeploy's Debian name for Guix's "
                               f"'bind') is not known to the host's apt ({DEBIAN})")
    assert "write it as a string in the packages" in problem.hint


def test_virtual_packages_and_versions_apt_does_not_offer(system):
    (virtual,) = judge(system, present({"name": "ca-certificates", "kind": "virtual",
                                        "providers": ["ca-a", "ca-b"]}))
    assert virtual.message.endswith("is a virtual package on this host, provided by 'ca-a', "
                                    "'ca-b'")
    assert virtual.hint == 'name the package that provides it, e.g. "ca-a"'
    (version,) = judge(system, present({"name": "nginx", "kind": "version", "version": "9.9",
                                        "offered": ["1.22.1-9"]}))
    assert version.message == ("package nginx of service 'nginx': version 9.9 is not "
                               "available; apt offers 1.22.1-9")
    assert version.hint == 'pin one of them, e.g. "nginx@1.22.1-9", or none'


def test_several_packages_are_refused_together(system):
    (problem,) = judge(system, present(
        {"name": "htpo", "kind": "unknown", "close": ["htop"]},
        {"name": "bind9-dnsutils", "kind": "unknown", "close": []}))
    origins = system.package_origins
    assert problem.message.splitlines() == [
        "2 packages cannot be installed as declared:",
        f"  {origins['htpo'].location}: package 'htpo' is not known to the host's apt "
        f"({DEBIAN})",
        f"  {origins['bind9-dnsutils'].location}: package 'bind9-dnsutils' (lispdeploy's "
        f"Debian name for Guix's 'bind') is not known to the host's apt ({DEBIAN})"]
    assert "\n  htpo: close names apt knows: 'htop'" in problem.hint
    assert "\n  bind9-dnsutils: apt knows no package" in problem.hint
    assert problem.location == origins["htpo"].location


def test_no_lists_and_no_archive_is_refused(system):
    (problem,) = judge(system, {"lists": "fetched", "update-error": "E: Failed to fetch x",
                                "problems": []})
    assert not problem.warning
    assert problem.message == ("cannot check the declared packages: the host has no apt "
                               "package lists, and apt-get update failed:\nE: Failed to fetch x")


def test_nothing_to_say_when_apt_knows_everything(system):
    assert judge(system, present()) == []
    assert judge(system, {"apt": False}) == []
    assert judge(system, {"lists": "fetched", "update-error": None, "problems": []}) == []


def test_packages_of_apt_sources_the_deploy_adds_are_not_refused_yet(tmp_path):
    system = build(tmp_path, SPEC.replace(
        "(service nginx-service-type)",
        "(simple-service 'vendor etc-service-type (list (list \"apt/sources.list.d/"
        "vendor.sources\" (plain-file \"vendor.sources\" \"Types: deb\\n\"))))"))
    (problem,) = judge(system, present({"name": "htpo", "kind": "unknown", "close": []}))
    assert problem.warning
    assert problem.message == (
        f"{system.package_origins['htpo'].location}: package 'htpo' is not known to the "
        f"host's apt ({DEBIAN}); not refused yet: the deploy adds apt sources "
        "(/etc/apt/sources.list.d/vendor.sources) that may provide it, and apt-get says when "
        "it installs")
