"""The instruction-counting runner: `python -c RUNNER_COMMAND < SPEC`.

Started by :mod:`perfcodegen.judge.instructions` inside the judge's sandbox, under valgrind
(callgrind) or natively (hardware counters), once per program. For each test it prepares
the program in a fresh namespace, collects garbage, seeds `random` with 0 and counts the
test's first call (fresh arguments are made outside the count). Observed values go back to the judge as marshal frames of plain
data on its standard output, a pipe (see `wire`); they are compared there, never here.
"""

from __future__ import annotations

import gc
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from perfcodegen.judge import wire
from perfcodegen.judge.child import describe_error, make_runner, prepare
from perfcodegen.judge.instr_counters import (
    CallgrindShim,
    HardwareCounter,
    InstructionMethod,
)
from perfcodegen.judge.model import JudgeJob
from perfcodegen.plain import is_plain, to_plain

BASELINE_LABEL = "baseline"
BASELINE_RUNS = 3
"""Runs of an empty test whose smallest count is the harness overhead subtracted later."""


class RunnerSpec(BaseModel):
    """What the judge asks one runner process to do."""

    job: JudgeJob
    tasks: list[tuple[int, int]]
    """(program index, test index) pairs, in order."""
    method: InstructionMethod
    shim_library: str | None = None
    """Compiled callgrind shim (CALLGRIND only)."""


def task_label(program: int, test: int) -> str:
    """The callgrind dump label of one task (ASCII, parsed back by the judge)."""
    return f"p{program}-t{test}"


class _Meter(Protocol):
    def count(self, label: str, run: Callable[[], object]) -> tuple[object, int | None]:
        """Run once while counting; the count, or None when it is read from callgrind dumps."""
        ...


class _HardwareMeter:
    def __init__(self) -> None:
        self._counter = HardwareCounter()

    def count(self, label: str, run: Callable[[], object]) -> tuple[object, int | None]:
        self._counter.start()
        try:
            value = run()
        finally:
            instructions = self._counter.stop()
        return value, instructions


class _CallgrindMeter:
    def __init__(self, library: str) -> None:
        self._shim = CallgrindShim(Path(library))
        if not self._shim.running_on_valgrind:
            raise RuntimeError("the callgrind runner was started outside valgrind")
        self._shim.start_instrumentation()

    def count(self, label: str, run: Callable[[], object]) -> tuple[object, int | None]:
        self._shim.start()
        try:
            value = run()
        finally:
            self._shim.stop_and_dump(label)  # also on errors, so collection never stays on
        return value, None


def _run_task(spec: RunnerSpec, meter: _Meter, program: int, test: int) -> dict[str, Any]:
    job = spec.job
    try:
        prepared = prepare(job.programs[program], job.entry_point, job.test_setup)
        runner = make_runner(prepared, job.tests[test], output_limit=job.limits.output_bytes)
    except BaseException as exc:
        return {"status": "error", "stage": "prepare", "error": describe_error(exc)}
    try:
        # No warm-up call: the counted call is the program's first on this test, so nothing
        # it cached on an earlier call of the same test can make it look cheap.
        runner.arrange()  # fresh arguments / stdin, outside the count
        gc.collect()
        random.seed(0)
        value, instructions = meter.count(task_label(program, test), runner.act)
    except BaseException as exc:
        error = describe_error(exc)
        return {
            "status": "error",
            "stage": "run",
            "error": error,
            "truncated": runner.stdout_truncated,
        }
    value = to_plain(value)
    if not is_plain(value):
        return _not_plain(f"returned an object of type {type(value).__name__}")
    return {
        "status": "value",
        "value": value,
        "count": instructions,
        "truncated": runner.stdout_truncated,
    }


def _not_plain(message: str) -> dict[str, Any]:
    """An observation the judge turns into a wrong answer (as the fork-server child does)."""
    error = {"type": "NotPlainValue", "message": message, "traceback": "", "in_test": False}
    return {"status": "error", "stage": "run", "error": error}


def _measure_baseline(meter: _Meter, fd: int) -> None:
    def empty() -> None:
        return None

    counts = []
    for _ in range(BASELINE_RUNS):
        empty()
        gc.collect()
        counts.append(meter.count(BASELINE_LABEL, empty)[1])
    known = [c for c in counts if c is not None]
    wire.write_frame(fd, {"event": "baseline", "count": min(known) if known else None})


def is_compile_error(record: dict[str, Any]) -> bool:
    """A program that does not compile fails as a whole (SYNTAX_ERROR), like in the judge."""
    error = record.get("error") or {}
    return record.get("stage") == "prepare" and error.get("type") == "SyntaxError"


def _send(fd: int, record: dict[str, Any]) -> None:
    try:
        wire.write_frame(fd, record)
    except (ValueError, TypeError) as exc:  # plain but not marshallable after all
        wire.write_frame(fd, {**record, **_not_plain(f"unencodable value: {exc}"), "value": None})


def _take_stdout() -> int:
    """Keep the judge's pipe (our stdout) for records; the candidate's prints go nowhere."""
    records = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return records


def _take_stdin() -> bytes:
    """The spec arrives on stdin (so argv and sys.path hold no per-run names)."""
    data = sys.stdin.buffer.read()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return data


def main() -> int:
    spec = RunnerSpec.model_validate_json(_take_stdin())
    fd = _take_stdout()
    meter: _Meter
    if spec.method is InstructionMethod.CALLGRIND:
        meter = _CallgrindMeter(spec.shim_library or "")
    else:
        meter = _HardwareMeter()
    wire.write_frame(fd, {"event": "ready"})
    _measure_baseline(meter, fd)
    failed_to_load: set[int] = set()
    for program, test in spec.tasks:
        if program in failed_to_load:
            continue
        wire.write_frame(fd, {"event": "start", "program": program, "test": test})
        record = _run_task(spec, meter, program, test)
        if is_compile_error(record):
            failed_to_load.add(program)  # the judge marks the whole program
        _send(fd, {"event": "done", "program": program, "test": test, **record})
    wire.write_frame(fd, {"event": "finished"})
    return 0


RUNNER_COMMAND = "import sys; from perfcodegen.judge.instr_runner import main; sys.exit(main())"
"""Run with `python -c`: sys.path[0] is then '' rather than this run's temporary directory."""
