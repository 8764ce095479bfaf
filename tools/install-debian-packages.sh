#!/bin/sh
# Install the Debian packages given as arguments, but only those missing, so that a machine
# that has them all pays nothing. Services that packages would start on this machine are kept
# from starting: lispdeploy runs them inside container hosts, never on the machine itself.
set -eu
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: missing Debian packages:$missing" >&2
  echo "hint: run 'make' as root, or install them: apt-get install$missing" >&2
  exit 1
fi
echo "installing Debian packages:$missing"
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; made_policy=yes
fi
trap '[ "$made_policy" = yes ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing >/dev/null
