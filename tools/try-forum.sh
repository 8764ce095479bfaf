#!/bin/sh
# `make try-forum`: the seed's forum example (specs/forum-servers.hy, four droplets) deployed
# to lispdeploy's DigitalOcean stand-in, whose droplets are container hosts of this machine;
# then each server's Apache is asked for its page, and the droplets are destroyed. Nothing
# reaches DigitalOcean. Needs root, like every container host. See docs/environments.md,
# "Trying droplets locally".
set -eu
cd "$(dirname "$0")/.."
bin=.venv/bin
work=$(mktemp -d /tmp/lispdeploy-try-forum.XXXXXX)
spec=specs/forum-servers.hy

$bin/python -m lispdeploy.environments.digital_ocean.stand_in --env-file "$work/env" \
    >"$work/stand-in.log" 2>&1 &
stand_in=$!
finish() {
    status=$?
    kill "$stand_in" 2>/dev/null && wait "$stand_in" || true
    rm -rf "$work"
    exit $status
}
trap finish EXIT INT TERM

tries=0
while [ ! -s "$work/env" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$stand_in" 2>/dev/null; then
        cat "$work/stand-in.log" >&2
        exit 1
    fi
    sleep 0.1
done
. "$work/env"
export LISPDEPLOY_DIGITAL_OCEAN_STATE="$work/droplets"
# The spec's droplets log in with ~/.ssh/id_ed25519: a throwaway one, not yours.
export HOME="$work/home"
mkdir -p "$HOME/.ssh"
ssh-keygen -q -t ed25519 -N "" -C "try-forum" -f "$HOME/.ssh/id_ed25519"

echo "== lispdeploy deploy $spec (droplets of the stand-in at $LISPDEPLOY_DIGITAL_OCEAN_URL)"
$bin/lispdeploy deploy "$spec"
echo "== each forum server's Apache, asked from here at its droplet's address"
$bin/python - "$LISPDEPLOY_DIGITAL_OCEAN_STATE" <<'PY'
import glob, json, sys, urllib.error, urllib.request
for path in sorted(glob.glob(sys.argv[1] + "/*/droplet.json")):
    droplet = json.load(open(path))
    url = "http://%s:80/" % droplet["public_ipv4"]
    try:
        status = urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        status = e.code
    note = " (Apache answers; the forum's /srv/forum has no page yet)" if status == 403 else ""
    print("%s (droplet %s) %s: HTTP %s%s" % (droplet["name"], droplet["id"], url, status, note))
PY
echo "== lispdeploy destroy $spec --yes"
$bin/lispdeploy destroy "$spec" --yes
