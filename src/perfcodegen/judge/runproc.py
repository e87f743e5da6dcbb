"""The run process: one fresh process per execution of one program on one test.

The inner fork server forks it for every run (the check run, each warm-up and each timed
run), so no run ever starts from a state that an earlier run touched. Its life:
1. trusted: apply the sandbox, run the null program once and touch the candidate's code and
   arguments (so the page faults after the fork fall outside the measurement), send the
   16-byte start record, and wait for the server's go byte (the server reads this process's
   CPU clock and the monotonic clock meanwhile);
2. untrusted: execute the program's definitions, run the test once, send the observed value
   as one marshal frame, then block until the server kills it. The server reads both clocks
   again when the frame is whole.
Whatever the candidate does to its own process, it cannot move either end of the
measurement, and it never shares a process with the program it is compared with.

Imported by the lean fork server: standard library only.
"""

from __future__ import annotations

import marshal
import os
import struct
import time
from types import CodeType
from typing import Any, NamedTuple

from perfcodegen.judge import sandbox, wire
from perfcodegen.judge.child import TestLike, describe_error, make_runner, prepare_code
from perfcodegen.plain import to_plain

START = struct.Struct("<QQ")
"""The trusted start record (its monotonic clock, for diagnostics, and a reserved field).
Every figure is read by the server itself (`forkserver._measure`)."""
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


RESULT_FORMAT = 2
"""marshal format of result frames: 2 has neither references nor interning flags, so equal
values give equal bytes whatever the process did before (the judge passes a result whose bytes
are the expected value's without decoding it, `verdicts.outcome_from_run`)."""


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
        return encode_result("error", describe_error(exc), truncated)
    return encode_result("value", to_plain(value), truncated)


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
    for _ in range(16):
        for task in tasks:
            observe(task)


def _touch(*roots: Any, budget: int = 1_000_000) -> None:
    """Write to the reference counts of the program's code and the test's arguments.

    A forked process copies each page of its parent's memory on its first write there; doing
    it here, before the start reading, keeps those page faults (a few microseconds each on a
    virtual machine) out of the measured run, for the candidate and the null program alike."""
    stack = list(roots)
    while stack and budget > 0:
        item = stack.pop()
        budget -= 1
        if type(item) in (list, tuple, set, frozenset):
            stack.extend(item)
        elif type(item) is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, CodeType):
            stack.extend(item.co_consts)


def _enter_sandbox(
    isolation: sandbox.ServerIsolation, task: RunTask, fd: int, cpu_time_s: float
) -> None:
    """Apply the run's sandbox and limits; on failure, say so on `fd` and exit."""
    try:
        sandbox.enter_run(
            isolation,
            (fd,),
            cpu_time_s=cpu_time_s,
            memory_mb=task.memory_mb,
            file_size_mb=task.file_size_mb,
            max_processes=task.max_processes,
        )
    except BaseException as exc:
        wire.write_frame(fd, ("sandbox", describe_error(exc), False))
        os._exit(SANDBOX_EXIT)


def main(isolation: sandbox.ServerIsolation, task: RunTask, fd: int) -> None:
    """The body of a forked run process; never returns (see `forkserver._measure`)."""
    code = 0
    try:
        _enter_sandbox(isolation, task, fd, task.cpu_time_s)
        if task.null is not None:
            observe(task.null)
        _touch(task.code, task.test.args)
        wire.write_bytes_frame(fd, START.pack(time.clock_gettime_ns(time.CLOCK_MONOTONIC), 0))
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


_INDEX_SIZE = 4


def batch_main(
    isolation: sandbox.ServerIsolation, base: RunTask, tests: list[TestLike], fd: int
) -> None:
    """The body of a check-batch process (`runwatch.CheckBatch`); never returns.

    Trusted until the first test: enter the sandbox, send the start record. Then, for each
    test index the server sends, run that test once and send the observation. The CPU limit
    covers every test of the batch; each test's wall-clock deadline is kept by the server."""
    code = 0
    try:
        _enter_sandbox(isolation, base, fd, base.cpu_time_s * max(1, len(tests)))
        wire.write_bytes_frame(fd, START.pack(time.clock_gettime_ns(time.CLOCK_MONOTONIC), 0))
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
