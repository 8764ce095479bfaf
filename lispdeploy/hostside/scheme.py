"""Scheme procedures deployment files use, as Python functions: `list`, `cons*`, `append`,
`iota`, `map` (which returns a list), `format`, `string-append`, ...

They are bound under their Scheme names in every spec's prelude on the controller, and in the
namespace of every g-expression body on a host. Runs on hosts: standard library only.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Dict, Iterable, List



class SchemeError(ValueError):
    """A Scheme procedure was called with arguments it cannot take."""





def scheme_list(*items: Any) -> List[Any]:
    """`(list a b ...)`: a list of the arguments (not Python's `list(iterable)`)."""
    return list(items)


def cons(item: Any, rest: Iterable[Any]) -> List[Any]:
    """`(cons x lst)`: a list with x in front."""
    return [item, *_sequence(rest, "cons")]


def cons_star(*items: Any) -> List[Any]:
    """`(cons* a b ... lst)`: the items in front of the last argument, a list."""
    if not items:
        raise SchemeError("cons*: expects at least one argument")
    return [*items[:-1], *_sequence(items[-1], "cons*")]


def append(*lists: Iterable[Any]) -> List[Any]:
    """`(append l1 l2 ...)`: one list of all items."""
    out: List[Any] = []
    for lst in lists:
        out.extend(_sequence(lst, "append"))
    return out


def iota(count: int, start: int = 0, step: int = 1) -> List[int]:
    """`(iota n [start step])`: n numbers from start."""
    if not isinstance(count, int) or count < 0:
        raise SchemeError(f"iota: expects a count of 0 or more, got {count!r}")
    return [start + i * step for i in range(count)]


def scheme_map(proc: Callable, *lists: Iterable[Any]) -> List[Any]:
    """`(map proc l1 l2 ...)`: a list of proc applied to the items."""
    return [proc(*args) for args in zip(*[_sequence(lst, "map") for lst in lists])]


def for_each(proc: Callable, *lists: Iterable[Any]) -> None:
    """`(for-each proc l1 ...)`: call proc on the items, for its effect."""
    for args in zip(*[_sequence(lst, "for-each") for lst in lists]):
        proc(*args)


def scheme_filter(pred: Callable, lst: Iterable[Any]) -> List[Any]:
    """`(filter pred lst)`."""
    return [x for x in _sequence(lst, "filter") if pred(x)]


def remove(pred: Callable, lst: Iterable[Any]) -> List[Any]:
    """`(remove pred lst)`: the items for which pred is false."""
    return [x for x in _sequence(lst, "remove") if not pred(x)]


def fold(proc: Callable, init: Any, lst: Iterable[Any]) -> Any:
    """SRFI-1 `(fold kons knil lst)`: kons is called with (item accumulator)."""
    acc = init
    for x in _sequence(lst, "fold"):
        acc = proc(x, acc)
    return acc


def append_map(proc: Callable, *lists: Iterable[Any]) -> List[Any]:
    """`(append-map proc lst)`: the lists proc returns, appended."""
    return append(*scheme_map(proc, *lists))


def delete_duplicates(lst: Iterable[Any]) -> List[Any]:
    """`(delete-duplicates lst)`: first occurrences, in order."""
    out: List[Any] = []
    for x in _sequence(lst, "delete-duplicates"):
        if x not in out:
            out.append(x)
    return out


def string_append(*strings: str) -> str:
    """`(string-append s ...)`."""
    for s in strings:
        if not isinstance(s, str):
            raise SchemeError(f"string-append: expects strings, got {s!r}")
    return "".join(strings)


def string_join(strings: Iterable[str], delimiter: str = " ") -> str:
    """`(string-join lst [delimiter])`."""
    return delimiter.join(_sequence(strings, "string-join"))


def apply(proc: Callable, *args: Any) -> Any:
    """`(apply proc a ... lst)`."""
    if not args:
        return proc()
    return proc(*args[:-1], *_sequence(args[-1], "apply"))


def _write(value: Any) -> str:
    if isinstance(value, bool):
        return "#t" if value else "#f"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "(" + " ".join(_write(v) for v in value) + ")"
    return _display(value)


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "#t" if value else "#f"
    if value is None:
        return "#<unspecified>"
    if isinstance(value, (list, tuple)):
        return "(" + " ".join(_display(v) for v in value) + ")"
    return str(value)


_DIRECTIVE = re.compile(r"~(.)", re.S)


def format_(destination: Any, template: str, *args: Any) -> Any:
    """`(format #f "forum-server-~a" n)`: `~a` display, `~s` write, `~d` a number, `~%` a
    newline, `~~` a tilde. With #f as destination, return the string; with #t, print it."""
    if not isinstance(template, str):
        raise SchemeError(f"format: the template must be a string, got {template!r}")
    remaining = list(args)

    def expand(match):
        d = match.group(1).lower()
        if d == "%":
            return "\n"
        if d == "~":
            return "~"
        if d not in "asd":
            raise SchemeError(f"format: unknown directive '~{match.group(1)}' in {template!r}")
        if not remaining:
            raise SchemeError(f"format: too few arguments for {template!r}")
        value = remaining.pop(0)
        if d == "d":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise SchemeError(f"format: ~d expects a number, got {value!r}")
            return str(value)
        return _display(value) if d == "a" else _write(value)

    text = _DIRECTIVE.sub(expand, template)
    if remaining:
        raise SchemeError(f"format: too many arguments for {template!r}")
    if destination is False or destination is None:
        return text
    print(text, end="")
    return None


def _sequence(value: Any, who: str):
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise SchemeError(f"{who}: expects a list, got {value!r}")
    return list(value)


def _car(lst):
    seq = _sequence(lst, "car")
    if not seq:
        raise SchemeError("car: the list is empty")
    return seq[0]


def _cdr(lst):
    seq = _sequence(lst, "cdr")
    if not seq:
        raise SchemeError("cdr: the list is empty")
    return list(seq[1:])


def _compare_all(op: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def compare(*xs):
        return all(op(a, b) for a, b in zip(xs, xs[1:]))
    return compare


def _arithmetic(op: Callable[[Any, Any], Any], unit: Any, name: str) -> Callable[..., Any]:
    def arithmetic(*xs):
        if not xs:
            if unit is None:
                raise SchemeError(f"{name}: expects at least one argument")
            return unit
        if len(xs) == 1 and name in ("-", "/"):
            return op(unit if unit is not None else 0, xs[0])
        return functools.reduce(op, xs)
    return arithmetic


PROCEDURES: Dict[str, Any] = {
    "+": _arithmetic(lambda a, b: a + b, 0, "+"),
    "*": _arithmetic(lambda a, b: a * b, 1, "*"),
    "-": _arithmetic(lambda a, b: a - b, 0, "-"),
    "/": _arithmetic(lambda a, b: a / b, 1, "/"),
    "=": _compare_all(lambda a, b: a == b),
    "<": _compare_all(lambda a, b: a < b),
    ">": _compare_all(lambda a, b: a > b),
    "<=": _compare_all(lambda a, b: a <= b),
    ">=": _compare_all(lambda a, b: a >= b),
    "max": max,
    "min": min,
    "abs": abs,
    "modulo": lambda a, b: a % b,
    "remainder": lambda a, b: a - b * int(a / b),
    "quotient": lambda a, b: int(a / b),
    "expt": lambda a, b: a ** b,
    "even?": lambda n: n % 2 == 0,
    "odd?": lambda n: n % 2 == 1,
    "list": scheme_list,
    "cons": cons,
    "cons*": cons_star,
    "append": append,
    "iota": iota,
    "map": scheme_map,
    "for-each": for_each,
    "filter": scheme_filter,
    "remove": remove,
    "fold": fold,
    "reduce": lambda proc, init, lst: functools.reduce(lambda a, x: proc(x, a),
                                                       _sequence(lst, "reduce"))
    if _sequence(lst, "reduce") else init,
    "append-map": append_map,
    "delete-duplicates": delete_duplicates,
    "delete": lambda x, lst: [y for y in _sequence(lst, "delete") if y != x],
    "length": lambda lst: len(_sequence(lst, "length")),
    "reverse": lambda lst: list(reversed(_sequence(lst, "reverse"))),
    "car": _car,
    "cdr": _cdr,
    "first": _car,
    "cadr": lambda lst: _car(_cdr(lst)),
    "second": lambda lst: _car(_cdr(lst)),
    "cddr": lambda lst: _cdr(_cdr(lst)),
    "last": lambda lst: _sequence(lst, "last")[-1],
    "list-ref": lambda lst, k: _sequence(lst, "list-ref")[k],
    "null?": lambda x: isinstance(x, (list, tuple)) and len(x) == 0,
    "pair?": lambda x: isinstance(x, (list, tuple)) and len(x) > 0,
    "list?": lambda x: isinstance(x, (list, tuple)),
    "string?": lambda x: isinstance(x, str),
    "number?": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
    "integer?": lambda x: isinstance(x, int) and not isinstance(x, bool),
    "boolean?": lambda x: isinstance(x, bool),
    "procedure?": callable,
    "symbol?": lambda x: isinstance(x, str),
    "zero?": lambda x: x == 0,
    "1+": lambda x: x + 1,
    "1-": lambda x: x - 1,
    "string-append": string_append,
    "string-join": string_join,
    "string-split": lambda s, c: s.split(c),
    "string-prefix?": lambda prefix, s: s.startswith(prefix),
    "string-suffix?": lambda suffix, s: s.endswith(suffix),
    "string-contains": lambda s, sub: (s.find(sub) if sub in s else False),
    "string-upcase": lambda s: s.upper(),
    "string-downcase": lambda s: s.lower(),
    "string-length": len,
    "string-null?": lambda s: s == "",
    "string=?": _compare_all(lambda a, b: a == b),
    "string<?": _compare_all(lambda a, b: a < b),
    "string->number": lambda s: (int(s) if re.fullmatch(r"[+-]?\d+", s) else float(s)),
    "number->string": lambda n: str(n),
    "symbol->string": str,
    "string->symbol": str,
    "equal?": lambda a, b: a == b,
    "eqv?": lambda a, b: a == b,
    "eq?": lambda a, b: a is b or (isinstance(a, (str, int)) and a == b),
    "assoc-ref": lambda alist, key: next((pair[1] for pair in _sequence(alist, "assoc-ref")
                                          if pair and pair[0] == key), False),
    "apply": apply,
    "format": format_,
    "display": lambda x: print(_display(x), end=""),
    "newline": lambda: print(),
    "identity": lambda x: x,
    "const": lambda x: (lambda *_: x),
    "negate": lambda proc: (lambda *a: not proc(*a)),
    "getenv": lambda name: __import__("os").environ.get(name, False),
    "string": lambda *chars: "".join(chars),
    "vector": scheme_list,
    "list->vector": list,
    "vector->list": list,
}
