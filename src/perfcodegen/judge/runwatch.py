"""Watching a run process from outside: the fork server's side of every run.

`measure` is the protocol of one fresh run process (start record, go byte, result frame),
with every clock read here, never in the run. `CheckBatch` runs one program's correctness
checks in one sandboxed process, test after test, for verdict-only jobs (docs/judge.md,
"Verdict-only jobs"): no figure is ever taken from such a process.

Imported by the lean fork server: standard library only.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import struct
import time
from typing import Any

from perfcodegen.judge import runproc, sandbox, wire
from perfcodegen.judge.zygote import Zygote

RESULT_SLACK = 64 * 1024
"""Room in a result frame besides the captured output (error messages, tracebacks)."""
CPU_POLL_S = 0.02
"""How often a check run's CPU time is compared with its limit."""
READ_SIZE = 1 << 20


def measure(
    sock: socket.socket, task: bytes, wall_time_s: float, result_limit: int, held: bool = False
) -> dict[str, Any]:
    """The run's protocol on its socket, with the readings taken here, never in the run:

    0. the run's task goes first (the run reads it; the zygote that forked it never does);
    1. the first frame is the trusted start record (16 bytes), written before any candidate
       code; the kernel names its sender (SCM_CREDENTIALS: the run's pid here); a longer
       frame is the sandbox's failure;
    2. the run now waits for a go byte: its CPU clock and the monotonic clock are read here
       (on a pinned worker the run shares our CPU, so it is off the CPU while we read and
       the kernel's figure is exact), then the byte is sent;
    3. the next frame is the result: both clocks are read again the moment it is whole.
    CPU time is the kernel's accounting of the run process; `reap` adds its children's (from
    `wait4`), so other load on the machine does not inflate it. `held`: also note the memory
    the run holds in tmpfs files and memfds (`held_kb`), which its peak RSS does not show."""
    run: dict[str, Any] = {
        "ending": None, "message": "", "payload": None, "wall_ns": None, "cpu_ns": None,
        "zpid": 0,
    }  # fmt: skip
    fd = sock.fileno()
    deadline = time.monotonic() + wall_time_s
    try:
        wire.write_bytes_frame(fd, task)
    except OSError:
        return run  # it died before reading its task: `reap` says how
    os.set_blocking(fd, False)
    buffer = bytearray()
    pid, ending = _sender(sock, buffer, deadline)
    if pid is None:
        run["ending"], run["message"] = ENDINGS.get(ending or "", (None, ""))
        return run
    run["pid"] = pid
    pidfd = os.pidfd_open(pid)
    try:
        start, ending = await_frame(fd, pidfd, buffer, deadline, runproc.START.size + 4096)
        if start is not None and len(start) != runproc.START.size:
            ending = "sandbox"
        if start is None or ending:
            run["ending"], run["message"] = ENDINGS.get(ending or "", (None, ""))
            return run
        run["zpid"] = runproc.START.unpack(start)[1]
        clock = cpu_clock(pid)
        cpu0, wall0 = time.clock_gettime_ns(clock), time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        os.write(fd, b"g")
        result, ending = await_frame(fd, pidfd, buffer, deadline, result_limit + RESULT_SLACK)
        wall1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        if result is None or ending:
            run["ending"], run["message"] = ENDINGS.get(ending or "", (None, ""))
            return run
        try:
            cpu1: int | None = time.clock_gettime_ns(clock)
        except OSError:  # no CPU figure rather than a wrong one
            cpu1 = None
        run["payload"] = result
        run["wall_ns"] = wall1 - wall0
        run["cpu_ns"] = None if cpu1 is None else cpu1 - cpu0
        if held:
            run["held_kb"] = held_kb(pid)
        return run
    finally:
        os.close(pidfd)


_CREDENTIALS = struct.Struct("iII")  # struct ucred: pid, uid, gid


def _sender(
    sock: socket.socket, buffer: bytearray, deadline: float
) -> tuple[int | None, str | None]:
    """(pid of the process that wrote the first bytes on `sock`, as the kernel names it in
    our PID namespace, None) once they arrive; (None, "timeout") or (None, None) at end of
    file. `sock` has SO_PASSCRED set, so every message carries its sender's credentials."""
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, "timeout"
        if not poller.poll(remaining * 1000):
            continue
        try:
            data, ancillary, _, _ = sock.recvmsg(READ_SIZE, socket.CMSG_SPACE(_CREDENTIALS.size))
        except BlockingIOError:
            continue
        except ConnectionResetError:
            return None, None
        if not data:
            return None, None
        buffer += data
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                return _CREDENTIALS.unpack_from(payload)[0], None
        return None, None


def socket_pair() -> tuple[socket.socket, socket.socket]:
    """(the server's end, the run's end) of a run's socket; the server's end learns who
    writes to it (`_sender`)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    return ours, theirs


def held_kb(pid: int) -> int:
    """Memory that run process `pid` holds outside its peak RSS (unless it maps it too): the
    files in the work dir's tmpfs (/dev/shm is there) and the memfds it has open."""
    total = 0
    with contextlib.suppress(OSError):
        stat = os.statvfs(sandbox.WORK_DIR)
        total += (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    folder = f"/proc/{pid}/fd"
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            with contextlib.suppress(OSError):
                if os.readlink(f"{folder}/{name}").startswith("/memfd:"):
                    total += os.stat(f"{folder}/{name}").st_blocks * 512
    return total // 1024


FORBIDDEN = "the process made a system call the sandbox forbids"

ENDINGS = {
    "timeout": ("timeout", "wall-clock time limit exceeded"),
    "cpu_timeout": ("timeout", "CPU time limit exceeded"),
    "output_limit": ("output_limit", "the result or the output is larger than its limit"),
    "sandbox": ("sandbox", "the sandbox could not be entered"),
}
"""Endings decided while reading; a run that just stopped gets its ending from `wait4`."""


def await_frame(
    fd: int,
    pidfd: int,
    buffer: bytearray,
    deadline: float,
    max_bytes: int,
    cpu_deadline: tuple[int, int] | None = None,
) -> tuple[bytes | None, str | None]:
    """(the next frame's payload, None), or (None, why not): "timeout", "cpu_timeout",
    "output_limit", or None when the process ended or closed the socket first.

    `cpu_deadline`: (CPU clock of the process, its reading in ns past which the run has
    used up its CPU time), checked every `CPU_POLL_S`: a limit that load on the machine does
    not bring closer, unlike the wall-clock `deadline`."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    while True:
        if cpu_deadline is not None and time.clock_gettime_ns(cpu_deadline[0]) > cpu_deadline[1]:
            return None, "cpu_timeout"
        size = wire.frame_size(buffer)
        if size is not None and size > max_bytes:
            return None, "output_limit"
        if size is not None and len(buffer) >= wire.HEADER_SIZE + size:
            payload = bytes(buffer[wire.HEADER_SIZE : wire.HEADER_SIZE + size])
            del buffer[: wire.HEADER_SIZE + size]
            return payload, None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, "timeout"
        if cpu_deadline is not None:
            remaining = min(remaining, CPU_POLL_S)
        events = poller.poll(remaining * 1000)
        readable = any(f == fd for f, _ in events)
        if readable and _read_once(fd, buffer):
            return _complete(buffer), None
        if not readable and any(f == pidfd for f, _ in events):
            _drain(fd, buffer, max_bytes + wire.HEADER_SIZE)
            return _complete(buffer), None


def _complete(buffer: bytearray) -> bytes | None:
    """The first frame in `buffer`, taken out of it, if it is whole (the writer is gone:
    nothing more will come; a batch process may have sent more frames before it ended)."""
    size = wire.frame_size(buffer)
    if size is None or len(buffer) < wire.HEADER_SIZE + size:
        return None
    payload = bytes(buffer[wire.HEADER_SIZE : wire.HEADER_SIZE + size])
    del buffer[: wire.HEADER_SIZE + size]
    return payload


def _read_once(fd: int, buffer: bytearray) -> bool:
    """One read of what `poll` said is there (no loop ending in EAGAIN: its exception costs
    the fork server page faults on every run); True at end of file."""
    try:
        chunk = os.read(fd, READ_SIZE)
    except BlockingIOError:
        return False
    except ConnectionResetError:  # it ended with tests still queued to it: an end of file
        return True
    if not chunk:
        return True
    buffer += chunk
    return False


def _drain(fd: int, buffer: bytearray, limit: int) -> bool:
    """Read what is there (at most a little past `limit`); True at end of file."""
    while len(buffer) <= limit:
        before = len(buffer)
        if _read_once(fd, buffer):
            return True
        if len(buffer) == before:  # nothing more for now
            return False
    return False


def cpu_clock(pid: int) -> int:
    """clock_getcpuclockid(pid): the process-wide CPU clock of another process."""
    return ((~pid) << 3) | 2


def ending_of(status: int) -> tuple[str, str]:
    """How a run process that sent no result ended."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "timeout", "CPU time limit exceeded"
        if sig == signal.SIGSYS:
            return "crash", FORBIDDEN
        name = signal.Signals(sig).name if sig in set(signal.Signals) else f"signal {sig}"
        return "crash", f"the process was killed by {name}"
    code = os.WEXITSTATUS(status)
    if code == runproc.SANDBOX_EXIT:
        return "sandbox", "the sandbox could not be entered"
    return "crash", f"the process exited with status {code} before reporting a result"


def reap(
    zygote: Zygote,
    run: dict[str, Any],
    spare: frozenset[int] = frozenset(),
    cpu_limit_s: float | None = None,
) -> dict[str, Any]:
    """Have the zygote kill and reap a run process and everything it left (but the batch
    processes in `spare`); complete `run` with its peak memory (the leftovers' and the memory
    it held included), the CPU time of its children and leftovers (`wait4`, microseconds),
    and how it ended when it sent no result. A run whose CPU time, its processes' included,
    exceeds `cpu_limit_s` is a time-out."""
    pid = run.pop("pid", None)
    if pid is not None:  # dead before the zygote wakes: it then writes to no shared page
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    usage = zygote.reap(run.pop("zpid", 0) or 0, spare)
    if run.get("cpu_ns") is not None:
        # wait4 of the run counts it and the children it waited for: its own clock, read by
        # the zygote once it is dead, leaves theirs.
        run["cpu_ns"] += max(0, usage["total_ns"] - usage["self_ns"]) + usage["leftover_ns"]
        if cpu_limit_s is not None and run["cpu_ns"] > cpu_limit_s * 1e9 and not run["ending"]:
            run["ending"], run["message"] = "timeout", "CPU time limit exceeded"
            run["payload"] = None
    if run["ending"] is None and run["payload"] is None:
        status = usage["status"]
        run["ending"], run["message"] = (
            ending_of(status) if status is not None
            else ("crash", "the process ended before it reported a result")
        )  # fmt: skip
    run["maxrss_kb"] = usage["maxrss_kb"] + run.pop("held_kb", 0)
    return run


_INDEX = struct.Struct("<I")


class CheckBatch:
    """One program's check runs in one sandboxed process (verdict-only jobs).

    The process enters the sandbox once, then runs the tests the server names, in order, one
    result frame each. The server names up to `AHEAD` tests in advance (one after a slow
    test), so the process goes from one test to the next without waiting for the server; a
    test's CPU time is the process's CPU clock between the previous result and its own, read
    here, and every test has its own CPU and wall-clock deadline. A test that ends the
    process (crash, limit, time-out) is reported like a fresh run's and the next test gets a
    new process. Times and memory are not reported: figures always come from fresh
    processes, and these CPU times only set time limits. A test that creates a process kills
    the batch process (`seccomp`): its `run` ends "fresh", and the server runs that test in a
    fresh process instead, where its children's CPU time counts (`reap`)."""

    AHEAD = 8
    SLOW_NS = 5_000_000

    def __init__(self, zygote: Zygote, base: runproc.RunTask, tests: list[Any],
                 live: set[int]) -> None:  # fmt: skip
        """`live`: the pids (in the zygote's namespace) of the job's serving batch processes,
        shared by its batches, so that reaping one batch's leftovers spares the others."""
        self._zygote, self._base, self._tests, self._live = zygote, base, tests, live
        self._task = runproc.pack_batch(base, tests)
        self._pid: int | None = None
        self._zpid = 0
        self._socket: socket.socket | None = None
        self._pidfd = -1
        self._buffer = bytearray()
        self._next = 0
        """The test whose result the process sends next."""
        self._named = 0
        """Tests below this index have been named to the process."""
        self._since = (0, 0)
        """(CPU clock, monotonic clock) when the process's previous result arrived."""
        self._slow = False
        """The previous test took more than `SLOW_NS` of CPU time."""

    def run(self, index: int, cpu_time_s: float, wall_time_s: float) -> dict[str, Any]:
        """Test `index`, within `cpu_time_s` of CPU time and `wall_time_s` of wall time."""
        run: dict[str, Any] = {"ending": None, "message": "", "payload": None,
                               "wall_ns": None, "cpu_ns": None, "maxrss_kb": None}  # fmt: skip
        if self._socket is not None and index != self._next:
            self.close()  # tests were skipped: their queued results would come first
        if self._socket is None and not self._start(run, index):
            return self._end(run)
        assert self._socket is not None and self._pid is not None
        fd = self._socket.fileno()
        clock = cpu_clock(self._pid)
        cpu0, begun = self._since
        try:
            self._name_tests(fd, index)
        except OSError:
            return self._end(run)
        limit = max(self._base.result_limit, self._base.output_limit) + RESULT_SLACK
        cpu_deadline = (clock, cpu0 + int(cpu_time_s * 1e9))
        result, ending = await_frame(
            fd, self._pidfd, self._buffer, begun / 1e9 + wall_time_s, limit, cpu_deadline
        )
        if result is None or ending:
            run["ending"], run["message"] = ENDINGS.get(ending or "", (None, ""))
            return self._end(run)
        now = time.monotonic_ns()
        try:
            cpu1 = time.clock_gettime_ns(clock)
        except OSError:
            return self._end(run)
        run["payload"], run["wall_ns"], run["cpu_ns"] = result, now - begun, cpu1 - cpu0
        self._since, self._next, self._slow = (cpu1, now), index + 1, cpu1 - cpu0 > self.SLOW_NS
        return run

    def _name_tests(self, fd: int, index: int) -> None:
        """Name test `index` and the ones after it that the process may run before it is
        asked for them: `AHEAD` while tests are fast, none after a slow one, and never an
        assertion test (those run in fresh processes)."""
        ahead = 1 if self._slow else self.AHEAD
        wanted = bytearray()
        while self._named < min(index + ahead, len(self._tests)):
            if self._named > index and self._tests[self._named].kind == "assert":
                break
            wanted += _INDEX.pack(self._named)
            self._named += 1
        if wanted:
            os.write(fd, wanted)

    def _start(self, run: dict[str, Any], index: int) -> bool:
        ours, theirs = socket_pair()
        self._zygote.fork(theirs)
        theirs.close()
        self._socket = ours
        self._next = self._named = index
        self._slow = False
        self._buffer.clear()
        deadline = time.monotonic() + self._base.wall_time_s
        try:
            wire.write_bytes_frame(ours.fileno(), self._task)
        except OSError:
            return False
        os.set_blocking(ours.fileno(), False)
        pid, ending = _sender(ours, self._buffer, deadline)
        if pid is None:
            run["ending"], run["message"] = ENDINGS.get(ending or "", (None, ""))
            return False
        self._pid, self._pidfd = pid, os.pidfd_open(pid)
        start, ending = await_frame(
            ours.fileno(), self._pidfd, self._buffer, deadline, runproc.START.size + 4096
        )
        if start is not None and len(start) != runproc.START.size:
            ending = "sandbox"
        if start is None or ending:
            run["ending"], run["message"] = ENDINGS.get(ending or "", (None, ""))
            return False
        self._zpid = runproc.START.unpack(start)[1]
        self._live.add(self._zpid)
        try:
            self._since = (time.clock_gettime_ns(cpu_clock(pid)), time.monotonic_ns())
        except OSError:
            return False
        return True

    def _end(self, run: dict[str, Any]) -> dict[str, Any]:
        """The process is done for (or never started): reap it; the next test starts anew
        (or, when it created a process, this test runs again in a fresh one)."""
        self.close(run)
        if run["message"] == FORBIDDEN:
            run["ending"] = "fresh"
        run["maxrss_kb"] = None
        return run

    def close(self, run: dict[str, Any] | None = None) -> None:
        sock, self._socket = self._socket, None
        if sock is None:
            return
        sock.close()
        pid, self._pid = self._pid, None
        if pid is not None:
            os.close(self._pidfd)
        zpid, self._zpid = self._zpid, 0
        self._live.discard(zpid)
        run = run if run is not None else {"ending": "closed", "payload": None}
        run["zpid"], run["pid"] = zpid, pid
        reap(self._zygote, run, frozenset(self._live))
