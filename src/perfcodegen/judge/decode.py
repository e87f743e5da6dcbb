"""Decoding what a run process sent back, at a cost bounded by the size of its bytes.

A run process is untrusted once the candidate has run, so its result frame may be crafted by
hand. `marshal.loads` never runs code, but a few hundred bytes can describe shared sub-tuples
that expand exponentially: hashing one as a set element or a dict key, or walking it with
`repr` or `==`, would hang the judge. Payloads without sets or dicts go through the fast
`marshal.loads` (lists and tuples are then only walked by bounded code); the others are
decoded here by a small parser of marshal's plain types that counts each value's expanded
size and refuses anything above the budget.
"""

from __future__ import annotations

import marshal
import struct
from typing import Any

from perfcodegen.plain import PLAIN_NODE_BUDGET, is_plain

_FLAG_REF = 0x80
_HASHING_CODES = tuple(bytes([c]) for c in b"<>{" + bytes(c | _FLAG_REF for c in b"<>{"))
"""Marshal's set, frozenset and dict codes, with and without the reference flag: payloads
without any of these bytes cannot hash anything while loading."""
_MAX_DEPTH = 200


class UnsafeValue(ValueError):
    """The bytes do not describe a plain value within the size budget."""


def decode_payload(data: bytes, budget: int = PLAIN_NODE_BUDGET) -> Any:
    """The value a run process sent, or UnsafeValue."""
    if not any(code in data for code in _HASHING_CODES):  # memchr: fast on megabytes
        try:
            value = marshal.loads(data)
        except (EOFError, ValueError, TypeError) as exc:
            raise UnsafeValue(f"unreadable result ({exc})") from exc
    else:
        value = _Reader(data, budget).read_all()
    if not is_plain(value, budget=budget):
        raise UnsafeValue("the result is not a plain value, or is too large")
    return value


class _Reader:
    def __init__(self, data: bytes, budget: int) -> None:
        self.data = data
        self.pos = 0
        self.budget = budget
        self.refs: list[tuple[Any, int]] = []

    def read_all(self) -> Any:
        value, _ = self._read(0)
        if self.pos != len(self.data):
            raise UnsafeValue("trailing bytes after the result")
        return value

    def _take(self, size: int) -> bytes:
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise UnsafeValue("truncated result")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _int32(self) -> int:
        return int(struct.unpack("<i", self._take(4))[0])

    def _size(self, short: bool) -> int:
        return self._take(1)[0] if short else self._int32()

    def _read(self, depth: int) -> tuple[Any, int]:
        """(value, expanded size)."""
        if depth > _MAX_DEPTH:
            raise UnsafeValue("the result is nested too deeply")
        byte = self._take(1)[0]
        flag, code = byte & _FLAG_REF, chr(byte & ~_FLAG_REF)
        slot = len(self.refs)
        if flag:
            self.refs.append((None, 1))
        value, size = self._read_body(code, depth)
        if size > self.budget:
            raise UnsafeValue("the result is too large")
        if flag:
            self.refs[slot] = (value, size)
        return value, size

    def _read_body(self, code: str, depth: int) -> tuple[Any, int]:
        scalars = {"N": None, "F": False, "T": True}
        if code in scalars:
            return scalars[code], 1
        if code == "i":
            return self._int32(), 1
        if code == "l":  # marshal's own C decoder: linear (a Python sum of digits is quadratic)
            count = self._int32()
            raw = self._take(2 * abs(count))
            try:
                return marshal.loads(b"l" + struct.pack("<i", count) + raw), 1
            except (ValueError, EOFError) as exc:
                raise UnsafeValue("an invalid integer in the result") from exc
        if code == "g":
            return struct.unpack("<d", self._take(8))[0], 1
        if code == "y":
            real, imag = struct.unpack("<dd", self._take(16))
            return complex(real, imag), 1
        if code == "s":
            return self._take(self._int32()), 1
        if code in "tuaAzZ":
            raw = self._take(self._size(code in "zZ"))
            try:
                return raw.decode("utf-8" if code in "tu" else "ascii"), 1
            except UnicodeDecodeError as exc:
                raise UnsafeValue("invalid text in the result") from exc
        if code == "r":
            index = self._int32()
            if not 0 <= index < len(self.refs):
                raise UnsafeValue("invalid reference in the result")
            return self.refs[index]
        if code in "()[<>":
            count = self._size(code == ")")
            if count < 0 or count > len(self.data):
                raise UnsafeValue("invalid length in the result")
            items, size = [], 1
            for _ in range(count):
                item, item_size = self._read(depth + 1)
                items.append(item)
                size += item_size
                if size > self.budget:
                    raise UnsafeValue("the result is too large")
            return self._container(code, items), size
        if code == "{":
            result: dict[Any, Any] = {}
            size = 1
            while self.data[self.pos : self.pos + 1] != b"0":
                key, key_size = self._read(depth + 1)
                entry, entry_size = self._read(depth + 1)
                size += key_size + entry_size
                if size > self.budget:
                    raise UnsafeValue("the result is too large")
                result[_hashable(key)] = entry
            self._take(1)
            return result, size
        raise UnsafeValue(f"unsupported type code {code!r} in the result")

    @staticmethod
    def _container(code: str, items: list[Any]) -> Any:
        if code in "()":
            return tuple(items)
        if code == "[":
            return items
        hashable = [_hashable(item) for item in items]
        return set(hashable) if code == "<" else frozenset(hashable)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError as exc:
        raise UnsafeValue("an unhashable set element or dict key in the result") from exc
    return value
