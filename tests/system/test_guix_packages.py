"""The table of Guix packages: every Guix name is one Guix has, every Debian name one
Debian 12 has (checked against this machine's apt), and the spec forms that use it."""

import subprocess

import pytest

from lispdeploy.errors import SpecError
from lispdeploy.system.guix_names import package_modules
from lispdeploy.system import guix_packages
from lispdeploy.system.packages import (package_check, package_variables,
                                        specification_to_package,
                                        specification_to_package_output)


def test_the_table_has_hundreds_of_real_guix_packages():
    variables, outputs, spec_names = guix_packages.tables()
    assert len(variables) >= 300
    guix = package_modules()
    assert [v for v in variables if v not in guix] == []
    assert [o for o in outputs if o.split(":")[0] not in guix] == []
    assert [v for v in spec_names.values() if v not in guix] == []


def test_every_debian_name_is_known_to_apt():
    variables, outputs, _ = guix_packages.tables()
    names = sorted(set(variables.values()) | set(outputs.values()))
    done = subprocess.run(["apt-cache", "show", "--no-all-versions", *names],
                          capture_output=True, text=True)
    known = {line.split(":", 1)[1].strip() for line in done.stdout.splitlines()
             if line.startswith("Package:")}
    # A virtual package (provided by another) is shown by apt-cache showpkg instead.
    missing = [n for n in names if n not in known and not subprocess.run(
        ["apt-cache", "showpkg", n], capture_output=True, text=True).stdout.count("Reverse Provides")]
    assert missing == []


@pytest.mark.parametrize("spec, debian", [
    ("nss-certs", "ca-certificates"), ("openssh-sans-x", "openssh-server"),
    ("bind:utils", "bind9-dnsutils"), ("make", "make"), ("git:send-email", "git-email"),
    ("htop@3.2.2-2", "htop")])
def test_specification_to_package(spec, debian):
    package = specification_to_package(spec)
    assert package.name == debian and package.guix_name == spec.split("@")[0].split(":")[0]


def test_unknown_specifications_say_what_is_close():
    with pytest.raises(SpecError) as e:
        specification_to_package("openssh-sans-xx")
    assert e.value.message == ("specification->package: no Guix package 'openssh-sans-xx' in "
                               "lispdeploy's package table")
    assert e.value.hint.startswith("did you mean 'openssh-sans-x'?")
    with pytest.raises(SpecError) as e:
        specification_to_package("git:nonsense")
    assert "no Debian package for output 'nonsense'" in e.value.message


def test_names_guix_does_not_have_are_debian_names():
    package = specification_to_package("postgresql-client")
    assert (package.name, package.guix_name) == ("postgresql-client", None)
    assert specification_to_package("bind9").name == "bind9"
    with pytest.raises(SpecError) as e:
        specification_to_package("emacs-magit")
    assert e.value.message == ("specification->package: Guix's package 'emacs-magit' has no "
                               "Debian counterpart in lispdeploy's package table")


def test_outputs_and_package_files():
    package, output = specification_to_package_output("bind:utils")
    assert (package.name, output) == ("bind9-dnsutils", "utils")
    variables = package_variables()
    assert package_check([variables["isc-bind"], "utils"]).name == "bind9-dnsutils"
    assert package_check([variables["git"], "out"]).name == "git"
    shell = variables["zsh"].installed_path("/bin/zsh")
    assert shell == "/usr/bin/zsh" and shell.package.name == "zsh"
    assert variables["nginx"].installed_path("/sbin/nginx") == "/usr/sbin/nginx"
    assert variables["openssh"].installed_path("/etc/ssh") == "/etc/ssh"
