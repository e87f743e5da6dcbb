"""The lean fork server: one per worker, started fresh by the judge, never runs candidate code.

The process the judge starts (the *outer* server) unshares its namespaces and forks the
*inner* server, PID 1 of a new PID namespace, which builds the filesystem view (`sandbox`),
warms up, starts the pristine zygote (`zygote`: PID 1 of a nested PID namespace, started
before any job is read) and serves jobs. For every run (one program, one test, once) the
zygote forks a fresh run process (`runproc`), which reads its task from the inner server;
the inner server measures it from outside, and the zygote reaps it and everything it left.

Protocol (marshal frames on stdin/stdout, see `wire`):
  server -> judge  {"op": "hello", "level", "notes", "uid", "pid", "accounting"}
  judge -> server  {"op": "job", "programs", "entry_point", "test_setup", "tests", "memory",
                    "repeats", "warmup", "limits"}          (tests carry no expected values)
  server -> judge  {"op": "compiled", "errors": [None | error dict per program],
                    "baseline_kb": peak memory of the null program (memory jobs), or None}
  per test:
  server -> judge  {"op": "checked", "tests": [[index, {program: run}], ...]}
                   (several tests in one frame only in verdict-only jobs, see `_serve_tests`)
  (assertion tests: judge -> server {"replay": {program: recorded calls}};
                    server -> judge {"op": "replayed", "index", "results": {program: run}})
  judge -> server  {"time": [programs]}   or   {"active": [programs]} (skip timing)
  server -> judge  {"op": "timed", "index", "runs": {program: timing}, "null": timing}
  judge -> server  {"active": [programs]}      (once per frame; empty: stop the job)
  server -> judge  {"op": "done"}
A run is {"ending": status or None, "message", "payload": bytes, "wall_ns", "cpu_ns",
"maxrss_kb"}; the payload is the run's result frame, passed on undecoded: the judge decodes
and compares it. Timed runs are compared with the check run byte for byte; the first one that
differs is passed on as "changed" for the judge to compare.
"""

from __future__ import annotations

# Pre-imported so run processes do not pay for them (candidates use them often).
import bisect  # noqa: F401
import collections  # noqa: F401
import functools  # noqa: F401
import gc
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import os
import random  # noqa: F401
import re  # noqa: F401
import select
import string  # noqa: F401
import sys
import time
import typing  # noqa: F401
from types import CodeType
from typing import Any

from perfcodegen.judge import runproc, runwatch, sandbox, wire
from perfcodegen.judge.child import TestSpec, compile_program, describe_error
from perfcodegen.judge.zygote import Zygote, ignore_signals

IN_FD, OUT_FD = 0, 1
NULL_EVERY = 2
"""The null program runs in every other timed round: its CPU time varies by about 2 us, so
half the samples still give its mean to about a microsecond, for a third fewer forks
(measured: paired-ratio CV 2.7% with a null run every round, 3.6% every other round, while
the HumanEval sweep went from 39 s to 26 s; bench/judge_integrity_cost.py)."""
COALESCE = 32
"""Verdict-only jobs: the most tests whose results share one frame to the judge ..."""
HOLD_S = 0.001
"""... the longest the first of them waits for the others ..."""
HOLD_BYTES = 1 << 20
"""... and the most result bytes held (one frame never holds many large results)."""
RUN_AHEAD = 4
"""Verdict-only jobs: frames of results the judge may leave unanswered while the next tests
run (a sample that fails a fast test runs a few milliseconds' worth more before it stops)."""
RUN_AHEAD_S = 0.005
"""... and none after a test whose checks took longer than this: slow tests wait for their
verdicts, so a failing sample never starts another slow test."""
BUDGET_FRACTION = 0.8
"""Timing rounds of one test stop before they would exceed this share of the wall limit."""


ACCOUNTING = "wait4"
"""How a run's descendants are accounted (reported in the hello frame and every result): CPU
time and peak memory of every process a run creates, from `wait4` in the zygote (waited-for
children through the run's own rusage, microseconds), and the memory it holds in tmpfs and
memfds (memory jobs). No cgroup: they need root, and runs have none."""


class ForkServer:
    def __init__(self, isolation: sandbox.ServerIsolation, zygote: Zygote) -> None:
        self.isolation = isolation
        self.zygote = zygote

    def serve(self) -> None:
        wire.write_frame(
            OUT_FD,
            {
                "op": "hello",
                "level": self.isolation.level.value,
                "notes": list(self.isolation.notes),
                "uid": self.isolation.sandbox_uid,
                "pid": os.getpid(),
                "accounting": ACCOUNTING,
            },
        )
        while True:
            try:
                request = wire.read_frame(IN_FD)
            except EOFError:
                return
            if request.get("op") == "job":
                self._run_job(request)

    def _run_job(self, request: dict[str, Any]) -> None:
        job = _Job(request)
        baseline_kb = None
        if request.get("memory") and job.tests:  # the null program's peak, for net memory
            baseline_kb = self._run(job.null_task(job.tests[0]), job, False)["maxrss_kb"]
        wire.write_frame(
            OUT_FD, {"op": "compiled", "errors": job.errors, "baseline_kb": baseline_kb}
        )
        active = sorted(job.codes)
        live: set[int] = set()
        batches = (
            {p: job.batch(self.zygote, p, live) for p in active} if request.get("batch") else {}
        )
        try:
            self._serve_tests(job, active, batches)
        finally:
            for batch in batches.values():
                batch.close()
        wire.write_frame(OUT_FD, {"op": "done"})

    def _serve_tests(
        self, job: _Job, active: list[int], batches: dict[int, runwatch.CheckBatch]
    ) -> None:
        """Every test of the job, checked (and timed, or replayed) as the judge asks.

        Verdict-only jobs run ahead: the results of up to `COALESCE` tests (or `HOLD_S` worth)
        go to the judge in one frame, and the next tests start before the judge has answered
        (at most `RUN_AHEAD` frames unanswered, none after a slow test), so the judge compares
        while they run. Every other exchange is one test at a time, in lock step."""
        unanswered = 0
        held: list[list[Any]] = []
        held_since, held_bytes = 0.0, 0
        slow = False
        for index, test in enumerate(job.tests):
            lock_step = not batches or test.kind == "assert"
            if held and (
                lock_step
                or slow
                or len(held) >= COALESCE
                or held_bytes >= HOLD_BYTES
                or time.monotonic() - held_since > HOLD_S
            ):
                wire.write_frame(OUT_FD, {"op": "checked", "tests": held})
                held, held_bytes, unanswered = [], 0, unanswered + 1
            while unanswered and (lock_step or slow or unanswered >= RUN_AHEAD or _readable(IN_FD)):
                active = _still_active(active, wire.read_frame(IN_FD))
                unanswered -= 1
            if not active:
                break
            cpu_s, wall_s = job.check_limits(index)
            if test.kind == "assert":  # fresh runs reap every other child: batches end first
                for batch in batches.values():
                    batch.close()
            began = time.monotonic()
            checked = {p: self._check(job, batches, p, index, cpu_s, wall_s) for p in active}
            slow = time.monotonic() - began > RUN_AHEAD_S
            if not lock_step:
                held_since = held_since if held else began
                held.append([index, checked])
                held_bytes += sum(len(run.get("payload") or b"") for run in checked.values())
                continue
            wire.write_frame(OUT_FD, {"op": "checked", "tests": [[index, checked]]})
            reply = wire.read_frame(IN_FD)
            replay = {p: c for p, c in reply.get("replay", {}).items() if p in checked}
            if replay:  # assertion tests: the calls recorded above, replayed without the program
                replayed = {p: self._run(job.replay_task(test, c), job) for p, c in replay.items()}
                wire.write_frame(OUT_FD, {"op": "replayed", "index": index, "results": replayed})
                reply = wire.read_frame(IN_FD)
            timed = [p for p in reply.get("time", []) if p in checked]
            if timed:
                runs, null_runs = self._time(job, test, checked, timed)
                wire.write_frame(
                    OUT_FD, {"op": "timed", "index": index, "runs": runs, "null": null_runs}
                )
                reply = wire.read_frame(IN_FD)
            active = _still_active(active, reply)
        if held:
            wire.write_frame(OUT_FD, {"op": "checked", "tests": held})
            unanswered += 1
        for _ in range(unanswered):  # every checked frame gets its answer
            wire.read_frame(IN_FD)

    def _check(
        self,
        job: _Job,
        batches: dict[int, runwatch.CheckBatch],
        program: int,
        index: int,
        cpu_s: float,
        wall_s: float,
    ) -> dict[str, Any]:
        """The check run of `program` on test `index`: in its batch, or in a fresh process
        for assertion tests, outside verdict-only jobs and for a program that created a
        process in its batch (it runs fresh from then on, where its children are accounted)."""
        test = job.tests[index]
        if program in batches and test.kind != "assert":
            run = batches[program].run(index, cpu_s, wall_s)
            if run["ending"] != "fresh":
                return run
            batches.pop(program).close()
        task = job.task(program, test, False)._replace(cpu_time_s=cpu_s, wall_time_s=wall_s)
        return self._run(task, job)

    def _time(
        self, job: _Job, test: TestSpec, checked: dict[int, dict[str, Any]], timed: list[int]
    ) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
        """Rounds of [null, A, B, ...], rotated each round (A B / B A), each run a fresh process
        (the null lane only every `NULL_EVERY` rounds).

        The leading `warmup` rounds are discarded; rounds stop when the next one would not fit
        in the test's share of the wall limit (at least one timed round is kept)."""
        tasks: dict[int | None, runproc.RunTask] = {p: job.task(p, test) for p in timed}
        tasks[None] = job.null_task(test, timed=True)
        packed = {lane: runproc.pack_task(task) for lane, task in tasks.items()}
        lanes: list[int | None] = [None, *timed]
        runs: dict[int, dict[str, Any]] = {
            p: {"wall_ns": [], "cpu_ns": [], "changed": None, "ending": None} for p in timed
        }
        null_runs: dict[str, Any] = {"wall_ns": [], "cpu_ns": []}
        budget_ns = job.limits["wall_time_s"] * BUDGET_FRACTION * 1e9 * len(timed)
        started = time.monotonic_ns()
        round_ns = 0
        for round_index in range(job.warmup + job.repeats):
            shift = round_index % len(lanes)
            begun = time.monotonic_ns()
            kept = round_index >= job.warmup
            for lane in lanes[shift:] + lanes[:shift]:
                target = null_runs if lane is None else runs[lane]
                if lane is not None and target["ending"] is not None:
                    continue
                if lane is None and (round_index - job.warmup) % NULL_EVERY:
                    continue
                run = self._run(tasks[lane], job, lane is not None, packed[lane])
                if lane is not None and (
                    run["ending"] or run["payload"] != checked[lane]["payload"]
                ):
                    target["ending"] = run["ending"] or "changed"
                    target["changed"] = run
                    continue
                if kept:
                    target["wall_ns"].append(run["wall_ns"])
                    target["cpu_ns"].append(run["cpu_ns"])
            round_ns = max(round_ns, time.monotonic_ns() - begun)
            spent = time.monotonic_ns() - started
            if kept and spent + round_ns > budget_ns:
                break
            if all(r["ending"] is not None for r in runs.values()):
                break
        return runs, null_runs

    def _run(
        self,
        task: runproc.RunTask,
        job: _Job,
        keep_payload: bool = True,
        packed: bytes | None = None,
    ) -> dict[str, Any]:
        """One run process, forked by the zygote, measured from outside, then killed and
        reaped with its leftovers (by the zygote). `packed`: `task`, already packed."""
        ours, theirs = runwatch.socket_pair()
        try:
            self.zygote.fork(theirs)
        finally:
            theirs.close()
        try:
            limit = max(task.result_limit, task.output_limit)
            run = runwatch.measure(
                ours, packed or runproc.pack_task(task), task.wall_time_s, limit, job.memory
            )
        finally:
            ours.close()
        runwatch.reap(self.zygote, run, cpu_limit_s=task.cpu_time_s)
        if not keep_payload:
            run["payload"] = None
        return run


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _still_active(active: list[int], reply: dict[str, Any]) -> list[int]:
    """The programs that run the next test: a program the judge stopped never runs again."""
    keep = set(reply.get("active", []))
    return [p for p in active if p in keep]


class _Job:
    """One job as the server holds it: compiled programs, decoded tests, and run tasks."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.codes: dict[int, CodeType] = {}
        self.errors: list[Any] = []
        self.memory = bool(request.get("memory"))
        programs: list[str] = request["programs"]
        self.sources = programs
        for index, source in enumerate(programs):
            try:
                name = "<candidate>" if len(programs) == 1 else f"<candidate {index}>"
                self.codes[index] = compile_program(source, name)
                self.errors.append(None)
            except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as exc:
                self.errors.append(describe_error(exc))
        self.tests = [
            TestSpec(kind=k, args=a, assertion=s, stdin=i) for k, a, s, i in request["tests"]
        ]
        self.limits: dict[str, Any] = request["limits"]
        self.time_limits: list[float] | None = request.get("time_limits")
        self.warmup, self.repeats = int(request["warmup"]), int(request["repeats"])
        entry_point = request["entry_point"]
        null_source = (
            f"def {entry_point}(*args, **kwargs):\n    return None\n" if entry_point else "pass\n"
        )
        # The baseline program: the same harness path as a candidate, doing nothing itself.
        self.null_code = compile_program(null_source, "<null>")
        self.null_source = null_source
        self._base = runproc.RunTask(
            code=self.null_code,
            source=null_source,
            entry_point=entry_point,
            test_setup=request["test_setup"],
            test=TestSpec("call", []),
            output_limit=self.limits["output_bytes"],
            result_limit=self.limits.get("result_bytes", self.limits["output_bytes"]),
            wall_time_s=self.limits["wall_time_s"],
            cpu_time_s=self.limits["cpu_time_s"],
            memory_mb=self.limits["memory_mb"],
            file_size_mb=self.limits["file_size_mb"],
            max_processes=self.limits["max_processes"],
        )

    def check_limits(self, index: int) -> tuple[float, float]:
        """(CPU, wall-clock) limits of a check run of test `index`: the job's limits, or its
        per-test time limit as CPU time, with a wall-clock net of twice that (at least the
        job's) for programs that wait instead of computing."""
        cpu_s, wall_s = float(self.limits["cpu_time_s"]), float(self.limits["wall_time_s"])
        if self.time_limits is not None and index < len(self.time_limits):
            limit = float(self.time_limits[index])
            return limit, max(2 * limit, wall_s)
        return cpu_s, wall_s

    def batch(self, zygote: Zygote, program: int, live: set[int]) -> runwatch.CheckBatch:
        """Check runs of `program` sharing one process (verdict-only jobs, see `runwatch`)."""
        base = self._base._replace(code=self.codes[program], source=self.sources[program])
        return runwatch.CheckBatch(zygote, base, self.tests, live)

    def null_task(self, test: TestSpec, timed: bool = False) -> runproc.RunTask:
        """The null program on `test` (same arguments or stdin; assertions are not run)."""
        null_test = TestSpec("call", []) if test.kind == "assert" else test
        task = self._base._replace(code=self.null_code, source=self.null_source, test=null_test)
        return task._replace(null=task) if timed else task

    def replay_task(self, test: TestSpec, calls: list[Any]) -> runproc.RunTask:
        """The assertion of `test` run on recorded calls, in a process that runs only the null
        program and the problem's setup (see `assertions`)."""
        replayed = TestSpec("assert", assertion=test.assertion, replay=calls)
        return self._base._replace(code=self.null_code, source=self.null_source, test=replayed)

    def task(self, program: int, test: TestSpec, timed: bool = True) -> runproc.RunTask:
        """A run of `program` on `test`; timed runs first run the null program untimed (the
        prelude that keeps page faults out of the measurement, see `runproc`)."""
        task = self._base._replace(
            code=self.codes[program], source=self.sources[program], test=test
        )
        return task._replace(null=self.null_task(test)) if timed else task


def serve(argv: list[str]) -> None:
    """Entry point of the outer server: `serve([cpu, allow])`."""
    cpu = int(argv[0]) if argv and int(argv[0]) >= 0 else None
    allow = argv[1] if len(argv) > 1 else "full"
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    isolation = sandbox.isolate(allow, keep_fds=(IN_FD, OUT_FD))  # from here on: PID 1
    ignore_signals()  # a write to a closed pipe is then BrokenPipeError: the judge is gone
    runproc.warm_up()
    gc.collect()
    gc.freeze()
    zygote = Zygote(isolation)  # before any job: it never holds one
    if zygote.notes and isolation.level is sandbox.IsolationLevel.FULL:
        notes = (*isolation.notes, *zygote.notes)
        isolation = isolation._replace(level=sandbox.IsolationLevel.PARTIAL, notes=notes)
    server = ForkServer(isolation, zygote)
    try:
        server.serve()
    except (EOFError, BrokenPipeError):
        return  # the parent closed our pipes mid-job: it is shutting down, nothing to report


if __name__ == "__main__":
    serve(sys.argv[1:])
