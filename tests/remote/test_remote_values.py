"""Values travel to a host and back unchanged: every whitelisted type, and strings that would
do damage if anything on the way pasted them into code or a shell."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import pytest

from lispdeploy.errors import GexpError, RemoteEvalError
from lispdeploy.gexp.files import plain_file
from lispdeploy.remote.eval import remote_eval
from lispdeploy.spec.loader import evaluate, load_spec
from remote_hosts import machine_form

ECHO = """
(define (echo value) #~(list #$value))
(define (echo-through-shell value)
  #~(do (invoke "sh" "-c" "printf %s \\"$1\\" > /tmp/echoed" "sh" #$value)
        (call-with-input-file "/tmp/echoed" get-string-all)))
(define (pwned) #~(file-exists? "/tmp/pwned"))
(define (echo-all text data through-shell?)
  #~(list #$text #$data
          (if #$through-shell? #$(echo-through-shell text) #$text)
          #$(pwned)))
"""


@pytest.fixture
def echo_spec(write_spec, shared_fleet):
    (host,) = shared_fleet(1)
    return host, load_spec(write_spec({"web": machine_form("web", host)}, ECHO))


@pytest.fixture
def echo_transport(echo_spec, connect):
    """One connection for every example of a hypothesis test."""
    return connect(echo_spec[0])


def line_of(path: str, text: str) -> int:
    """The 1-based line of the spec file at `path` that contains `text`."""
    with open(path) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def same(a, b) -> bool:
    """Equality where nan equals nan and types must match (a tuple is not a list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


EVERY_TYPE = [
    None, True, False, 0, -1, 2 ** 200, -(10 ** 5000), 3.5, -0.0, 1e308,
    float("inf"), float("-inf"), float("nan"),
    "", "plain", "quotes ' \" ''' \"\"\" \\ \\n", "$(touch /tmp/pwned) `touch /tmp/pwned`",
    "new\nline\r\n", "nul\x00byte", "non-ascii: é ñ 中文 🦑", "\ud800 lone surrogate",
    b"", b"\x00\xff\x80 bytes", bytearray(b"array"),
    [], [1, [2, [3]]], (), (1, "two", (3.0,)),
    {}, {"a": 1, "b": [1, 2]}, {1: "int key", (1, 2): "tuple key", None: "none", b"k": "bytes"},
]


def expected(value):
    return bytes(value) if isinstance(value, bytearray) else value


def test_every_whitelisted_type_round_trips(echo_spec, connect):
    host, spec = echo_spec
    transport = connect(host)
    for value in EVERY_TYPE:
        (back,) = remote_eval(transport, spec.module.echo(value))
        assert same(back, expected(value)), (value, back)
    assert remote_eval(transport, spec.module.pwned()) is False


def test_a_nested_gexp_runs_where_it_is_used(echo_spec, connect):
    host, spec = echo_spec
    counter = evaluate(spec, """
        (setv counted #~(do (global calls)
                            (setv calls (+ (if (in "calls" (globals)) calls 0) 1))
                            calls))
        #~(list #$counted #$@[counted counted] #$(list counted))""")
    assert remote_eval(connect(host), counter) == [1, 2, 3, [4]]


def test_a_file_like_becomes_its_store_path(echo_spec, connect):
    host, spec = echo_spec
    item = plain_file("greeting", "hello")
    (path,) = remote_eval(connect(host), spec.module.echo(item))
    assert path.startswith("/var/lib/lispdeploy/store/") and path.endswith("-greeting")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(), data=st.binary())
def test_hostile_strings_arrive_unchanged_and_are_never_run(echo_spec, echo_transport, text,
                                                            data):
    _, spec = echo_spec
    # As a command argument too (where an argument can hold it: no NUL, no lone surrogate):
    # the argv reaches the command as one argument, which the shell expands as data.
    through_shell = "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    gexp = spec.module.echo_all(text, data, through_shell)
    assert remote_eval(echo_transport, gexp) == [text, data, text, False]


@pytest.mark.parametrize("text", [
    "'); import os; os.system('touch /tmp/pwned'); ('",
    '"""; __import__("os").system("touch /tmp/pwned"); """',
    "$(touch /tmp/pwned)", "`touch /tmp/pwned`", "; touch /tmp/pwned #", "\\'\\\"\\\\",
    "\n__import__('os').system('touch /tmp/pwned')\n",
])
def test_code_shaped_strings_stay_strings(echo_spec, connect, text):
    host, spec = echo_spec
    transport = connect(host)
    assert remote_eval(transport, spec.module.echo(text)) == [text]
    assert remote_eval(transport, spec.module.echo_through_shell(text)) == text
    assert remote_eval(transport, spec.module.pwned()) is False


def test_a_value_outside_the_whitelist_is_refused_before_connecting(echo_spec, connect,
                                                                    write_spec):
    host, spec = echo_spec
    transport = connect(host)
    with pytest.raises(GexpError) as raised:
        remote_eval(transport, spec.module.echo({1, 2}))
    error = raised.value
    assert "set" in error.message and "#$ number 1" in error.message
    assert error.location.file == spec.path
    assert error.location.line == line_of(spec.path, "(define (echo value)")
    assert error.hint == "use a list"
    with pytest.raises(GexpError, match="a machine record"):
        remote_eval(transport, spec.module.echo([1, {"k": spec.machines[0]}]))
    assert transport.round_trips == 0


def test_a_value_that_cannot_come_back_is_a_remote_error(echo_spec, connect):
    host, spec = echo_spec
    with pytest.raises(RemoteEvalError) as raised:
        remote_eval(connect(host), evaluate(spec, "#~(set [1 2])"))
    assert raised.value.exception_type == "ValueEncodingError"
    assert "value is a set" in raised.value.message
    assert raised.value.host == host.host_name
