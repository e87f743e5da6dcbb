"""A lossless JSON encoding for the plain Python values that tests exchange.

Test arguments and expected values are plain data (None, bool, int, float, str, bytes,
list, tuple, dict, set, frozenset, complex). JSON alone would turn tuples into lists,
sets into errors and ``inf`` into invalid JSON, which changes what a test means. This
module tags those values so that ``decode(encode(x)) == x`` with types preserved.
"""

from __future__ import annotations

import binascii
import math
from typing import Any

_TAG = "__py__"
_BIG_INT_BITS = 4096
"""Larger ints are tagged and written in hex (Python caps int<->decimal str at 4300 digits)."""


def encode(value: Any) -> Any:
    """Turn a plain Python value into JSON-compatible data, tagging what JSON cannot hold."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if value.bit_length() > _BIG_INT_BITS:  # JSON parsers refuse > 4300 decimal digits
            return {_TAG: "int", "v": hex(value)}
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {_TAG: "float", "v": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        kind = "set" if isinstance(value, set) else "frozenset"
        items = sorted((encode(v) for v in value), key=repr)
        return {_TAG: kind, "v": items}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {_TAG: "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, bytes):
        return {_TAG: "bytes", "v": binascii.b2a_base64(value, newline=False).decode("ascii")}
    if isinstance(value, complex):
        return {_TAG: "complex", "v": [encode(value.real), encode(value.imag)]}
    raise TypeError(f"not a plain value: {type(value).__name__}")


def decode(data: Any) -> Any:
    """Inverse of :func:`encode`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        tag = data.get(_TAG)
        if tag is None:
            return {k: decode(v) for k, v in data.items()}
        payload = data["v"]
        if tag == "float":
            return float(payload)
        if tag == "int":
            return int(payload, 16)
        if tag == "tuple":
            return tuple(decode(v) for v in payload)
        if tag == "set":
            return {decode(v) for v in payload}
        if tag == "frozenset":
            return frozenset(decode(v) for v in payload)
        if tag == "dict":
            return {decode(k): decode(v) for k, v in payload}
        if tag == "bytes":
            return binascii.a2b_base64(payload)
        if tag == "complex":
            return complex(decode(payload[0]), decode(payload[1]))
        raise ValueError(f"unknown plain-value tag {tag!r}")
    return data


PLAIN_NODE_BUDGET = 2_000_000
"""Most container items `is_plain` visits: shared sub-lists cannot make the check exponential."""
_SCALARS = (bool, int, float, str, bytes, complex)


def is_plain(value: Any, max_depth: int = 200, budget: int = PLAIN_NODE_BUDGET) -> bool:
    """True when ``value`` is built only from plain types (what a sandboxed child may return).

    Iterative and bounded: each container is visited once (by identity), at most `budget`
    items in all and `max_depth` levels deep, so a small frame of shared nested lists (a
    DAG that expands exponentially as a tree) is checked in linear time.
    """
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(value, 0)]
    visited = 0
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if item is None or kind in _SCALARS:
            continue
        if depth >= max_depth or kind not in (list, tuple, set, frozenset, dict):
            return False
        if id(item) in seen:
            continue
        seen.add(id(item))
        visited += len(item)
        if visited > budget:
            return False
        if kind is dict:
            for key, entry in item.items():
                stack.append((key, depth + 1))
                stack.append((entry, depth + 1))
        else:
            stack.extend((entry, depth + 1) for entry in item)
    return True


def output_digest(value: Any, budget: int = PLAIN_NODE_BUDGET) -> str:
    """A type-exact sha256 of a plain value: a bool is not an int, a tuple is not a list; the
    order of a set's or a dict's items does not count. Stands for expected outputs too large
    to keep (EvalPlus's HumanEval+/MBPP+ have some of several hundred MB).

    Walks at most `budget` items, counted as a tree (ValueError past it): a result made of
    shared sub-lists cannot make the walk exponential."""
    import hashlib  # here, not at the top: the fork server imports this module, never this

    left = [budget]

    def digest(item: Any) -> str:
        state = hashlib.sha256()
        feed(state, item)
        return state.hexdigest()

    def feed(state: Any, item: Any) -> None:
        left[0] -= 1
        if left[0] < 0:
            raise ValueError("the value is too large to digest")
        kind = type(item)
        state.update(kind.__name__.encode() + b":")
        if kind is int:
            state.update(hex(item).encode())
        elif kind in (str, bytes):  # the length, then the bytes (one update would copy them)
            data = item.encode("utf-8", "surrogatepass") if kind is str else item
            state.update(str(len(data)).encode() + b":")
            state.update(data)
        elif kind in (list, tuple):
            state.update(str(len(item)).encode() + b"[")
            for entry in item:
                feed(state, entry)
            state.update(b"]")
        elif kind in (set, frozenset):
            state.update(",".join(sorted(digest(entry) for entry in item)).encode())
        elif kind is dict:
            pairs = sorted(digest(key) + digest(entry) for key, entry in item.items())
            state.update(",".join(pairs).encode())
        else:
            state.update(repr(item).encode())

    return digest(value)


def bounded_repr(value: Any, limit: int) -> str:
    """repr of a plain value, cut at `limit` characters without ever building more.

    Plain `repr` walks shared sub-lists once per path, which a hostile value makes exponential.
    """
    parts: list[str] = []
    size = 0
    stack: list[Any] = [value]
    opening: dict[type, str] = {list: "[", tuple: "(", set: "{", frozenset: "frozenset({", dict: "{"}
    closing: dict[type, str] = {list: "]", tuple: ")", set: "}", frozenset: "})", dict: "}"}
    while stack and size <= limit:
        item = stack.pop()
        if isinstance(item, _Token):
            text = item.text
        elif type(item) in opening:
            kind = type(item)
            entries: list[Any] = []
            if kind is dict:
                for index, (key, entry) in enumerate(item.items()):
                    entries += [_Token(", ")] if index else []
                    entries += [key, _Token(": "), entry]
            else:
                for index, entry in enumerate(item):
                    entries += [_Token(", ")] if index else []
                    entries.append(entry)
                if kind is tuple and len(item) == 1:
                    entries.append(_Token(","))
            text = opening[kind] if item or kind not in (set, frozenset) else f"{kind.__name__}("
            tail = closing[kind] if item or kind not in (set, frozenset) else ")"
            stack.append(_Token(tail))
            stack.extend(reversed(entries))
        else:
            try:
                text = repr(item)
            except ValueError:  # an int beyond Python's int-to-str digit limit
                text = f"<int of {item.bit_length()} bits>" if isinstance(item, int) else "<?>"
        parts.append(text)
        size += len(text)
    return "".join(parts)


class _Token:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def to_plain(value: Any, _depth: int = 0) -> Any:
    """Turn standard-library containers that already compare equal to a plain type into it.

    `Counter`, `OrderedDict` and `defaultdict` equal the `dict` with the same items, and a
    namedtuple equals the `tuple` of its fields, so a program returning one is right wherever
    the plain value is expected (MBPP's `freq_count` returns a Counter, for example). Only these
    exact types are converted; anything else is left for `is_plain` to reject. Runs in the
    sandboxed child, never in the judge.
    """
    import collections

    if _depth > 200:
        return value
    kind = type(value)
    if kind in (collections.Counter, collections.OrderedDict, collections.defaultdict):
        return {to_plain(k, _depth + 1): to_plain(v, _depth + 1) for k, v in value.items()}
    if kind is dict:
        return {to_plain(k, _depth + 1): to_plain(v, _depth + 1) for k, v in value.items()}
    if kind is list:
        return [to_plain(v, _depth + 1) for v in value]
    if isinstance(value, tuple) and (kind is tuple or _is_namedtuple(kind)):
        return tuple(to_plain(v, _depth + 1) for v in value)
    return value


def _is_namedtuple(kind: type) -> bool:
    return tuple in kind.__bases__ and isinstance(getattr(kind, "_fields", None), tuple)
