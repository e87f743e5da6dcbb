"""Length-prefixed marshal frames over pipes (judge <-> fork server <-> run process).

marshal carries only plain values (and code objects, which `perfcodegen.plain.is_plain`
rejects); loading it never executes code, unlike pickle. Frames from a run process are never
decoded by the fork server: it only splits them, bounded in size, and hands the bytes on.
"""

from __future__ import annotations

import marshal
import os
import struct
from typing import Any

_HEADER = struct.Struct("<Q")
HEADER_SIZE = _HEADER.size


class FrameTooLarge(Exception):
    pass


def write_bytes_frame(fd: int, payload: bytes) -> None:
    """Header and payload in one system call, without copying the payload."""
    header = _HEADER.pack(len(payload))
    written = os.writev(fd, (header, payload))
    if written < len(header) + len(payload):  # interrupted: the rest, the slow way
        data = memoryview(header + payload)[written:]
        while data:
            data = data[os.write(fd, data) :]


def write_frame(fd: int, value: Any) -> None:
    write_bytes_frame(fd, marshal.dumps(value))


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int = 1 << 31) -> Any:
    """Read one frame (blocking); raise EOFError when the writer closed the pipe."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        raise EOFError("pipe closed")
    (size,) = _HEADER.unpack(header)
    if size > max_bytes:
        raise FrameTooLarge(f"frame of {size} bytes")
    payload = _read_exact(fd, size)
    if payload is None:
        raise EOFError("pipe closed mid-frame")
    return marshal.loads(payload)


def frame_size(buffer: bytes | bytearray) -> int | None:
    """Size of the payload announced by a buffer's header, or None while it is incomplete."""
    if len(buffer) < _HEADER.size:
        return None
    return int(_HEADER.unpack_from(buffer)[0])


class FrameBuffer:
    """Incremental decoder for frames arriving in arbitrary chunks (non-blocking reads)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.received = 0
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise FrameTooLarge(f"more than {self.max_bytes} bytes")
        self._buffer += chunk
        frames: list[Any] = []
        while (size := frame_size(self._buffer)) is not None:
            end = _HEADER.size + size
            if len(self._buffer) < end:
                break
            frames.append(marshal.loads(bytes(self._buffer[_HEADER.size : end])))
            del self._buffer[:end]
        return frames
