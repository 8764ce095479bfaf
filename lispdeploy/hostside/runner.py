"""The runner: what a lispdeploy program does when it starts, on a host or on the controller.

Every program ends with `start(__name__, Program(...))`, which picks one of three ways to run:

- under `python3 -I -c BOOTSTRAP` (module name `protocol.RUNNER_NAME`): `serve` reads the
  request that follows the program on stdin (see `protocol`), receives store items, runs the
  program or probes the store, and writes one JSON document to stdout. From the moment the
  request is read, the program's stdout (and that of the commands it runs) goes to stderr and
  stdin is /dev/null.
- as a script with `LISPDEPLOY_RESULT_FD` set (how `run-file` runs a program item): run it
  and write the same document to that descriptor.
- as a plain script (`/var/lib/lispdeploy/store/...-activate`): run it; on error print the
  traceback, with spec lines, and exit with status 1.

Runs on hosts: standard library only.
"""

import os
import subprocess
import sys

from lispdeploy.hostside import contract, protocol, store, values

RESULT_FD_VARIABLE = "LISPDEPLOY_RESULT_FD"


def start(module_name, program):
    """Run `program` the way the process was started (see the module docstring)."""
    if module_name == protocol.RUNNER_NAME:
        serve(program)
    elif module_name == "__main__":
        descriptor = os.environ.pop(RESULT_FD_VARIABLE, None)
        if descriptor is not None:
            document = evaluate(program)
            with os.fdopen(int(descriptor), "wb") as out:
                out.write(protocol.encode_document(document))
            sys.exit(0 if document["status"] == "ok" else 1)
        try:
            program.run()
        except Exception as e:
            described = program.describe_error(e, _source_map(sys.argv[0]))
            sys.stderr.write("{}: error in lispdeploy program {}\n{}".format(
                sys.argv[0], program.name, described["traceback"]))
            sys.exit(1)


def _source_map(path):
    """Where the gexps of the program item at `path` were written, as the current
    generation's provenance records it (None when it does not know the program)."""
    try:
        from lispdeploy.hostside import generations
        return generations.source_map_of(os.path.abspath(path))
    except Exception:  # describing an error must never fail
        return None


def evaluate(program, output=None):
    """Run the program; the result document (its value, or its error)."""
    try:
        value = program.run(output=output)
    except Exception as e:
        return {"status": "error", "error": program.describe_error(e)}
    try:
        return {"status": "ok", "value": values.encode(value)}
    except values.ValueEncodingError as e:
        # The program ran; only its value cannot travel. The runtime's frames would not help.
        return {"status": "error", "error": {"type": "ValueEncodingError", "kind": e.kind,
                                             "message": str(e), "traceback": "",
                                             "location": None}}


def serve(program, stdin=None):
    """Answer the request on stdin with one document on stdout (see `protocol`)."""
    stdin = stdin or sys.stdin.buffer
    sys.stdout.flush()
    result = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    written = []
    try:
        header = protocol.read_header(stdin)
        operation = header.get("op")
        if operation == "probe":
            document = {"status": "ok", "value": values.encode({
                "missing": store.missing(header["paths"]),
                "python": "{}.{}.{}".format(*sys.version_info[:3]),
                "uid": os.getuid()})}
        elif operation in ("run", "run-file"):
            written = store.receive(header.get("items", ()), stdin)
            _close_stdin()
            if operation == "run":
                document = evaluate(program, output=header.get("output"))
            else:
                document = run_file(header["file"])
        else:
            raise ValueError("unknown operation {!r}".format(operation))
    except Exception as e:
        document = {"status": "error", "error": program.describe_error(e)}
    document["written"] = written
    sys.stderr.flush()
    result.write(protocol.encode_document(document))
    result.close()


def _close_stdin():
    # Commands the program runs must not read (or wait on) the rest of the request.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def run_file(path):
    """Run the program item at `path` in its own process (with its own runtime) and return
    the document it writes."""
    if not os.path.isfile(path):
        raise FileNotFoundError("no program at {}".format(path))
    reader, writer = os.pipe()
    environment = dict(os.environ)
    environment[RESULT_FD_VARIABLE] = str(writer)
    try:
        process = subprocess.Popen([sys.executable, "-I", path], stdin=subprocess.DEVNULL,
                                   pass_fds=(writer,), env=environment)
    finally:
        os.close(writer)
    with os.fdopen(reader, "rb") as out:
        data = out.read()
    status = process.wait()
    try:
        document = protocol.decode_document(data)
    except ValueError:
        return {"status": "error", "error": {
            "type": "ProgramError", "kind": contract.KIND_PROGRAM, "location": None,
            "traceback": "",
            "message": "{} exited with status {} without a result".format(path, status)}}
    document.pop("lispdeploy", None)
    return document


__all__ = ["start", "serve", "evaluate", "run_file"]
