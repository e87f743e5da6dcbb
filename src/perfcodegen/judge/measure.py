"""The measurement loop that runs inside a sandboxed child, for one test.

It prepares each active program, runs the test once per program (the check run, which is
also the first warm-up), sends the observed values, then, in timing modes, runs the extra
warm-ups and the timed repeats (alternating programs in paired mode: A B A B ...).
Everything it sends is a plain tuple written as a marshal frame on `result_fd`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import CodeType
from typing import Any

from perfcodegen.judge import wire
from perfcodegen.judge.child import TestLike, TestRunner, describe_error, make_runner, prepare_code
from perfcodegen.plain import is_plain, to_plain

BUDGET_FRACTION = 0.8
"""Timed repeats stop early rather than run into the wall/CPU limit (the check run is kept)."""


@dataclass(frozen=True)
class ChildTask:
    codes: dict[int, CodeType]
    """Compiled programs still active in this job, by program index."""
    entry_point: str | None
    test_setup: str
    test: TestLike
    mode: str
    repeats: int
    warmup: int
    wall_time_s: float
    cpu_time_s: float
    output_limit: int


def _send(fd: int, frame: tuple[Any, ...]) -> None:
    try:
        wire.write_frame(fd, frame)
    except (ValueError, TypeError) as exc:  # not marshallable after all
        wire.write_frame(
            fd, ("check", frame[1], "error", _error("NotPlainValue", str(exc)), False, 0.0)
        )


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "traceback": "", "in_test": False}


def run_test(task: ChildTask, result_fd: int) -> None:
    started = time.perf_counter()
    runners: dict[int, TestRunner] = {}
    for index, code in task.codes.items():
        try:
            prepared = prepare_code(code, task.entry_point, task.test_setup)
            runners[index] = make_runner(prepared, task.test, output_limit=task.output_limit)
        except BaseException as exc:
            _send(result_fd, ("check", index, "error", describe_error(exc), False, 0.0))
    timed: list[tuple[int, TestRunner]] = []
    check_times: dict[int, float] = {}
    for index, runner in runners.items():
        try:
            runner.arrange()
            t0 = time.perf_counter()
            value = runner.act()
            elapsed = time.perf_counter() - t0
        except BaseException as exc:
            _send(
                result_fd,
                ("check", index, "error", describe_error(exc), runner.stdout_truncated, 0.0),
            )
            continue
        value = to_plain(value)
        if not is_plain(value):
            message = f"returned an object of type {type(value).__name__}"
            _send(
                result_fd,
                ("check", index, "error", _error("NotPlainValue", message), False, elapsed),
            )
            continue
        _send(result_fd, ("check", index, "value", value, runner.stdout_truncated, elapsed))
        timed.append((index, runner))
        check_times[index] = elapsed
    if task.mode in ("wall", "paired") and timed:
        _time_runs(task, timed, check_times, started, result_fd)
    wire.write_frame(result_fd, ("end",))


def _time_runs(
    task: ChildTask,
    timed: list[tuple[int, TestRunner]],
    check_times: dict[int, float],
    started: float,
    result_fd: int,
) -> None:
    wall_budget = task.wall_time_s * BUDGET_FRACTION
    cpu_budget = task.cpu_time_s * BUDGET_FRACTION
    per_round = sum(check_times.values())
    times: dict[int, list[float]] = {index: [] for index, _ in timed}
    cpu: dict[int, float] = {index: 0.0 for index, _ in timed}
    failed: set[int] = set()
    try:
        for _ in range(max(task.warmup - 1, 0)):
            for _index, runner in timed:
                runner()
        for _ in range(task.repeats):
            now = time.perf_counter()
            if now - started + per_round > wall_budget:
                break
            if time.process_time() + per_round > cpu_budget:
                break
            for index, runner in timed:
                runner.arrange()
                c0 = time.process_time()
                t0 = time.perf_counter()
                runner.act()
                t1 = time.perf_counter()
                cpu[index] += time.process_time() - c0
                times[index].append(t1 - t0)
    except BaseException as exc:
        error = describe_error(exc)
        for index, _ in timed:
            failed.add(index)
            _send(result_fd, ("timing_error", index, error))
    for index, _ in timed:
        if index in failed:
            continue
        runs = times[index]
        if not runs:  # one run did not fit in the budget: report the check run
            runs = [check_times[index]]
            cpu_mean = None
        else:
            cpu_mean = cpu[index] / len(runs)
        _send(result_fd, ("times", index, runs, cpu_mean))
