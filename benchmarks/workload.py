"""The benchmark's workload, written for each tool: the same end state on every host.

Host name `bench-N`, group `deploy`, users alice (in deploy) and bob, `/etc/sudoers.d/deploy`
(mode 0440, checked with visudo), `/etc/motd`, an sshd drop-in, time zone America/New_York.
The one-file change rewrites `/etc/motd`. Each tool reaches the hosts as root with the key and
the host key the container engine made (strict host key checking everywhere).
"""

from __future__ import annotations

import json
import os
from typing import Dict, List

SUDOERS = "%deploy ALL=(ALL) NOPASSWD: ALL\n"
SSHD_DROP_IN = "ClientAliveInterval 120\n"
TIMEZONE = "America/New_York"


def motd(version: int) -> str:
    """The /etc/motd of a version of the workload (the change phase bumps it)."""
    return f"Welcome to the benchmark fleet (version {version}).\n"


def _hy_string(text: str) -> str:
    return json.dumps(text)


def lispdeploy_spec() -> str:
    """The workload as a lispdeploy spec: managed hosts reached over SSH. The hosts and the
    motd come from `workload.json` beside it (`lispdeploy_data`), so that the spec's text, and
    so its compiled code in lispdeploy's cache, stays the same from run to run, as a user's
    spec does between deploys."""
    return f"""(use-modules (gnu))
(import json os)
(setv %workload (with [f (open (os.path.join (os.path.dirname __file__) "workload.json"))]
                  (json.load f)))
(define (server n)
  (operating-system
    (host-name (format #f "bench-~a" n))
    (timezone {_hy_string(TIMEZONE)})
    (locale "C.UTF-8")
    (groups (cons (user-group (name "deploy")) %base-groups))
    (users (append (list (user-account (name "alice") (group "users")
                                       (supplementary-groups '("deploy")))
                         (user-account (name "bob") (group "users")))
                   %base-user-accounts))
    (services
     (append
      (list (simple-service 'bench-files etc-service-type
              (list (etc-file (path "sudoers.d/deploy")
                              (file (plain-file "deploy" {_hy_string(SUDOERS)}))
                              (mode #o440)
                              (validate '("/usr/sbin/visudo" "-c" "-f" "{{}}")))
                    (list "ssh/sshd_config.d/bench.conf"
                          (plain-file "bench.conf" {_hy_string(SSHD_DROP_IN)})))))
      (modify-services %base-services
        (login-service-type c => (login-configuration
                                  (motd (plain-file "motd" (get %workload "motd"))))))))))
(map (lambda (h n)
       (machine (operating-system (server n))
                (environment managed-host-environment-type)
                (configuration (machine-ssh-configuration
                                (host-name (get h "address")) (system "x86_64-linux")
                                (identity (get h "identity")) (host-key (get h "host_key"))))))
     (get %workload "hosts") (iota (len (get %workload "hosts")) 1))
"""


def lispdeploy_data(hosts: List[Dict], version: int) -> str:
    """`workload.json` for the spec: the hosts and the motd of `version`."""
    return json.dumps({"hosts": hosts, "motd": motd(version)}, indent=1)


def known_hosts(hosts: List[Dict]) -> str:
    """A known_hosts file pinning every host's key (for pyinfra, Ansible and ssh)."""
    return "".join(f'{h["address"]} {h["host_key"]}\n' for h in hosts)


def pyinfra_inventory(hosts: List[Dict], known_hosts_file: str) -> str:
    """pyinfra's inventory: each host with its key, its number, strict host keys."""
    entries = ",\n".join(
        f'    ({json.dumps(h["address"])}, {{"ssh_user": "root", '
        f'"ssh_key": {json.dumps(h["identity"])}, "number": {n}, '
        f'"ssh_known_hosts_file": {json.dumps(known_hosts_file)}, '
        f'"ssh_strict_host_key_checking": "yes"}})'
        for n, h in enumerate(hosts, 1))
    return f"bench = [\n{entries},\n]\n"


def pyinfra_deploy(version: int) -> str:
    """The workload as a pyinfra deploy (operations: server and files)."""
    return f'''from io import StringIO

from pyinfra import host
from pyinfra.operations import files, server

server.hostname(name="host name", hostname="bench-" + str(host.data.number))
server.group(name="group deploy", group="deploy")
server.user(name="user alice", user="alice", group="users", groups=["deploy"],
            create_home=True)
server.user(name="user bob", user="bob", group="users", create_home=True)
files.put(name="sudoers.d/deploy", src=StringIO({SUDOERS!r}), dest="/etc/sudoers.d/deploy",
          mode="440", user="root", group="root")
files.put(name="motd", src=StringIO({motd(version)!r}), dest="/etc/motd", mode="644")
files.put(name="sshd drop-in", src=StringIO({SSHD_DROP_IN!r}),
          dest="/etc/ssh/sshd_config.d/bench.conf", mode="644")
files.link(name="localtime", path="/etc/localtime",
           target="/usr/share/zoneinfo/{TIMEZONE}")
files.put(name="timezone", src=StringIO({TIMEZONE + chr(10)!r}), dest="/etc/timezone",
          mode="644")
'''


def ansible_inventory(hosts: List[Dict]) -> str:
    """Ansible's inventory (INI): each host with its key and number."""
    lines = ["[bench]"]
    for n, h in enumerate(hosts, 1):
        lines.append(f'{h["address"]} ansible_user=root '
                     f'ansible_ssh_private_key_file={h["identity"]} number={n}')
    return "\n".join(lines) + "\n"


def ansible_config(forks: int, known_hosts_file: str, control_dir: str) -> str:
    """ansible.cfg tuned as its users tune it for speed: forks = hosts, pipelining, no
    facts, strict host keys. SSH masters live in a directory of this run (stopped after it)."""
    return f"""[defaults]
forks = {forks}
gathering = explicit
host_key_checking = True
interpreter_python = /usr/bin/python3
retry_files_enabled = False
stdout_callback = default
deprecation_warnings = False

[ssh_connection]
pipelining = True
control_path_dir = {control_dir}
ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile={known_hosts_file} -o StrictHostKeyChecking=yes
"""


def ansible_playbook(version: int) -> str:
    """The workload as an Ansible playbook (ansible-core's builtin modules only)."""
    return f"""- hosts: bench
  gather_facts: false
  tasks:
    - name: host name
      ansible.builtin.hostname:
        name: "bench-{{{{ number }}}}"
        use: debian
    - name: group deploy
      ansible.builtin.group:
        name: deploy
    - name: user alice
      ansible.builtin.user:
        name: alice
        group: users
        groups: deploy
        append: true
    - name: user bob
      ansible.builtin.user:
        name: bob
        group: users
    - name: sudoers.d/deploy
      ansible.builtin.copy:
        content: {json.dumps(SUDOERS)}
        dest: /etc/sudoers.d/deploy
        mode: "0440"
        validate: /usr/sbin/visudo -c -f %s
    - name: motd
      ansible.builtin.copy:
        content: {json.dumps(motd(version))}
        dest: /etc/motd
        mode: "0644"
    - name: sshd drop-in
      ansible.builtin.copy:
        content: {json.dumps(SSHD_DROP_IN)}
        dest: /etc/ssh/sshd_config.d/bench.conf
        mode: "0644"
    - name: localtime
      ansible.builtin.file:
        src: /usr/share/zoneinfo/{TIMEZONE}
        dest: /etc/localtime
        state: link
        force: true
    - name: timezone
      ansible.builtin.copy:
        content: "{TIMEZONE}\\n"
        dest: /etc/timezone
        mode: "0644"
"""


FLOOR = '''"""The SSH floor: one process connects to every host with paramiko and runs `true`."""
import concurrent.futures, json, sys
import paramiko

hosts = json.load(open(sys.argv[1]))


def one(h):
    transport = paramiko.Transport((h["address"], 22))
    transport.start_client(timeout=30)
    kind, blob = h["host_key"].split()[:2]
    if transport.get_remote_server_key().get_base64() != blob:
        raise SystemExit("host key mismatch for " + h["address"])
    transport.auth_publickey("root", paramiko.Ed25519Key.from_private_key_file(h["identity"]))
    channel = transport.open_session()
    channel.exec_command("true")
    status = channel.recv_exit_status()
    transport.close()
    return status


with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
    statuses = list(pool.map(one, hosts))
sys.exit(max(statuses))
'''


def write(directory: str, name: str, text: str) -> str:
    """Write `text` to `directory/name`; its path."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path
