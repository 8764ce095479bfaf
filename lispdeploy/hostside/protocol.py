"""The wire protocol between the controller and `python3 -I -c BOOTSTRAP` on a host, shared by
both ends (the controller imports it; hosts get it inside every program).

stdin (the controller writes it whole, then closes it):

    <N>\\n                      length in bytes of the program text
    <program>                   N bytes of UTF-8 Python: a lispdeploy program
    <M>\\n                      the runtime frame: length in bytes of what follows, 0 when the
    <runtime>                   host has the runtime item the program names; else M bytes,
                                the item's files compressed (see `bundle` and `gexp.runtime`)
    <header>\\n                 one line of JSON: {"op": "probe" | "run" | "run-file", ...}
    <item bytes>                the contents of the items the header lists, in order

    probe     {"paths": [store path, ...]}  -> {"missing": [...], "python": "3.11.2", "uid": 0}
    run       {"items": [item, ...], "output": path or null} -> the program's value
    run-file  {"items": [item, ...], "file": store path of a program} -> that program's value

    item:     {"path", "name", "kind": "file" | "directory", "executable", "size",
               "entries": [[relative path, size, executable], ...], "references": [path, ...]}

stdout: one JSON document on one line, last (the program's own stdout goes to stderr):

    {"lispdeploy": 1, "status": "ok", "value": <values.encode(value)>, "written": [paths]}
    {"lispdeploy": 1, "status": "error", "error": {"type", "message", "traceback",
                                                   "location": {"file", "line"} or null},
     "written": [paths]}
    {"lispdeploy": 1, "status": "runtime-missing", "runtime": path, "written": []}
                                the host lacks the runtime and no frame came: nothing ran

stderr: whatever the program and its commands print, streamed as it comes.
Exit status: 0 whenever a document was written; 96 when the host's python3 is older than 3.9.

Standard library only.
"""

import json

VERSION = 1
RUNNER_NAME = "__lispdeploy_runner__"
EXIT_PYTHON_TOO_OLD = 96
MINIMUM_PYTHON = (3, 9)

# The whole of what travels on the command line: it reads the program from stdin and runs it
# as the runner. One line, so that no shell ever has to care about its newlines.
BOOTSTRAP = (
    "import sys;"
    "sys.version_info<%r and (sys.stderr.write('lispdeploy: this host has python3 '"
    "+sys.version.split()[0]+'; lispdeploy needs 3.9 or later\\n'),sys.exit(%d));"
    "i=sys.stdin.buffer;"
    "exec(compile(i.read(int(i.readline())),'<lispdeploy program>','exec'),"
    "{'__name__':%r})" % (MINIMUM_PYTHON, EXIT_PYTHON_TOO_OLD, RUNNER_NAME))


def encode_request(program_text, header, payload=(), runtime=b""):
    """The bytes of stdin for one run: the program, the runtime frame (`runtime`, empty when
    the host has the runtime), the header, the item bytes."""
    program = program_text.encode("utf-8")
    parts = [b"%d\n" % len(program), program, b"%d\n" % len(runtime), runtime,
             json.dumps(header).encode("ascii"), b"\n"]
    parts.extend(payload)
    return b"".join(parts)


def read_header(stream):
    """The header line that follows the program on stdin."""
    line = stream.readline()
    if not line.endswith(b"\n"):
        raise ValueError("the request header is missing")
    return json.loads(line)


def encode_document(document):
    """The result document as the single line written to stdout."""
    document = dict(document, lispdeploy=VERSION)
    return json.dumps(document).encode("ascii") + b"\n"


def decode_document(data):
    """The result document in a runner's stdout; ValueError if there is none. It is the last
    line: a login shell's start-up files may print before the program starts."""
    lines = data.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        raise ValueError("the program wrote no result")
    document = json.loads(lines[-1])
    if not isinstance(document, dict) or document.get("lispdeploy") != VERSION:
        raise ValueError("the program wrote something that is not a lispdeploy result")
    return document
