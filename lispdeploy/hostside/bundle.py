"""Loading lispdeploy.hostside on a host from the runtime store item, so that programs only
name it: the host runtime travels once per host, not inside every program.

The runtime is a store item (`<hash>-lispdeploy-runtime`, a directory holding
`lispdeploy/hostside/*.py`; see `gexp.runtime`). A program starts with this module's source,
verbatim, then calls `install_runtime` with that item's path:

- the item is on the host: the modules are imported from the host's code cache
  (`/var/lib/lispdeploy/runtime-cache/<item>-<python magic>`, one marshal file holding every
  module's compiled code), compiled once per item and per Python version on first use;
- under the runner (`python3 -I -c BOOTSTRAP`), the controller may send the item on stdin
  (the runtime frame of `protocol`): it is imported from memory and then added to the store;
- under the runner, without the item and without a frame: the program answers the document
  `{"status": "runtime-missing"}` and exits, and the controller asks again with the frame.

Frames in tracebacks name the item's files, so they show their lines.

This source is pasted at the top of programs: it must stay self-contained (no imports at
module level, no `from __future__`), standard library only, and valid Python 3.9.
"""


def install_runtime(module_name, path, runner_name, version):
    """Make lispdeploy.hostside importable from the runtime item at `path` (see the module
    docstring). `module_name` is the program's `__name__`; `runner_name` and `version` are
    the protocol's runner module name and document version."""
    # Not importlib.abc nor importlib.util: they import importlib.resources, pathlib... (30 ms).
    import importlib.machinery
    import json
    import marshal
    import os
    import sys
    import zlib

    under_runner = module_name == runner_name
    sources = None
    if under_runner:
        stream = sys.stdin.buffer
        line = stream.readline()
        size = int(line) if line.strip() else 0
        if size:
            sources = _runtime_sources(zlib.decompress(_read_exactly(stream, size)))
    codes = None
    cache = os.path.join("/var/lib/lispdeploy/runtime-cache", "{}-{}".format(
        os.path.basename(path), _magic()))
    if sources is None:
        if not os.path.isdir(path):
            if under_runner:
                sys.stdout.write(json.dumps({"lispdeploy": version, "status": "runtime-missing",
                                             "runtime": path, "written": []}) + "\n")
                sys.stdout.flush()
                sys.exit(0)
            sys.stderr.write("lispdeploy: the host runtime {} is missing; deploy again to "
                             "send it\n".format(path))
            sys.exit(1)
        try:
            with open(cache, "rb") as f:
                codes = marshal.load(f)
        except (OSError, EOFError, ValueError, TypeError):
            codes = None
        if codes is None:
            sources = {}
            for root, _dirs, files in os.walk(os.path.join(path, "lispdeploy")):
                for name in files:
                    if name.endswith(".py"):
                        full = os.path.join(root, name)
                        with open(full, "rb") as f:
                            sources[os.path.relpath(full, path)] = f.read()
    if codes is None:
        codes = {}
        for relative, text in sources.items():
            module = relative[:-3].replace("/", ".")
            package = module.endswith(".__init__")
            if package:
                module = module[:-len(".__init__")]
            codes[module] = (package, compile(text, os.path.join(path, relative), "exec",
                                              dont_inherit=True))
        _write_cache(cache, marshal.dumps(codes))

    class RuntimeModules:
        """Finds the runtime's modules (a meta path finder) and runs their compiled code."""

        def find_spec(self, fullname, target_path=None, target=None):
            entry = codes.get(fullname)
            if entry is None:
                return None
            spec = importlib.machinery.ModuleSpec(fullname, self, origin=entry[1].co_filename,
                                                  is_package=entry[0])
            spec.has_location = True
            if entry[0]:
                spec.submodule_search_locations = [os.path.dirname(entry[1].co_filename)]
            return spec

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            module.__file__ = codes[module.__name__][1].co_filename
            exec(codes[module.__name__][1], module.__dict__)

    sys.meta_path.insert(0, RuntimeModules())
    if sources is not None and under_runner and not os.path.isdir(path):
        from lispdeploy.hostside import store
        store.add_runtime(path, sources)


def _magic():
    """This Python's bytecode magic number, in hex: compiled code is kept per version."""
    import importlib._bootstrap_external
    return importlib._bootstrap_external.MAGIC_NUMBER.hex()


def _read_exactly(stream, size):
    chunks = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("the host runtime frame ended early")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _runtime_sources(data):
    """The runtime frame's files: `<size> <relative path>\\n<bytes>`, one after another."""
    sources = {}
    position = 0
    while position < len(data):
        end = data.index(b"\n", position)
        size, _, relative = data[position:end].decode("utf-8").partition(" ")
        start = end + 1
        sources[relative] = data[start:start + int(size)]
        position = start + int(size)
    return sources


def _write_cache(cache, data):
    """Keep the compiled runtime for the next program (best effort: a read-only disk only
    means compiling again)."""
    import os
    temporary = "{}.{}.tmp".format(cache, os.getpid())
    try:
        os.makedirs(os.path.dirname(cache), mode=0o700, exist_ok=True)
        with open(temporary, "wb") as f:
            f.write(data)
        os.rename(temporary, cache)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
