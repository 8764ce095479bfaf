"""The deploy options every configuration shares (system, safety-checks?, allow-downgrades?):
the same fields, the same checks, in machine-ssh-configuration, container-configuration and
digital-ocean-configuration. Connects to nothing."""

import pytest

from lispdeploy.errors import RecordError
from lispdeploy.spec.loader import load_spec

CONFIGURATIONS = {
    "machine-ssh-configuration": '(machine-ssh-configuration (host-name "192.0.2.1") {})',
    "container-configuration": "(container-configuration {})",
    "digital-ocean-configuration":
        '(digital-ocean-configuration (region "nyc3") (size "s-1vcpu-1gb") {})',
}
ENVIRONMENTS = {"machine-ssh-configuration": "managed-host-environment-type",
                "container-configuration": "container-environment-type",
                "digital-ocean-configuration": "digital-ocean-environment-type"}


def spec(tmp_path, record, fields):
    path = tmp_path / "options.hy"
    path.write_text(f"""
(list (machine (operating-system (operating-system (host-name "h")))
               (environment {ENVIRONMENTS[record]})
               (configuration {CONFIGURATIONS[record].format(fields)})))
""")
    return str(path)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LISPDEPLOY_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("record", sorted(CONFIGURATIONS))
def test_shared_fields_and_their_defaults(tmp_path, record):
    fields = '(system "aarch64-linux") (safety-checks? #f) (allow-downgrades? #t)'
    (machine,) = load_spec(spec(tmp_path, record, fields)).machines
    config = machine.configuration
    assert (config.system, config.safety_checks, config.allow_downgrades) == (
        "aarch64-linux", False, True)
    if record != "machine-ssh-configuration":  # Guix requires system there
        (machine,) = load_spec(spec(tmp_path, record, "")).machines
        config = machine.configuration
        assert (config.system, config.safety_checks, config.allow_downgrades) == (
            "x86_64-linux", True, False)


@pytest.mark.parametrize("record", sorted(CONFIGURATIONS))
def test_an_unknown_system_is_refused_at_its_line(tmp_path, record):
    path = spec(tmp_path, record, '(system "x86-64-linux")')
    with pytest.raises(RecordError) as caught:
        load_spec(path)
    assert (f"{record}: field 'system' expects a known system type (x86_64-linux, "
            "i686-linux, aarch64-linux, armhf-linux, ...); did you mean 'x86_64-linux'?, got "
            'string \'x86-64-linux\'') in caught.value.render()
    assert caught.value.location.line == 4
