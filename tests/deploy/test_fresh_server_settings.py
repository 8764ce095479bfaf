"""Host settings that need packages, on a fresh server: a locale on a host without the locales
package, and locales that no package provides (refused, the hint naming those that exist)."""

import json

from test_fresh_server_users import ssh_as

OS = """
(define os (operating-system (host-name "settings")
             (timezone "{zone}") (locale "{locale}")))
"""


def spec(world, host, zone, locale, file):
    machine = (f'(machine (operating-system os) (environment managed-host-environment-type)\n'
               f' (configuration (machine-ssh-configuration (host-name "{host.address}")'
               f' (system "x86_64-linux") (identity "{host.identity}")'
               f' (host-key "{host.host_key}"))))')
    return world.write(OS.format(zone=zone, locale=locale) + f"(list {machine})\n", file)


def test_time_zone_and_locale_get_the_packages_they_need(fleet, world):
    (host,) = fleet(1, image="debian-13")
    # (Debian's python3 depends on tzdata, so a host lispdeploy can reach always has time
    # zones; locales is what a fresh server lacks.)
    refused = world.lispdeploy("deploy", spec(world, host, "Asia/Tokyo", "xx_YY.utf8",
                                              "bad.hy"))
    # No locale can be checked before `locales` is installed: the activation installs it,
    # finds that no package provides xx_YY, and gives the host back as it was.
    assert refused.returncode == 1
    assert "locale xx_YY.utf8 is not one glibc can generate; locales that exist: " \
        in refused.stderr, refused.stderr
    assert "rolled back to the host as it was before lispdeploy" in refused.stderr
    status, out, _ = ssh_as(world, host, "root", "dpkg-query -W -f='${Package} "
                                                 "${db:Status-Abbrev}\\n' locales 2>&1")
    assert " ii" not in out  # purged again: the host is as it was
    done = world.lispdeploy("deploy", spec(world, host, "Asia/Tokyo", "fr_FR.utf8", "ok.hy"),
                            "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hosts"][0]["result"] == "deployed"
    status, out, _ = ssh_as(world, host, "root", "readlink /etc/localtime; date +%Z; "
                                                 "locale -a | grep -x fr_FR.utf8")
    assert out == "/usr/share/zoneinfo/Asia/Tokyo\nJST\nfr_FR.utf8\n"

    # Now that locales is installed, a locale glibc does not have is refused before anything
    # changes, the hint naming the ones that exist.
    refused = world.lispdeploy("deploy", spec(world, host, "Asia/Tokyo", "fr_FX.utf8",
                                              "typo.hy"))
    assert refused.returncode == 1
    assert "error (checks): locale 'fr_FX.utf8' is neither available nor generatable here" \
        in refused.stderr
    assert "hint: locales that exist: fr_FR.UTF-8" in refused.stderr
