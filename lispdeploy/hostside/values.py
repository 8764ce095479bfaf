"""The value codec of the wire protocol: a gexp's value travels back to the controller inside
one JSON document, without losing what plain JSON would lose.

    None, bool, int, str, finite float   themselves
    list                                 a JSON array
    tuple                                {"tuple": [...]}
    bytes, bytearray                     {"bytes": "<base64>"}
    dict (any whitelisted keys)          {"dict": [[key, value], ...]}
    inf, -inf, nan                       {"float": "inf" | "-inf" | "nan"}
    int too long for JSON                {"int": "<hex>"}

Any other value cannot be returned: `encode` raises `ValueEncodingError` saying where in the
value it is (`value[2]["a"]`) and what it is. Runs on hosts and on the controller: standard
library only.
"""

import base64
import math

from lispdeploy.hostside.contract import KIND_VALUE_ENCODING, HostSideError

# Python refuses to turn ints of more than 4300 digits into text (CVE-2020-10735); such ints
# travel as hex, which has no limit. 14000 bits is about 4214 digits.
_LONG_INT_BITS = 14000


class ValueEncodingError(HostSideError, TypeError):
    """A value of a type that cannot travel back to the controller."""

    kind = KIND_VALUE_ENCODING


def encode(value, where="value"):
    """The JSON-compatible form of `value` (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        value = int(value)
        if value.bit_length() > _LONG_INT_BITS:
            return {"int": format(value, "x")}
        return value
    if isinstance(value, float):
        value = float(value)
        if math.isfinite(value):
            return value
        return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list):
        return [encode(v, "{}[{}]".format(where, i)) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"tuple": [encode(v, "{}[{}]".format(where, i)) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"dict": [[encode(k, "a key of " + where), encode(v, "{}[{!r}]".format(where, k))]
                         for k, v in value.items()]}
    raise ValueEncodingError(
        "{} is a {}, which cannot be sent back to the controller; return None, a boolean, a "
        "number, a string, bytes, or a list, tuple or dict of those".format(
            where, type(value).__name__))


def decode(data):
    """The value `encode` was given."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        if len(data) != 1:
            raise ValueError("malformed value: {!r}".format(data))
        (tag, body), = data.items()
        if tag == "tuple":
            return tuple(decode(v) for v in body)
        if tag == "bytes":
            return base64.b64decode(body)
        if tag == "dict":
            return {_hashable(decode(k)): decode(v) for k, v in body}
        if tag == "float":
            return float(body)
        if tag == "int":
            return int(body, 16)
        raise ValueError("malformed value: unknown tag {!r}".format(tag))
    return data


def _hashable(key):
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    return key
