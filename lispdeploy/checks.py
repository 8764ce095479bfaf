"""Field checks: convert what a spec gives into plain, immutable Python values, or say what
was expected.

Each check is a callable `value -> stored value` raising `TypeError("a string")` etc.; the
record layer turns that into `field 'x' expects a string, got integer 42`. Lists become tuples
so records stay immutable.
"""

from __future__ import annotations

from typing import Any, Callable, Tuple

Check = Callable[[Any], Any]


def string(value: Any) -> str:
    """A string (Hy's string and symbol models become plain `str`)."""
    if isinstance(value, str):
        return str(value)
    raise TypeError("a string")


def boolean(value: Any) -> bool:
    """#t or #f."""
    if isinstance(value, bool):
        return value
    raise TypeError("#t or #f")


def integer(value: Any) -> int:
    """An integer (not a boolean)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise TypeError("an integer")


def port_number(value: Any) -> int:
    """A TCP port number, 1 to 65535."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return int(value)
    raise TypeError("a port number (1-65535)")


def anything(value: Any) -> Any:
    """Any value, lists made immutable."""
    return freeze(value)


def refusal(message: str, reason) -> TypeError:
    """A TypeError saying what was expected, with why the value is not that (`reason`, such
    as "it holds a newline", kept for the checks that wrap this one)."""
    error = TypeError(message)
    error.reason = reason
    return error


def optional(check: Check, what: str = "") -> Check:
    """`check`, or #f / nothing (stored as None)."""
    def optional_check(value):
        if value is None or value is False:
            return None
        try:
            return check(value)
        except TypeError as e:
            reason = getattr(e, "reason", None)
            if what and reason:
                raise refusal(f"{what} ({reason}) or #f", reason) from None
            raise refusal(f"{what or e} or #f", reason) from None
    optional_check.__doc__ = f"{check.__doc__} Or #f."
    optional_check.inner = check
    return optional_check


def list_of(check: Check, what: str) -> Check:
    """A list whose items each pass `check`; `what` names the items for messages."""
    def list_check(value) -> Tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TypeError(f"a list of {what}")
        try:
            return tuple(map(check, value))
        except TypeError:
            pass
        # Slow path, only to say which item was refused and why ("it holds a newline").
        for number, item in enumerate(value, 1):
            try:
                check(item)
            except TypeError as e:
                reason = getattr(e, "reason", None)
                if reason:
                    reason = f"item {number}: {reason}"
                raise refusal(f"a list of {what}" + (f" ({reason})" if reason else ""),
                              reason) from None
        raise TypeError(f"a list of {what}")
    list_check.__doc__ = f"A list of {what}."
    list_check.inner = check
    return list_check


def instance_of(cls: type, what: str) -> Check:
    """An instance of `cls`, described as `what` in messages."""
    def instance_check(value):
        if isinstance(value, cls):
            return value
        raise TypeError(what)
    instance_check.__doc__ = what
    return instance_check


def one_of(*choices: Any) -> Check:
    """One of the given values (strings compare by text)."""
    def choice_check(value):
        for choice in choices:
            if type(choice) is type(value) or (isinstance(choice, str) and isinstance(value, str)):
                if value == choice:
                    return str(value) if isinstance(value, str) else value
        raise TypeError("one of " + ", ".join(_show(c) for c in choices))
    return choice_check


def either(*checks: Check, what: str) -> Check:
    """The first of `checks` that accepts the value."""
    def either_check(value):
        for check in checks:
            try:
                return check(value)
            except TypeError:
                continue
        raise TypeError(what)
    # Looked through by lispdeploy.services.kinds.kind_of.
    either_check.alternatives = checks
    return either_check


def procedure(value: Any) -> Any:
    """A procedure (a function or lambda)."""
    if callable(value):
        return value
    raise TypeError("a procedure")


def freeze(value: Any) -> Any:
    """Lists (and Hy sequence models) as tuples, strings as plain str, recursively."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return tuple(freeze(v) for v in value)
    return value


def _show(value: Any) -> str:
    if value is True:
        return "#t"
    if value is False:
        return "#f"
    if isinstance(value, str):
        return f"'{value}"
    return repr(value)
