# lispdeploy: `make test` and `make demo` are the only set-up commands a user needs.
# Both install what they need: Debian packages (as root) and a virtualenv in .venv/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Debian packages the container hosts, the tests and the services under test need: mmdebstrap
# builds the minimal images hosts boot from; apt-cacher-ng is the package cache hosts share
# (started and stopped by lispdeploy itself, never as a service of this machine), so packages
# that tests install in hosts are downloaded once; the daemons' own checkers run on generated
# files, and their clients talk to container hosts. pebble (an ACME server), apt-utils and
# gnupg (a signed apt repository) run on this machine, on loopback, as the servers the certbot
# and apt-service tests talk to.
DEBIAN_PACKAGES := openssh-server openssh-client systemd-container sudo apache2 nginx cron locales tzdata iproute2 python3 python3-venv git \
	mmdebstrap apt-cacher-ng \
	postgresql mariadb-server mariadb-client redis-tools php-fpm rsyslog logrotate unattended-upgrades zstd \
	pebble openssl apt-utils gnupg

.PHONY: test test-crash test-corpus bench demo demo-clean try-forum deps system-deps venv lint clean

# Container hosts share this machine's inotify and task limits: raised (never lowered) for the
# hosts a run boots at once (tools/raise-container-limits.sh, docs/environments.md).
TEST_HOSTS  := 48
BENCH_HOSTS := 60

# The suite runs in TEST_WORKERS processes (pytest-xdist), one test file per worker at a time:
# most of a host test's time is spent waiting (boots, apt, confirmation timeouts), so three
# workers keep two cores busy. Each worker owns its hosts (named by its PID) and tears them
# down; tests of one file share its fixtures. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 3

test: deps
	$(BIN)/lint-imports --no-cache
	@sh tools/raise-container-limits.sh $(TEST_HOSTS)
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15 $(PYTEST_ARGS)

# The benchmark against pyinfra, Ansible and the SSH floor (benchmarks/README.md); it installs
# the peers into its own virtualenv and writes benchmarks/results.md and its plot.
bench: deps
	@sh tools/raise-container-limits.sh $(BENCH_HOSTS)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# Every interruption point of the crash-safety harness (docs/safety.md), not a sample: ~40 min.
test-crash: deps
	LISPDEPLOY_CRASH_POINTS=all $(BIN)/pytest -q -s -p no:cacheprovider tests/deploy/test_crash_safety.py

# Every spec of the bad-spec corpus (docs/safety.md), not make test's sample: ~18 min.
test-corpus: deps
	@sh tools/raise-container-limits.sh $(TEST_HOSTS)
	LISPDEPLOY_CORPUS=all $(BIN)/pytest -q -p no:cacheprovider tests/safety/test_bad_specs.py

demo: deps
	@sh tools/demo.sh

demo-clean: venv
	$(BIN)/lispdeploy destroy specs/web-demo.hy --yes

# The seed's forum servers on droplets of the DigitalOcean stand-in (container hosts here).
try-forum: deps
	@sh tools/try-forum.sh

deps: system-deps venv

system-deps:
	@sh tools/install-debian-packages.sh $(DEBIAN_PACKAGES)

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]' --config-settings editable_mode=compat
	@# Bytecode up front: where PYTHONDONTWRITEBYTECODE is set, nothing else would write it,
	@# and every command would compile lispdeploy again (~0.2 s).
	$(BIN)/python -m compileall -q lispdeploy
	touch $@

lint: venv
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
