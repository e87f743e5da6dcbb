"""Instruction counters: hardware (`perf_event_open`) and callgrind client requests.

Imported by the judge (to probe and to build the callgrind shim) and by the sandbox launcher
(which opens a hardware counter on the process it starts), so it stays free of heavy imports.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import hashlib
import os
import platform
import shutil
import struct
import subprocess
import tempfile
from enum import Enum
from importlib import resources
from pathlib import Path

from perfcodegen.errors import PerfCodegenError
from perfcodegen.paths import user_cache_dir


class InstructionMethod(str, Enum):
    HARDWARE = "perf_event"
    """The CPU's retired-instruction counter, user space only; near-exact, native speed."""
    CALLGRIND = "callgrind"
    """Valgrind's callgrind: bit-identical across runs, about 35-70x slower."""


# perf_event_open(2): syscall numbers, the attribute layout and ioctls (linux/perf_event.h).
_PERF_EVENT_OPEN_SYSCALL = {"x86_64": 298, "amd64": 298, "aarch64": 241, "arm64": 241}
_PERF_TYPE_HARDWARE = 0
_PERF_COUNT_HW_INSTRUCTIONS = 1
_ATTR_DISABLED = 1 << 0
_ATTR_INHERIT = 1 << 1
_ATTR_EXCLUDE_KERNEL = 1 << 5
_ATTR_EXCLUDE_HV = 1 << 6
_ATTR_ENABLE_ON_EXEC = 1 << 12
_ATTR_SIZE = 128  # PERF_ATTR_SIZE_VER7; the kernel accepts any known size
_PERF_FLAG_FD_CLOEXEC = 1 << 3
_IOC_ENABLE = 0x2400
_IOC_DISABLE = 0x2401
_IOC_RESET = 0x2403


class HardwareCounter:
    """A retired-instructions counter, user space only: of the calling thread, or of process
    `pid` and everything it starts, from its next `execve` on (`on_exec`)."""

    def __init__(self, pid: int = 0, on_exec: bool = False) -> None:
        syscall_number = _PERF_EVENT_OPEN_SYSCALL.get(platform.machine().lower())
        if syscall_number is None:
            raise OSError(f"perf_event_open: unsupported architecture {platform.machine()}")
        attr = bytearray(_ATTR_SIZE)
        flags = _ATTR_DISABLED | _ATTR_EXCLUDE_KERNEL | _ATTR_EXCLUDE_HV
        if on_exec:
            flags |= _ATTR_INHERIT | _ATTR_ENABLE_ON_EXEC
        struct.pack_into(
            "IIQQQQQ", attr, 0, _PERF_TYPE_HARDWARE, _ATTR_SIZE, _PERF_COUNT_HW_INSTRUCTIONS,
            0, 0, 0, flags,
        )  # fmt: skip
        libc = ctypes.CDLL(None, use_errno=True)
        buffer = (ctypes.c_char * _ATTR_SIZE).from_buffer(attr)
        fd = libc.syscall(syscall_number, buffer, pid, -1, -1, _PERF_FLAG_FD_CLOEXEC)
        if fd < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"perf_event_open: {os.strerror(errno)}")
        self._fd: int = fd

    def read(self) -> int:
        """The count so far (of a process that has ended: its final count)."""
        value: int = struct.unpack("Q", os.read(self._fd, 8))[0]
        return value

    def start(self) -> None:
        fcntl.ioctl(self._fd, _IOC_RESET, 0)
        fcntl.ioctl(self._fd, _IOC_ENABLE, 0)

    def stop(self) -> int:
        fcntl.ioctl(self._fd, _IOC_DISABLE, 0)
        return self.read()

    def close(self) -> None:
        os.close(self._fd)


@functools.cache
def hardware_counters_available() -> bool:
    """Probe once: can this process count its own user-space instructions?

    Some VMs hand out a counter that never moves, so the probe also checks that a small
    loop counts something.
    """
    try:
        counter = HardwareCounter()
    except OSError:
        return False
    try:
        counter.start()
        sum(range(1000))
        return counter.stop() > 1000
    except OSError:
        return False
    finally:
        counter.close()


class DumpRejected(Exception):
    """The dump pipe held something other than exactly one dump of the whole count."""


def parse_callgrind_dump(data: bytes) -> int:
    """The instruction count of a dump pipe's content, which must be exactly one callgrind
    dump, written when the process ended, covering everything since the count started.

    A candidate can add bytes to the pipe (through /proc/self/fd) but cannot keep valgrind
    from writing its own dump at the end, so anything added makes more than one; the client
    requests that zero, stop or dump the count leave a dump whose summary and totals differ,
    whose time range does not start at the first basic block, or a second part; switching
    collection off leaves fewer instructions than executed basic blocks, when it hides most
    of the run (docs/judge.md: what remains)."""
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")

    def only(prefix: str) -> str:
        found = [line[len(prefix) :] for line in lines if line.startswith(prefix)]
        if len(found) != 1:
            raise DumpRejected(f"{len(found)} '{prefix.strip()}' lines where one is expected")
        return found[0].strip()

    headers = sum(line == "# callgrind format" for line in lines)
    if headers != 1 or not text.startswith("# callgrind format\n"):
        raise DumpRejected(f"{headers} callgrind dumps where exactly one is accepted")
    if only("part:") != "1" or only("desc: Trigger:") != "Program termination":
        raise DumpRejected("the dump is not the single dump written at the process's end")
    timerange = only("desc: Timerange:")
    if not timerange.startswith("Basic block 0 - "):
        raise DumpRejected("the count does not cover the whole run")
    summary, totals = only("summary:"), only("totals:")
    if summary != totals or not totals.isdigit():
        raise DumpRejected(f"summary {summary} and totals {totals} differ")
    blocks = timerange.rsplit(" ", 1)[-1]
    if not blocks.isdigit() or int(totals) < int(blocks):  # every block is an instruction or more
        raise DumpRejected(f"{totals} instructions in {blocks} basic blocks: collection was off")
    return int(totals)


def require_valgrind() -> str:
    """Path of the valgrind executable, or a clear error naming the Debian package."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise PerfCodegenError(
            "instruction counting without hardware counters needs valgrind: "
            "apt-get install valgrind (Debian/Ubuntu package 'valgrind')"
        )
    return valgrind


def build_callgrind_shim(cache_dir: Path | None = None) -> Path:
    """Compile the shim on first use into a per-user cache (keyed by its source hash)."""
    source = resources.files("perfcodegen.judge").joinpath("callgrind_shim.c").read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    directory = cache_dir or user_cache_dir()
    library = directory / f"callgrind_shim-{digest}.so"
    if library.exists():
        return library
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        raise PerfCodegenError(
            "instruction counting with callgrind needs a C compiler: apt-get install gcc"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        source_path = Path(scratch) / "callgrind_shim.c"
        source_path.write_bytes(source)
        built = Path(scratch) / library.name
        completed = subprocess.run(
            [compiler, "-shared", "-fPIC", "-O2", "-o", str(built), str(source_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            hint = (
                " (valgrind/callgrind.h is missing: apt-get install valgrind)"
                if "callgrind.h" in completed.stderr
                else ""
            )
            raise PerfCodegenError(
                f"could not compile the callgrind shim{hint}: {completed.stderr.strip()[-500:]}"
            )
        os.replace(built, library)  # atomic: concurrent builders never see a partial file
    return library
