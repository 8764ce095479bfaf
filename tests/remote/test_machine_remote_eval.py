"""`machine-remote-eval`: a machine's value of a g-expression, from Python and from a spec."""

from __future__ import annotations

from lispdeploy.machine import HostContext, machine_remote_eval
from lispdeploy.spec.loader import evaluate, load_spec
from remote_hosts import machine_form


def test_from_python(shared_fleet, write_spec):
    (host,) = shared_fleet(1)
    spec = load_spec(write_spec({"web": machine_form("web", host)}))
    (machine,) = spec.machines
    gexp = evaluate(spec, '#~(call-with-input-file "/etc/hostname" get-string-all)')
    assert machine_remote_eval(machine, gexp) == host.host_name + "\n"


def test_from_a_spec(shared_fleet, write_spec):
    web, db = shared_fleet(2)
    spec = load_spec(write_spec({"web": machine_form("web", web), "db": machine_form("db", db)}))
    names = evaluate(spec, """
        (map (lambda (m)
               (machine-remote-eval m #~(.strip (call-with-input-file "/etc/hostname"
                                                                         get-string-all))))
             (list web db))""")
    assert names == [web.host_name, db.host_name]


def test_one_connection_per_host_context(shared_fleet, write_spec):
    """Evaluations in one host context (a command's work on a host) share its connection,
    closed when the context ends."""
    (host,) = shared_fleet(1)
    spec = load_spec(write_spec({"web": machine_form("web", host)}))
    with HostContext("web") as context:
        for n in range(3):
            assert machine_remote_eval(spec.machines[0], evaluate(spec, f"#~(* {n} 2)")) == n * 2
        assert context.connections == 0  # counted when closed
    assert (context.connections, context.round_trips) == (1, 3)
