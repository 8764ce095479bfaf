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
# files, and their clients talk to container hosts.
DEBIAN_PACKAGES := openssh-server openssh-client systemd-container sudo apache2 nginx cron locales tzdata iproute2 python3 python3-venv git \
	mmdebstrap apt-cacher-ng \
	postgresql mariadb-server mariadb-client redis-tools php-fpm rsyslog logrotate unattended-upgrades zstd

.PHONY: test demo demo-clean try-forum deps system-deps venv lint clean

test: deps
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

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
