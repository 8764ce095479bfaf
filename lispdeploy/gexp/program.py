"""G-expressions into programs: the Python text a host runs, needing only python3 (3.9+).

A program is small: the loader of the host runtime (`hostside.bundle`) and the path of the
runtime store item it loads (`gexp.runtime`: the runner, the Scheme procedures, the build
utilities, which a host keeps once received), then each gexp as the source the spec layer
compiled and, for each of its `#$` placeholders, the Python expression that replaces it on
the host (see `hostside.program`). Those expressions are built here as syntax
trees from the local values, through a whitelist, and written out with `ast.unparse`, so a
string full of quotes, newlines or `$(...)` stays a string: user values are never pasted into
program text.

    None, bool, int, float (inf and nan too), str, bytes   literals
    list, tuple, dict                                      displays of literals
    a nested gexp                                          a call of its function, where used
    a file-like object or store item                       its store path (the item is sent)

Anything else is a `GexpError` naming the value's type, where it sits in the value, and the
gexp's location.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import math
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

from lispdeploy import __version__
from lispdeploy.errors import GexpError
from lispdeploy.gexp.files import FileLike, store_name
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.location import Location
from lispdeploy.gexp.runtime import runtime_item, runtime_frame
from lispdeploy.store import StoreItem
from lispdeploy.hostside.program import FUNCTION_PREFIX, SourceMap
from lispdeploy.hostside.protocol import RUNNER_NAME, VERSION, encode_request

_MAX_DEPTH = 200
# Ints longer than this many bits cannot be written as decimal literals by Python 3.11+.
_LONG_INT_BITS = 14000


# CPython 3.11 keeps one recursion counter for building Python ASTs per interpreter, and
# threads parsing at once can corrupt it ("SystemError: AST constructor recursion depth
# mismatch", python/cpython#106905): the hosts of a deploy build their systems in parallel.
_AST_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """`ast.parse`, one thread at a time (see _AST_LOCK)."""
    with _AST_LOCK:
        return ast.parse(source)


# Program item path -> where its gexps were written, for every program item this process
# lowered: errors of a program item run later (`remote.eval.run_program`) still name spec
# lines, although the item itself holds none.
SOURCE_MAPS: Dict[str, SourceMap] = {}


class LoweredProgram:
    """A program's text and the store items it refers to (their closures must be on the host
    before it runs). The text names the host runtime item `runtime` (see `gexp.runtime`),
    which is not among `items`: a host that lacks it gets it in the request's runtime frame.
    `source_map` says where its gexps were written (never in the text)."""

    def __init__(self, name: str, text: str, items: Sequence[StoreItem],
                 runtime: Optional[StoreItem] = None, source_map: Optional[SourceMap] = None):
        self.name = name
        self.text = text
        self.items = tuple(items)
        self.runtime = runtime or runtime_item()
        self.source_map = source_map or SourceMap()

    def request(self, header: Dict[str, Any], payload: Sequence[bytes] = (), *,
                send_runtime: bool = False) -> bytes:
        """The bytes of a runner's stdin for this program (see `lispdeploy.hostside.protocol`),
        with the runtime frame when `send_runtime`."""
        return encode_request(self.text, header, payload,
                              runtime=runtime_frame() if send_runtime else b"")

    def __repr__(self) -> str:
        return f"#<lowered-program {self.name} {len(self.text)} bytes, {len(self.items)} items>"


def function_call(function: str, *args: Any, location: Optional[Location] = None) -> Gexp:
    """A gexp calling a function of lispdeploy.hostside with `args` (embedded like any `#$`
    value): `function_call("lispdeploy.hostside.entry.probe", request)` is
    `#~(probe #$request)` with the right import. This is how the controller runs library code
    on hosts without writing Hy."""
    module, _, name = function.rpartition(".")
    if not module.startswith("lispdeploy.hostside.") or not all(
            part.isidentifier() for part in function.split(".")):
        raise ValueError(f"not a function of lispdeploy.hostside: {function!r}")
    source = f"from {module} import {name} as _function\nreturn _function(*_ungexp_0)\n"
    return Gexp(source=source, references=(list(args),), spec_lines=(0, 0), location=location)


def _is_function_call(gexp: Gexp) -> bool:
    """Whether `gexp` is one `function_call` made (it uses no Scheme procedure)."""
    lines = gexp.source.splitlines()
    return (len(lines) == 2 and lines[0].startswith("from lispdeploy.hostside.")
            and lines[0].endswith(" as _function") and lines[1] == "return _function(*_ungexp_0)")


class ProgramBuilder:
    """Collects the gexps of one program (nested ones included) and the items they need.

    `path_of(obj)` is the lowerer's: a file-like object -> (host path, items)."""

    def __init__(self, path_of):
        self._path_of = path_of
        self._indices: Dict[int, int] = {}
        self._gexps: List[Gexp] = []
        self._codes: List[ast.expr] = []
        self._items: Dict[str, StoreItem] = {}
        self.source_map = SourceMap()

    def add(self, gexp: Gexp) -> int:
        """The index of `gexp`'s function in the program, lowering it on first sight."""
        if not isinstance(gexp, Gexp):
            raise GexpError(f"expected a g-expression #~(...), got {_kind(gexp)}",
                            hint="write #~(...) around the code to run on the host")
        known = self._indices.get(id(gexp))
        if known is not None and self._gexps[known] is gexp:
            return known
        index = len(self._gexps)
        self._indices[id(gexp)] = index
        self._gexps.append(gexp)
        self._codes.append(ast.Constant(None))
        self._check_source(gexp)
        substitutions = ast.Dict(keys=[], values=[])
        for number, value in enumerate(gexp.references):
            where = _Where(gexp, number)
            expression = self._literal(value, where, "value", 0, set())
            substitutions.keys.append(ast.Constant(number))
            substitutions.values.append(ast.Constant(ast.unparse(expression)))
        # Where the gexp was written stays here, never in the program's text.
        location = gexp.location
        if location is not None and location.file:
            self.source_map.gexps[index] = [location.file, location.line,
                                            [int(n) for n in gexp.spec_lines]]
        self._codes[index] = _call("GexpCode", ast.Constant(index), ast.Constant(gexp.source),
                                   substitutions)
        return index

    @staticmethod
    def _check_source(gexp: Gexp) -> None:
        try:
            parse(gexp.source)
        except SyntaxError as e:
            raise GexpError(f"the compiled gexp is not valid Python: {e.msg}",
                            location=gexp.location) from None

    @property
    def items(self) -> Tuple[StoreItem, ...]:
        """The store items the gexps added so far refer to directly."""
        return tuple(self._items.values())

    def text(self, name: str, roots: Sequence[int], *, single: bool) -> str:
        """The program's text: runtime, gexps, and the call that runs `roots`."""
        name = store_name(name)
        program = _call("Program", ast.Constant(name), ast.List(list(self._codes), ast.Load()),
                        ast.Tuple([ast.Constant(i) for i in roots], ast.Load()),
                        ast.Constant(bool(single)))
        if all(_is_function_call(g) for g in self._gexps):
            # Library calls only (probe, activate...): no Scheme procedures to load on the host.
            program.keywords.append(ast.keyword("procedures", ast.Constant(False)))
        start = ast.Expr(_call("start", ast.Name("__name__", ast.Load()), program))
        trailer = ast.unparse(ast.fix_missing_locations(ast.Module([start], [])))
        return "".join([
            "#!/usr/bin/env python3\n",
            f"# lispdeploy program {name}, generated by lispdeploy {__version__}.\n",
            "# It needs python3 (3.9 or later) and lispdeploy's host runtime, the store item\n",
            "# it names below (a deploy sends it to hosts that lack it).\n",
            runtime_prelude(),
            "from lispdeploy.hostside.program import GexpCode, Program\n",
            "from lispdeploy.hostside.runner import start\n",
            trailer, "\n",
        ])

    def _literal(self, value: Any, where: "_Where", path: str, depth: int,
                 active: set) -> ast.expr:
        if depth > _MAX_DEPTH:
            raise where.error(f"{path} is nested more than {_MAX_DEPTH} levels deep")
        value = _plain(value)
        if value is None or isinstance(value, (bool, str, bytes)):
            return ast.Constant(value)
        if isinstance(value, int):
            if value.bit_length() > _LONG_INT_BITS:
                return _call("int", ast.Constant(format(value, "x")), ast.Constant(16))
            return ast.Constant(value)
        if isinstance(value, float):
            if math.isnan(value):
                return _call("float", ast.Constant("nan"))
            if math.isinf(value):
                return _call("float", ast.Constant("inf" if value > 0 else "-inf"))
            return ast.Constant(value)
        if isinstance(value, Gexp):
            return _call(f"{FUNCTION_PREFIX}{self.add(value)}")
        if isinstance(value, StoreItem):
            self._items.setdefault(value.path, value)
            return ast.Constant(value.path)
        if isinstance(value, FileLike):
            host_path, items = self._path_of(value)
            for item in items:
                self._items.setdefault(item.path, item)
            return ast.Constant(host_path)
        if isinstance(value, (list, tuple, dict)):
            if id(value) in active:
                raise where.error(f"{path} contains itself")
            active.add(id(value))
            try:
                if isinstance(value, dict):
                    keys = [self._literal(k, where, f"a key of {path}", depth + 1, active)
                            for k in value]
                    values = [self._literal(v, where, f"{path}[{_show_key(k)}]", depth + 1,
                                            active) for k, v in value.items()]
                    return ast.Dict(keys=keys, values=values)
                elements = [self._literal(v, where, f"{path}[{i}]", depth + 1, active)
                            for i, v in enumerate(value)]
                node = ast.List if isinstance(value, list) else ast.Tuple
                return node(elements, ast.Load())
            finally:
                active.discard(id(value))
        raise where.error(f"{path} is {_kind(value)}, which cannot be embedded in staged code",
                          hint=_hint(value))


class _Where:
    """Which `#$` of which gexp a value comes from, for error messages."""

    def __init__(self, gexp: Gexp, number: int):
        self.gexp = gexp
        self.number = number

    def error(self, message: str, hint: Optional[str] = None) -> GexpError:
        return GexpError(f"#$ number {self.number + 1} of this gexp: {message}",
                         location=self.gexp.location,
                         hint=hint or "splice only data: None, booleans, numbers, strings, "
                                      "bytes, lists, tuples, dicts, gexps, file-like objects")


def _plain(value: Any) -> Any:
    """Subclasses of the whitelisted types (Hy's models among them: a quoted list is an
    `Expression`, a string a `String`) as the plain type they stand for."""
    if value is None or type(value) in (bool, int, float, str, bytes, list, tuple, dict):
        return value
    if isinstance(value, bool):
        return bool(value)
    if type(value).__module__.startswith("hy."):
        if isinstance(value, str):
            return str(value)
        if isinstance(value, tuple):
            return [_plain(v) for v in value]
    for kind in (str, int, float, bytes, list, tuple, dict):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, bytearray):
        return bytes(value)
    return value


def _kind(value: Any) -> str:
    record_name = getattr(type(value), "record_name", None)
    if record_name:
        return f"a {record_name} record"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if callable(value):
        return f"the procedure {getattr(value, '__name__', '?')}"
    return f"a value of type {type(value).__name__}"


def _hint(value: Any) -> Optional[str]:
    if isinstance(value, (set, frozenset)):
        return "use a list"
    if type(value).__name__ == "Keyword":
        return "keywords need the Hy runtime; use a string"
    if callable(value):
        return "procedures cannot travel to a host; write the code inside the gexp, or make " \
               "it a gexp and splice that"
    return None


def _show_key(key: Any) -> str:
    return repr(key) if isinstance(key, (str, bytes, int, float, bool)) or key is None else "..."


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(function, ast.Load()), args=list(args), keywords=[])


@functools.lru_cache(maxsize=None)
def _module_source(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise GexpError(f"staged code imports {name}, which is not a module of lispdeploy.hostside")
    with open(spec.origin, encoding="utf-8") as f:
        return f.read()


@functools.lru_cache(maxsize=1)
def runtime_prelude() -> str:
    """The start of every program: `hostside.bundle`'s source (the loader) and its call
    naming the runtime item."""
    call = _call("install_runtime", ast.Name("__name__", ast.Load()),
                 ast.Constant(runtime_item().path), ast.Constant(RUNNER_NAME),
                 ast.Constant(VERSION))
    source = _module_source("lispdeploy.hostside.bundle")
    # The module's docstring is for readers of lispdeploy, not for every request.
    docstring = parse(source).body[0]
    lines = source.splitlines(True)[docstring.end_lineno:]
    return "".join(lines).lstrip("\n") + "\n\n" + ast.unparse(ast.Expr(call)) + "\n"
