"""`machine-remote-eval`: a machine's value of a g-expression, from Python and from a spec."""

from __future__ import annotations

from lispdeploy.machine import machine_remote_eval
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


def test_over_a_connection_the_caller_keeps(shared_fleet, write_spec, connect):
    (host,) = shared_fleet(1)
    spec = load_spec(write_spec({"web": machine_form("web", host)}))
    transport = connect(host)
    for n in range(3):
        assert machine_remote_eval(spec.machines[0], evaluate(spec, f"#~(* {n} 2)"),
                                   transport=transport) == n * 2
    assert (transport.connections, transport.round_trips) == (1, 3)
