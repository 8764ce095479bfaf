"""Programs on hosts: the g-expressions of a lowered program, compiled into functions and run,
and their errors described with the spec lines they came from.

Each gexp arrives as the Python source the spec layer compiled from Hy (a function body ending
in `return`), plus, for each placeholder `_ungexp_N` in it, the Python expression that
replaces it: a literal built on the controller, or a call of a nested gexp's function. The
substitution is done on the syntax tree, never on text, and the tree keeps the source's own
line numbers.

A program's text says nothing of where its gexps were written (a store item must be the same
whatever the spec's path, comments or blank lines): frames of staged code are named
`<gexp N>`, and a `SourceMap` (gexp index -> spec file, line, and the spec line of each
source line), kept by the controller and recorded on the host with the generation's
provenance, turns them back into spec lines when an error is described.

Every body runs in one namespace holding Python's builtins, the Scheme procedures and the
build utilities under their mangled names (`file-exists?` -> `hyx_file_existsXquestion_markX`),
`output` for a computed-file, and the functions `_gexp_N` of the program's gexps.

Runs on hosts: standard library only.
"""

import ast
import builtins
import linecache
import re
import traceback

from lispdeploy.hostside.contract import error_kind
from lispdeploy.hostside.names import mangle

PLACEHOLDER_PREFIX = "_ungexp_"
FUNCTION_PREFIX = "_gexp_"
_FRAME = re.compile(r'File "<gexp (\d+)>", line (\d+), in (\S+)')
_SNIPPET = re.compile(r"activation snippet (\d+) failed")
_SNIPPETS = re.compile(r"activation failed at snippets? (\d+(?:, \d+)*)")


def gexp_filename(index):
    """The file name tracebacks give the frames of gexp `index`."""
    return "<gexp {}>".format(index)


class SourceMap:
    """Where a program's gexps were written: `gexps` maps a gexp index to [file, line,
    [spec line of each source line]]; `snippets` lists the spec location of each activation
    snippet (an activation program's). JSON-compatible both ways (`to_json`, `of`)."""

    def __init__(self, gexps=None, snippets=()):
        self.gexps = {int(k): v for k, v in (gexps or {}).items()}
        self.snippets = list(snippets)

    @classmethod
    def of(cls, data):
        """The map `to_json` gave (None or {} for a program without one)."""
        data = data or {}
        return cls(data.get("gexps"), data.get("snippets", ()))

    def to_json(self):
        """The map as JSON (keys as strings)."""
        return {"gexps": {str(k): v for k, v in sorted(self.gexps.items())},
                "snippets": list(self.snippets)}

    def __bool__(self):
        return bool(self.gexps or self.snippets)

    def location(self, index, source_line):
        """(file, line) in the spec for a line of gexp `index`'s source, or None."""
        entry = self.gexps.get(int(index))
        if entry is None:
            return None
        file, line, lines = entry
        if 0 < source_line <= len(lines) and lines[source_line - 1]:
            line = lines[source_line - 1]
        return file, line

    def frame(self, index, source_line, function):
        """A traceback frame line for staged code."""
        found = self.location(index, source_line)
        function = "gexp" if function.startswith(FUNCTION_PREFIX) else function
        if found is None or not found[0]:
            return 'File "{}", line {}, in {}'.format(gexp_filename(index), source_line,
                                                     function)
        return 'File "{}", line {}, in {} (staged code line {})'.format(
            found[0], found[1], function, source_line)

    def rewrite(self, text):
        """`text` (a traceback, an error message) with staged code frames and activation
        snippet numbers replaced by spec locations."""
        if not self or not text:
            return text
        text = _FRAME.sub(lambda m: self.frame(int(m.group(1)), int(m.group(2)),
                                               m.group(3)), text)

        def snippet(number):
            n = int(number)
            return self.snippets[n - 1] if 0 < n <= len(self.snippets) else \
                "snippet {}".format(n)
        text = _SNIPPET.sub(lambda m: "activation snippet at {} failed".format(
            snippet(m.group(1))), text)
        return _SNIPPETS.sub(lambda m: "activation failed at " + ", ".join(
            snippet(n) for n in m.group(1).replace(" ", "").split(",")), text)

    def describe(self, error):
        """A described error (`Program.describe_error`) with spec locations filled in."""
        if not self:
            return error
        error = dict(error)
        error["traceback"] = self.rewrite(error.get("traceback") or "")
        error["message"] = self.rewrite(error.get("message") or "")
        where = error.get("location") or {}
        if where.get("gexp") is not None and not where.get("file"):
            found = self.location(where["gexp"], where.get("line") or 0)
            if found is not None:
                error["location"] = {"file": found[0], "line": found[1]}
        return error


class GexpCode:
    """One g-expression of a program: its compiled `source` and `substitutions`: placeholder
    index -> Python expression source replacing `_ungexp_<index>`."""

    def __init__(self, index, source, substitutions):
        self.index = index
        self.source = source
        self.substitutions = dict(substitutions)
        self.filename = gexp_filename(index)

    def compile(self, namespace):
        """Define this gexp's function (`_gexp_<index>`) in `namespace`."""
        tree = ast.parse(self.source, self.filename)
        tree = _Substitute(self.substitutions).visit(tree)
        function = ast.parse("def {}{}():\n    pass\n".format(FUNCTION_PREFIX, self.index)).body[0]
        function.body = tree.body or [ast.Pass()]
        module = ast.Module(body=[function], type_ignores=[])
        ast.fix_missing_locations(module)
        linecache.cache[self.filename] = (len(self.source), None,
                                          self.source.splitlines(True), self.filename)
        exec(compile(module, self.filename, "exec"), namespace)


class _Substitute(ast.NodeTransformer):
    """Replaces each placeholder name by its expression, located where the name was."""

    def __init__(self, substitutions):
        self.expressions = {}
        for index, text in substitutions.items():
            self.expressions[PLACEHOLDER_PREFIX + str(index)] = text

    def visit_Name(self, node):
        text = self.expressions.get(node.id)
        if text is None or not isinstance(node.ctx, ast.Load):
            return node
        expression = ast.parse(text, mode="eval").body
        for child in ast.walk(expression):
            for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                if attribute in child._attributes:
                    setattr(child, attribute, getattr(node, attribute, None))
        return expression


def base_namespace(procedures=True):
    """Builtins, Scheme procedures and build utilities (without `procedures`: builtins only),
    under the names gexp bodies use."""
    namespace = {"__builtins__": builtins, "__name__": "lispdeploy_gexp"}
    if not procedures:
        return namespace
    from lispdeploy.hostside import build_utils, scheme
    for table in (scheme.PROCEDURES, build_utils.PROCEDURES):
        for name, procedure in table.items():
            namespace[mangle(name)] = procedure
    return namespace


class Program:
    """The g-expressions of one program and which of them (`roots`) run, in order. With
    `single`, the program's value is the one root's value, else the list of their values.
    Without `procedures` (programs that only call library functions), gexp bodies see only
    Python's builtins, which spares loading the Scheme procedures."""

    def __init__(self, name, gexps, roots, single=True, procedures=True):
        self.name = name
        self.procedures = procedures
        self.gexps = list(gexps)
        self.roots = tuple(roots)
        self.single = single
        self._by_filename = {g.filename: g for g in self.gexps}

    def run(self, output=None):
        """Compile every gexp and run the roots; `output` is bound for computed-files."""
        namespace = base_namespace(self.procedures)
        if output is not None:
            namespace["output"] = output
        for gexp in self.gexps:
            gexp.compile(namespace)
        values = [namespace[FUNCTION_PREFIX + str(i)]() for i in self.roots]
        return values[0] if self.single and len(values) == 1 else values

    def describe_error(self, error, source_map=None):
        """An exception as the controller shows it: type, kind, message, the traceback (frames
        of staged code as `<gexp N>`, or at their spec lines with a `source_map`), and the
        innermost staged location ({"gexp", "line"}, with "file" when mapped)."""
        parts = []
        location = None
        for exception, header in _chain(error):
            frames, innermost = self._frames(exception.__traceback__)
            location = innermost or location
            if header:
                parts.append(header)
            if frames:
                parts.append("Traceback (most recent call last):\n" + "".join(frames))
            parts.append("".join(traceback.format_exception_only(type(exception), exception)))
        described = {"type": type(error).__name__, "kind": error_kind(error),
                     "message": str(error), "traceback": "".join(parts), "location": location}
        return source_map.describe(described) if source_map else described

    def _frames(self, tb):
        lines = []
        innermost = None
        summaries = traceback.extract_tb(tb)
        # What comes before the first frame of staged code is the runtime calling it.
        if any(s.filename in self._by_filename for s in summaries):
            while summaries[0].filename not in self._by_filename:
                summaries = summaries[1:]
        for summary in summaries:
            gexp = self._by_filename.get(summary.filename)
            function = summary.name
            if gexp is None:
                lines.append('  File "{}", line {}, in {}\n'.format(
                    summary.filename, summary.lineno, function))
            else:
                innermost = {"gexp": gexp.index, "line": summary.lineno}
                if function.startswith(FUNCTION_PREFIX):
                    function = "gexp"
                lines.append('  File "{}", line {}, in {}\n'.format(
                    gexp.filename, summary.lineno, function))
            if summary.line:
                lines.append("    {}\n".format(summary.line.strip()))
        return lines, innermost


def _chain(error):
    """The exception and the ones before it, oldest first, each with the line Python prints
    between it and the one before (None for the oldest)."""
    chain = []
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if error.__cause__ is not None:
            header = _CAUSE
            older = error.__cause__
        elif error.__context__ is not None and not error.__suppress_context__:
            header = _CONTEXT
            older = error.__context__
        else:
            header = older = None
        chain.append((error, header))
        error = older
    return list(reversed(chain))


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
