"""JSON and text renderings of spec values: records (field names in Guix spelling), service
and environment types (by name), g-expressions, file-like objects, procedures.

The JSON is complete and stable: every field of every record, in declaration order, with the
record's kind under "record-type" and its spec location under "location".
"""

from __future__ import annotations

import base64
from typing import Any

from lispdeploy.hostside.scheme import Pair, Symbol
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.machine import EnvironmentType
from lispdeploy.records import Record
from lispdeploy.services.core import NO_DEFAULT, ServiceType


def to_json(value: Any) -> Any:
    """A JSON-compatible rendering of a spec value."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return {"bytes-base64": base64.b64encode(value).decode()}
    if isinstance(value, (ServiceType, EnvironmentType)):
        return value.name
    if isinstance(value, Gexp):
        return {"record-type": "gexp", "location": _location(value),
                "source": value.source, "references": [to_json(r) for r in value.references]}
    if isinstance(value, Record):
        out = {"record-type": value.record_name}
        for field, field_value in value.field_values():
            out[field.spec_name] = to_json(field_value)
        out["location"] = _location(value)
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if value is NO_DEFAULT:
        return None
    if callable(value):
        return f"#<procedure {getattr(value, '__name__', '?')}>"
    return repr(value)


def _location(record) -> Any:
    return str(record.location) if record.location is not None else None


def show(value: Any) -> str:
    """A short Scheme-like rendering for summaries: #t, #f, strings in quotes, lists."""
    if value is True:
        return "#t"
    if value is False or value is None:
        return "#f"
    if isinstance(value, str):
        # str(): a Hy string model has a `replace` of its own (positions, not text).
        text = str(value)
        if isinstance(value, Symbol):
            return f"'{text}"
        return f'"{text}"' if text and not text.replace("-", "").isalnum() else text
    if isinstance(value, Pair):
        return f"({show(value[0])} . {show(value[1])})"
    if isinstance(value, (list, tuple)):
        return "(" + " ".join(show(v) for v in value) + ")"
    if isinstance(value, (ServiceType, EnvironmentType)):
        return value.name
    if isinstance(value, Record):
        return f"#<{value.record_name}>"
    return str(value)
