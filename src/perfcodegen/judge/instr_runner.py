"""The instruction-counting process: one program, one test, once; then it exits.

Started by :mod:`perfcodegen.judge.instructions` through `sandbox_exec` (the judge's
sandbox), under valgrind's callgrind (`--instr-atstart=no`), natively for a hardware count
(the counter is opened on this process by the sandbox's PID 1), or natively without any
count (the replay of an assertion). Its standard input holds one marshal dict: the program's
source, the null program's, the entry point, the problem's setup, one test's inputs (never
an expected value) and the output limit. Nothing else of the job reaches it.

1. trusted prelude, uncounted: read the spec, compile the program (a syntax error is sent
   back as a "compile" frame), run the null program once on the test (as the timed modes'
   prelude does, so both counts start from the same warm harness), forbid new processes
   (`seccomp.COUNTING`), collect garbage, seed `random` with 0, start callgrind's count;
2. counted, untrusted: `runproc.observe`, exactly as a timed run: the program's definitions,
   one cold call of the test, the encoding of the observed value. The frame goes to standard
   output and the process exits at once; callgrind writes the count when it ends.
The count never travels through this process's output: the judge reads it from callgrind's
dump pipe (or from the sandbox's PID 1), and compares the value itself.
"""

from __future__ import annotations

import ctypes
import gc
import marshal
import os
import random
import sys
from types import CodeType
from typing import Any

from perfcodegen.judge import runproc, sandbox, seccomp, wire
from perfcodegen.judge.child import TestSpec, compile_program, describe_error

COMPILE_STATUS = "compile"
"""First element of the frame sent for a program that does not compile."""
READY = b"ready"
"""The payload of the frame the prelude sends just before the count starts: from then on the
test's own time budget runs (start-up under valgrind takes seconds on a loaded machine)."""


class CallgrindShim:
    """The compiled `callgrind_shim.c` (`instr_counters.build_callgrind_shim`), through ctypes."""

    def __init__(self, library: str) -> None:
        self._lib = ctypes.CDLL(library)
        self._lib.pcg_running_on_valgrind.restype = ctypes.c_int

    @property
    def running_on_valgrind(self) -> bool:
        return bool(self._lib.pcg_running_on_valgrind())

    def start_instrumentation(self) -> None:
        """Under `--instr-atstart=no`: from here to the end of the process, everything counts."""
        self._lib.pcg_start_instrumentation()


def _take_stdin() -> bytes:
    """The spec arrives on standard input; afterwards fd 0 reads from /dev/null."""
    chunks = []
    while chunk := os.read(0, 1 << 20):
        chunks.append(chunk)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return b"".join(chunks)


def _take_stdout() -> int:
    """Keep the judge's result pipe on a descriptor of its own; fd 1 becomes /dev/null."""
    records = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return records


def _task(spec: dict[str, Any], code: CodeType, test: TestSpec) -> runproc.RunTask:
    return runproc.RunTask(
        code=code,
        entry_point=spec["entry_point"],
        test_setup=str(spec["test_setup"]),
        test=test,
        output_limit=int(spec["output_limit"]),
        wall_time_s=0.0,
        cpu_time_s=0.0,
        memory_mb=0,
        file_size_mb=0,
        max_processes=0,
    )


def main(argv: list[str]) -> None:
    """`python -c <lean bootstrap> perfcodegen.judge.instr_runner.main [callgrind SHIM]`."""
    spec: dict[str, Any] = marshal.loads(_take_stdin())
    records = _take_stdout()
    shim = CallgrindShim(argv[1]) if argv[:1] == ["callgrind"] else None
    if shim is not None and not shim.running_on_valgrind:
        raise SystemExit("the callgrind count was asked for outside valgrind")
    try:
        code = compile_program(str(spec["source"]))
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as exc:
        frame = marshal.dumps((COMPILE_STATUS, describe_error(exc), False), 2)
        wire.write_bytes_frame(records, frame)
        os._exit(0)
    test = TestSpec(*spec["test"])
    null_test = TestSpec("call", []) if test.kind == "assert" else test
    if test.replay is None:  # a replay runs only the null program: nothing to warm
        runproc.observe(_task(spec, compile_program(str(spec["null_source"]), "<null>"), null_test))
    task = _task(spec, code, test)
    seccomp.install(sandbox._libc(), seccomp.COUNTING)
    gc.collect()
    random.seed(0)
    wire.write_bytes_frame(records, READY)
    if shim is not None:
        shim.start_instrumentation()
    # From here on, the candidate's: every instruction up to the process's end counts.
    wire.write_bytes_frame(records, runproc.observe(task))
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
