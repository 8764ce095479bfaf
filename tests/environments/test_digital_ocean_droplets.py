"""digital-ocean-environment-type end to end, against the fake DigitalOcean API whose droplets
are real container hosts: the seed's forum servers deployed on two droplets, found again by a
second deploy (no new droplet), a changed host key refused, `lispdeploy destroy`; provisioning
failures that leave no droplet behind while the other machines deploy; a droplet presenting
another host key than the one lispdeploy gave it."""

import json
import os
import subprocess


from lispdeploy.remote.ssh import SshTransport

PORT = 18180  # forum-server-N listens on PORT + N: the droplets share the loopback interface

FORUM = """
;; specs/forum-servers.hy, with two servers that each listen on a port of their own (the
;; stand-in's droplets share one loopback interface; their services bind to their own address
;; too) and a page naming the server.
(define %forum-server-count 2)

(define (page n)
  (mixed-text-file "index.html" (format #f "<h1>forum-server-~a</h1>" n)))

(define (forum-server n)
  (operating-system
    (host-name (format #f "forum-server-~a" n))
    (timezone "Etc/UTC")
    (services (append (list (service httpd-service-type
                                     (httpd-configuration
                                      (config
                                       (httpd-config-file
                                        (server-name (format #f "forum-~a.example.org" n))
                                        (document-root "/srv/forum")
                                        (listen (list (format #f "~a" (+ PORT n))))))))
                            (simple-service 'forum-page activation-service-type
                                            #~(begin
                                                (mkdir-p "/srv/forum")
                                                (copy-file #$(page n) "/srv/forum/index.html"))))
                      %base-services))))

(map (lambda (n)
       (machine
        (system (forum-server n))
        (environment digital-ocean-environment-type)
        (configuration (digital-ocean-configuration
                        (ssh-key "KEY")
                        (tags '("forum"))
                        (region "nyc3")
                        (size "s-1vcpu-1gb")
                        (enable-ipv6 #t)
                        (provisioning-timeout 240)))))
     (iota %forum-server-count))
"""


def user_key(tmp_path):
    """A key pair for root on the droplets (never the user's own ~/.ssh)."""
    path = str(tmp_path / "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tester@controller",
                    "-f", path], check=True)
    return path


def prepare(world, fake, tmp_path):
    """Point the world's lispdeploy runs at the fake; return (key, state directory)."""
    state = str(tmp_path / "droplet-state")
    world.env.pop("GUIX_DIGITAL_OCEAN_TOKEN", None)
    world.env.update(fake.environment(LISPDEPLOY_DIGITAL_OCEAN_STATE=state))
    return user_key(tmp_path), state


def rows(done):
    return {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[1:]}


def on_droplet(fake, name, key, state, script):
    """Run a shell script on droplet `name` over SSH, checking the host key lispdeploy
    recorded; its stdout."""
    (droplet,) = fake.live(name)
    with open(os.path.join(state, name, "host_key.pub")) as f:
        host_key = f.read().strip()
    with SshTransport.connect(droplet.address, identity=key, host_key=host_key,
                              name=name) as ssh:
        done = ssh.execute(["sh", "-c", script])
    assert done.exit_status == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode()


def test_forum_servers_on_droplets(world, digital_ocean, tmp_path):
    fake = digital_ocean
    key, state = prepare(world, fake, tmp_path)
    spec = world.write(FORUM.replace("KEY", key).replace("PORT", str(PORT)))

    # A dry run before the first deploy creates nothing and says what would be created.
    done = world.lispdeploy("deploy", spec, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert ("forum-server-0: would create droplet forum-server-0 (region nyc3, size "
            "s-1vcpu-1gb, image debian-12-x64, tags forum)") in done.stdout.splitlines()
    assert "(generation 0 -> 1, for the new host, planned on an empty host" in done.stdout
    assert "  add package apache2" in done.stdout
    assert fake.count("POST /v2/droplets") == 0 and not fake.live()

    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 0, done.stderr + "".join(
        f"\n{d.name}: {d.error}" for d in fake.droplets if d.error)
    table = rows(done)
    assert table["forum-server-0"][:4] == ["deployed", "0", "->", "1"]
    assert table["forum-server-1"][:4] == ["deployed", "0", "->", "1"]
    assert "creating droplet (nyc3, s-1vcpu-1gb, debian-12-x64)" in done.stderr
    assert "waiting for SSH on" in done.stderr
    assert fake.creations == 2
    assert len(fake.keys) == 1 and fake.keys[0]["name"] == "lispdeploy: tester@controller"
    for n, name in enumerate(("forum-server-0", "forum-server-1")):
        (droplet,) = fake.live(name)
        body = droplet.body
        assert (body["region"], body["size"], body["image"], body["ipv6"]) == (
            "nyc3", "s-1vcpu-1gb", "debian-12-x64", True)
        assert body["tags"] == ["lispdeploy", "forum", "lispdeploy-deployment:spec"]
        assert body["ssh_keys"] == [fake.keys[0]["fingerprint"]]
        out = on_droplet(fake, name, key, state, f"""
            hostname
            python3 -c 'import urllib.request; print(urllib.request.urlopen(
                "http://{droplet.address}:{PORT + n}/").read().decode())'
            readlink /var/lib/lispdeploy/profiles/system""")
        assert out.split() == [name, f"<h1>{name}</h1>", "system-1-link"]
        # What the controller keeps: the host key's public half, the droplet's id.
        files = sorted(os.listdir(os.path.join(state, name)))
        assert files == ["droplet.json", "host_key.pub", "lock"]
        with open(os.path.join(state, name, "droplet.json")) as f:
            assert json.load(f)["id"] == droplet.id

    # A second deploy finds both droplets again: no droplet is created.
    posts = fake.count("POST /v2/droplets")
    done = world.lispdeploy("deploy", spec, "--json")
    assert done.returncode == 0, done.stderr
    assert [(h["host"], h["result"]) for h in json.loads(done.stdout)["hosts"]] == [
        ("forum-server-0", "unchanged"), ("forum-server-1", "unchanged")]
    assert fake.count("POST /v2/droplets") == posts == 2
    assert len(fake.live()) == 2

    # A droplet presenting another key than the recorded one is refused, and kept.
    recorded = os.path.join(state, "forum-server-1", "host_key.pub")
    os.rename(recorded, recorded + ".saved")
    other = str(tmp_path / "other_host_key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
    os.rename(other + ".pub", recorded)
    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    assert rows(done)["forum-server-0"][0] == "unchanged"
    assert rows(done)["forum-server-1"][0] == "failed"
    assert "forum-server-1: " in done.stderr and "HOST KEY MISMATCH" in done.stderr
    assert "but the host key digital-ocean-environment-type gives for it expects" in done.stderr
    assert "(docs/environments.md says where lispdeploy's environments keep it)" in done.stderr
    assert len(fake.live("forum-server-1")) == 1
    os.replace(recorded + ".saved", recorded)

    first, second = (fake.live(n)[0] for n in ("forum-server-0", "forum-server-1"))
    done = world.lispdeploy("destroy", spec, "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "will delete:",
        f"  forum-server-0: droplet {first.id} (nyc3, s-1vcpu-1gb, debian-12-x64) at "
        f"{first.address}",
        f"  forum-server-1: droplet {second.id} (nyc3, s-1vcpu-1gb, debian-12-x64) at "
        f"{second.address}",
        "forum-server-0: deleted", "forum-server-1: deleted"]
    assert fake.live() == []
    assert all(fake.engine.get(d.container) is None for d in fake.droplets)
    assert not os.path.exists(os.path.join(state, "forum-server-0"))
    done = world.lispdeploy("destroy", spec)
    assert done.stdout.splitlines() == [
        "forum-server-0: nothing to destroy (not provisioned)",
        "forum-server-1: nothing to destroy (not provisioned)"]


def small_spec(key, machines):
    """A spec of bare machines: (host name, provisioning timeout) pairs."""
    forms = "\n".join(f"""
      (machine (operating-system (operating-system (host-name "{name}")))
               (environment digital-ocean-environment-type)
               (configuration (digital-ocean-configuration
                               (ssh-key "{key}") (region "ams3") (size "s-1vcpu-512mb-10gb")
                               (provisioning-timeout {timeout}))))""" for name, timeout in machines)
    return f"(list {forms})"


def configuration_of(spec, name):
    """`file:line:column` of the digital-ocean-configuration of machine `name` in a spec."""
    with open(spec) as f:
        lines = f.read().splitlines()
    start = next(i for i, line in enumerate(lines) if f'"{name}"' in line)
    number = next(i for i in range(start, len(lines)) if "(digital-ocean-configuration" in lines[i])
    return f"{spec}:{number + 1}:{lines[number].index('(digital-ocean-configuration') + 1}"


def test_failed_provisioning_leaves_no_droplet(world, digital_ocean, tmp_path):
    fake = digital_ocean
    key, state = prepare(world, fake, tmp_path)
    fake.never_active.add("stuck-2")
    fake.refuse_create.add("refused-3")
    spec = world.write(small_spec(key, [("good-1", 240), ("stuck-2", 3), ("refused-3", 240)]))

    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    table = rows(done)
    assert table["good-1"][:4] == ["deployed", "0", "->", "1"]
    assert table["stuck-2"][0] == table["refused-3"][0] == "failed"
    (stuck,) = [d for d in fake.droplets if d.name == "stuck-2"]
    assert (f"stuck-2: {configuration_of(spec, 'stuck-2')}: error: droplet stuck-2: droplet {stuck.id} did not become "
            f"active within 3 s (status new, no public IPv4); droplet {stuck.id} was deleted\n"
            "hint: DigitalOcean may be slow in ams3: raise provisioning-timeout, or try another "
            "region") in done.stderr, done.stderr
    assert ("refused-3: " in done.stderr and "error: droplet refused-3: DigitalOcean refused "
            "creating droplet refused-3 (POST /v2/droplets): HTTP 422 Unprocessable Entity: "
            "creating this droplet will exceed your droplet limit") in done.stderr
    assert done.stderr.rstrip().endswith(
        "error: deploy: 1 of 3 hosts succeeded; failed: stuck-2, refused-3")
    assert [d.name for d in fake.live()] == ["good-1"]
    assert fake.count(f"DELETE /v2/droplets/{stuck.id}") == 1
    for name in ("stuck-2", "refused-3"):
        assert sorted(os.listdir(os.path.join(state, name))) == ["lock"]
    assert on_droplet(fake, "good-1", key, state, "hostname").strip() == "good-1"


def test_a_droplet_with_another_host_key_is_refused_and_deleted(world, digital_ocean,
                                                                 tmp_path):
    fake = digital_ocean
    key, state = prepare(world, fake, tmp_path)
    fake.ignore_host_key.add("lone-1")
    spec = world.write(small_spec(key, [("lone-1", 240)]))

    done = world.lispdeploy("deploy", spec)
    assert done.returncode == 1
    (droplet,) = fake.droplets
    assert droplet.error is None
    message = done.stderr
    assert "lone-1: " in message and "HOST KEY MISMATCH: the host presents the ssh-ed25519 key" \
        in message
    assert (f", but the host key lispdeploy gave the droplet in its user data expects "
            f"ssh-ed25519 SHA256:") in message
    assert (f"; someone may be intercepting the connection, or the host was reinstalled; "
            f"droplet {droplet.id} was deleted\n") in message
    assert "lispdeploy never accepts such a key" in message
    assert fake.live() == []
    assert fake.engine.get(droplet.container) is None
