"""The run process: one fresh process per execution of one program on one test.

The zygote (`zygote`) forks it for every run (the check run, each warm-up and each timed
run), so no run ever starts from a state that an earlier run touched, and no run starts from
memory that held another program, another test or any result. Its life:
1. trusted: restore the signal dispositions the zygote ignores, read its own task (one
   program's code, one test's arguments, the limits) from its socket (so they are fresh
   memory of its own, and writing to them costs no copy-on-write fault), apply the sandbox
   (the zygote's seccomp filter is inherited), run the null program once (so the page faults after the fork
   fall outside the measurement), send the 16-byte start record (the server learns the
   run's pid from the kernel, SCM_CREDENTIALS), and wait for the server's go byte (the
   server reads this process's CPU clock and the monotonic clock meanwhile);
2. untrusted: execute the program's definitions, run the test once, send the observed value
   as one marshal frame, then block until the server kills it. The server reads both clocks
   again when the frame is whole. The harness's work after the call is one `marshal.dumps`
   (C code, the same work a program that wrote its own frame would have to do).
Whatever the candidate does to its own process, it cannot move either end of the
measurement, and it never shares a process with the program it is compared with.

Imported by the lean fork server: standard library only.
"""

from __future__ import annotations

import ctypes
import functools
import marshal
import os
import signal
import struct
import time
from types import CodeType
from typing import Any, NamedTuple

from perfcodegen.judge import sandbox, seccomp, wire
from perfcodegen.judge.child import (
    TestLike,
    TestSpec,
    describe_error,
    make_runner,
    prepare_code,
    register_source,
)
from perfcodegen.plain import to_plain

START = struct.Struct("<QQ")
"""The trusted start record: its monotonic clock (for diagnostics) and its pid in the
zygote's namespace (for the reap). Every figure is read by the server itself
(`runwatch.measure`)."""
SANDBOX_EXIT = 70


class RunTask(NamedTuple):
    code: CodeType
    """The program (or the fork server's null program, which measures the baseline)."""
    entry_point: str | None
    test_setup: str
    test: TestLike
    output_limit: int
    """Captured stdout per run (bytes)."""
    wall_time_s: float
    cpu_time_s: float
    memory_mb: int
    file_size_mb: int
    max_processes: int
    null: RunTask | None = None
    """Run once in the trusted prelude, before the start reading (see `main`)."""
    result_limit: int = 64_000_000
    """The largest result frame (the encoded observed value) the server accepts."""
    source: str = ""
    """The program's text, for the lines of its tracebacks."""


def pack_task(task: RunTask) -> bytes:
    """A run's task as the run reads it from its socket (marshal: code objects and plain
    values only; `unpack_task` inverts it)."""
    return marshal.dumps(("run", _fields(task)))


def pack_batch(base: RunTask, tests: list[TestLike]) -> bytes:
    """A check batch's task: one program and the arguments of every test (no expected value)."""
    specs = [_spec(test) for test in tests]
    return marshal.dumps(("batch", (_fields(base), specs)))


def _spec(test: TestLike) -> tuple[Any, ...]:
    if isinstance(test, tuple):  # a TestSpec: every field
        return tuple(test)
    return (test.kind, test.args, test.assertion, test.stdin, getattr(test, "replay", None))


def _fields(task: RunTask) -> tuple[Any, ...]:
    test = _spec(task.test)
    null = None if task.null is None else _fields(task.null)
    return (*task[:3], test, *task[4:10], null, *task[11:])


def unpack_task(fields: tuple[Any, ...]) -> RunTask:
    test = TestSpec(*fields[3])
    null = None if fields[10] is None else unpack_task(fields[10])
    return RunTask(*fields[:3], test, *fields[4:10], null, *fields[11:])  # type: ignore[misc, call-arg]


RESULT_FORMAT = 2
"""marshal format of result frames: 2 has neither references nor interning flags, so equal
values give equal bytes whatever the process did before (the judge passes a result whose bytes
are the expected value's without decoding it, `verdicts.outcome_from_run`)."""


def encode_value(value: Any, truncated: bool) -> bytes:
    """The frame of a returned value: one `marshal.dumps` when the value is plain data; only
    values marshal refuses (a Counter, a namedtuple) go through `to_plain` first."""
    try:
        return marshal.dumps(("value", value, truncated), RESULT_FORMAT)
    except (ValueError, TypeError):
        return encode_result("value", to_plain(value), truncated)


def encode_result(status: str, payload: Any, truncated: bool) -> bytes:
    """The result frame's payload; anything unmarshallable becomes an error observation."""
    try:
        return marshal.dumps((status, payload, truncated), RESULT_FORMAT)
    except (ValueError, TypeError) as exc:
        error = _error("NotPlainValue", f"the value cannot be sent back: {exc}")
        return marshal.dumps(("error", error, truncated), RESULT_FORMAT)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "traceback": "", "in_test": False}


def observe(task: RunTask) -> bytes:
    """Run the candidate once and return the encoded observation (untrusted from here on)."""
    truncated = False
    try:
        prepared = prepare_code(task.code, task.entry_point, task.test_setup)
        runner = make_runner(prepared, task.test, output_limit=task.output_limit)
        try:
            runner.arrange(copy_args=False)
            value = runner.act()
        finally:
            truncated = runner.stdout_truncated
    except BaseException as exc:
        if task.source:  # the program's lines in its traceback (only errors need them)
            register_source(task.code.co_filename, task.source)
        return encode_result("error", describe_error(exc), truncated)
    return encode_value(value, truncated)


def warm_up() -> None:
    """Run the harness on trivial programs in the fork server itself, before it forks runs.

    CPython specialises code objects in place as they run; warming the harness once in the
    parent spares every run process the page faults of doing it again, which would otherwise
    dominate its overhead (about 300 us against 45 us per run)."""
    from perfcodegen.judge.child import TestSpec, compile_program

    function = compile_program("def f(x):\n    return [x, (x,), {x: x}]\n", "<warm-up>")
    script = compile_program("print(input())\n", "<warm-up>")
    tasks = [
        RunTask(function, "f", "", TestSpec("call", [1]), 1 << 16, 1.0, 1.0, 64, 1, 0),
        RunTask(script, None, "", TestSpec("stdio", stdin="1\n"), 1 << 16, 1.0, 1.0, 64, 1, 0),
    ]
    seccomp.prepare()
    read, write = os.pipe()
    for _ in range(16):
        restore_signals()  # the fork server ignores every signal from then on
        for task in tasks:
            observe(task)
            wire.write_bytes_frame(write, pack_task(task))
            unpack_task(wire.read_frame(read)[1])
    os.close(read)
    os.close(write)


PYTHON_IGNORES = (signal.SIGPIPE, signal.SIGXFSZ)
"""Signals a fresh interpreter ignores."""
_SYNCHRONOUS = ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP", "SIGSYS")
_DEFAULT_SIGNALS = tuple(
    sig for sig in signal.valid_signals()
    if sig < 32 and sig not in PYTHON_IGNORES and signal.Signals(sig).name not in (
        "SIGKILL", "SIGSTOP", "SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH", *_SYNCHRONOUS,
    )
)  # fmt: skip
"""Signals whose ignored disposition would change a run's behaviour, reset to SIG_DFL
through libc (one call each) where the zygote ignores them all. Left as they are: SIGCHLD is
not ignored; SIGCONT, SIGURG and SIGWINCH act the same ignored; the kernel delivers a fault's
signal even when ignored."""


def restore_signals(every: bool = True) -> None:
    """A fresh interpreter's signal dispositions: SIGINT's handler, and (`every`) SIG_DFL
    for the others that the zygote ignores."""
    if every:
        restore = _libc_signal()
        for sig in _DEFAULT_SIGNALS:
            restore(sig, 0)
    signal.signal(signal.SIGINT, signal.default_int_handler)


@functools.cache
def _libc_signal() -> Any:
    function = sandbox._libc().signal
    function.argtypes = (ctypes.c_int, ctypes.c_void_p)
    return function


def child_main(isolation: sandbox.ServerIsolation, fd: int, restore_all: bool) -> None:
    """The body of a process the zygote forks; never returns. Reads its own task from `fd`
    (written by the fork server, never seen by the zygote) and runs it. `restore_all`: the
    zygote ignores every signal (see `zygote`)."""
    code = 0
    try:
        restore_signals(restore_all)
        kind, fields = wire.read_frame(fd)
        if kind == "run":
            main(isolation, unpack_task(fields), fd)
        else:
            base = unpack_task(fields[0])
            batch_main(isolation, base, [TestSpec(*spec) for spec in fields[1]], fd)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _enter_sandbox(
    isolation: sandbox.ServerIsolation, task: RunTask, fd: int, cpu_time_s: float,
    kill_fork: bool = False,
) -> None:  # fmt: skip
    """Apply the run's sandbox and limits (and a batch's seccomp filter); on failure, say so
    on `fd` and exit."""
    try:
        sandbox.enter_run(
            isolation,
            (fd,),
            cpu_time_s=cpu_time_s,
            memory_mb=task.memory_mb,
            file_size_mb=task.file_size_mb,
            max_processes=task.max_processes,
        )
        if kill_fork:  # the zygote's filter is inherited; a batch adds its own
            seccomp.install(sandbox._libc(), seccomp.BATCH)
    except BaseException as exc:
        wire.write_frame(fd, ("sandbox", describe_error(exc), False))
        os._exit(SANDBOX_EXIT)


def main(isolation: sandbox.ServerIsolation, task: RunTask, fd: int) -> None:
    """The body of a run process; never returns (see `runwatch.measure`)."""
    code = 0
    try:
        _enter_sandbox(isolation, task, fd, task.cpu_time_s)
        if task.null is not None:
            observe(task.null)
        wire.write_bytes_frame(fd, _start_record())
        os.set_blocking(fd, True)
        if os.read(fd, 1) != b"g":  # the server has read our clocks: from here, the candidate
            os._exit(1)
        wire.write_bytes_frame(fd, observe(task))
        while os.read(fd, 1):  # wait to be killed, so the exit is not inside anyone's timing
            pass
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _start_record() -> bytes:
    return START.pack(time.clock_gettime_ns(time.CLOCK_MONOTONIC), os.getpid())


_INDEX_SIZE = 4


def batch_main(
    isolation: sandbox.ServerIsolation, base: RunTask, tests: list[TestLike], fd: int
) -> None:
    """The body of a check-batch process (`runwatch.CheckBatch`); never returns.

    Trusted until the first test: enter the sandbox, send the start record. A test that
    creates a process kills the batch (seccomp): the server runs it again in a fresh process,
    where the children's CPU time counts against its limit. Then, for each
    test index the server sends, run that test once and send the observation. The CPU limit
    covers every test of the batch; each test's wall-clock deadline is kept by the server."""
    code = 0
    try:
        _enter_sandbox(isolation, base, fd, base.cpu_time_s * max(1, len(tests)), True)
        wire.write_bytes_frame(fd, _start_record())
        os.set_blocking(fd, True)
        while True:
            request = b""
            while len(request) < _INDEX_SIZE:
                chunk = os.read(fd, _INDEX_SIZE - len(request))
                if not chunk:
                    os._exit(0)
                request += chunk
            index = int.from_bytes(request, "little")
            test = tests[index]
            wire.write_bytes_frame(fd, observe(base._replace(test=test)))
    except BaseException:
        code = 1
    finally:
        os._exit(code)
