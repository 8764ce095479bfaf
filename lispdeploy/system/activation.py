"""The activation program of a system: every g-expression given to
`activation-service-type`, in order, as one Python program (`Lowerer.program`), run on the
host as a script.

Each snippet is a nested gexp, called inside its own `try`. As in Guix, one snippet failing
does not stop the others (the host is not left half-activated by one mistake); the program
prints each failure with its traceback and the spec location of its snippet, and ends with an
error naming them all (exit status 1), so that the deploy can roll back.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from lispdeploy.errors import ServiceError
from lispdeploy.gexp.gexp import PLACEHOLDER_PREFIX, Gexp
from lispdeploy.hostside.program import SourceMap
from lispdeploy.records import describe_value
from lispdeploy.services.core import Folding
from lispdeploy.services.rendering import Renderer
from lispdeploy.services.sinks import activation_service_type
from lispdeploy.store import StoreItem
from lispdeploy.system.manifest import declarations


def activation_gexps(folding: Folding) -> List[Gexp]:
    """The activation snippets of a folded system, in order."""
    out = []
    for source, snippet in declarations(folding, activation_service_type):
        if not isinstance(snippet, Gexp):
            raise ServiceError(f"service '{source.kind.name}' gives {describe_value(snippet)} "
                               "to activation-service-type, which expects g-expressions",
                               location=source.location,
                               hint="write the activation code as #~(...)")
        out.append(snippet)
    return out


def combined_gexp(snippets: Sequence[Gexp]) -> Gexp:
    """One g-expression running each snippet in turn (see the module docstring). The
    snippets are references, spliced by the lowering, never pasted; they are named by number
    only (the program's source map gives their spec locations)."""
    count = len(snippets)
    lines = ["import sys", "import traceback", "failures = []"]
    for index in range(count):
        lines += ["try:",
                  f"    {PLACEHOLDER_PREFIX}{index}",
                  "except Exception:",
                  f"    print('activation snippet {index + 1} failed:', file=sys.stderr)",
                  "    traceback.print_exc()",
                  f"    failures.append('{index + 1}')"]
    lines += ["if failures:",
              "    raise RuntimeError('activation failed at snippet' + "
              "('s ' if len(failures) > 1 else ' ') + ', '.join(failures))",
              "return None"]
    return Gexp(source="\n".join(lines) + "\n", references=tuple(snippets))


def activation_program(folding: Folding, renderer: Renderer) -> Optional[StoreItem]:
    """The store item of the activation program, or None when no service asks for one. Its
    source map (in `renderer.lowerer.source_maps`) also names each snippet's spec location."""
    snippets = activation_gexps(folding)
    if not snippets:
        return None
    item = renderer.lowerer.program("activate", combined_gexp(snippets))
    source_map = renderer.lowerer.source_maps.setdefault(item.path, SourceMap())
    source_map.snippets = [str(s.location) if s.location else f"snippet {i + 1}"
                           for i, s in enumerate(snippets)]
    return item
