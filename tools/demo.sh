#!/bin/sh
# `make demo`: deploy specs/web-demo.hy to two local container hosts (fresh minimal Debian
# servers: the first deploy installs nginx, sudo and locales from Debian's archive), show the
# page each one serves and the packages lispdeploy installed, deploy a change (after a dry
# run), roll it back, and list the generations.
set -eu
cd "$(dirname "$0")/.."
LISPDEPLOY=.venv/bin/lispdeploy
SPEC=specs/web-demo.hy
HOSTS="127.0.100.1 127.0.100.2"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fetch() {
  for address in $HOSTS; do
    printf -- '--- http://%s/\n' "$address"
    python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().strip())' "http://$address/"
  done
}

step "$LISPDEPLOY describe $SPEC"
$LISPDEPLOY describe "$SPEC"

step "$LISPDEPLOY deploy $SPEC   (creates and boots the two container hosts on first use)"
echo "The hosts are fresh minimal Debian servers (systemd, sshd, python3): the first deploy"
echo "installs what the spec needs from Debian's archive, through the package cache."
$LISPDEPLOY deploy "$SPEC"

step "the page, fetched from each host"
fetch

step "what the deploy installed on the hosts (none of it was there before)"
$LISPDEPLOY deploy "$SPEC" -x -- dpkg-query -W -f='${Package} ${Version}\n' nginx sudo locales
$LISPDEPLOY container list "$SPEC"

changed=$(mktemp -d)
trap 'rm -rf "$changed"' EXIT
sed 's/(define %greeting "Hello from lispdeploy")/(define %greeting "Hello again: this is generation 2")/' \
  "$SPEC" > "$changed/web-demo.hy"

step "a change: the greeting. First a dry run (changes nothing)"
$LISPDEPLOY deploy "$changed/web-demo.hy" --dry-run

step "deploy the change"
$LISPDEPLOY deploy "$changed/web-demo.hy"
fetch

step "$LISPDEPLOY deploy $SPEC --roll-back"
$LISPDEPLOY deploy "$SPEC" --roll-back
fetch

step "$LISPDEPLOY generations $SPEC"
$LISPDEPLOY generations "$SPEC"

cat <<TXT

The two hosts keep running. Try:
  $LISPDEPLOY deploy $SPEC -x -- systemctl status nginx
  $LISPDEPLOY container list $SPEC
  $LISPDEPLOY container images         (the images hosts boot from)
  $LISPDEPLOY destroy $SPEC          (lists both hosts, asks, removes them)
TXT
