#!/bin/sh
# Download (without installing) the Debian packages given as arguments into apt's cache, unless
# they are there already. Another apt may be running (several checkouts set up at once): wait for its lock. Container hosts see this machine's apt cache through their overlay,
# so a deploy that installs one of these packages in a test host needs no network.
set -eu
missing=""
for p in "$@"; do
  ls /var/cache/apt/archives/"$p"_*.deb >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: cannot download Debian packages$missing into apt's cache" >&2
  echo "hint: run 'make' as root" >&2
  exit 1
fi
echo "caching Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -q --download-only --no-install-recommends $missing >/dev/null \
  || { apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null && apt-get -o DPkg::Lock::Timeout=600 install -y -q --download-only --no-install-recommends $missing >/dev/null; }
