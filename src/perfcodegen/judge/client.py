"""The judge's side of a fork server: start it, send jobs, compare, build results.

`ForkServerProcess` is synchronous (blocking pipe I/O, which releases the GIL), so the local
backend runs one per worker thread and `pool.execute_job` uses a private one on remote workers.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge import wire
from perfcodegen.judge.model import (
    JudgeJob,
    JudgeResult,
    MeasureMode,
    ProgramResult,
    TestOutcome,
    Verdict,
    trimmed_mean,
)
from perfcodegen.judge.sandbox import IsolationLevel, isolation_rank, package_dir
from perfcodegen.judge.verdicts import (
    outcome_from_run,
    program_verdict,
    recorded_calls,
    replayed_outcome,
    timed_outcome,
)
from perfcodegen.vocabulary import TestKind

log = logging.getLogger(__name__)

_BOOTSTRAP = """
import importlib, sys, types
root = sys.argv[1]
for name, path in (("perfcodegen", root), ("perfcodegen.judge", root + "/judge")):
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module
sys.path[:] = [p for p in sys.path if p]
module, function = sys.argv[2].rsplit(".", 1)
getattr(importlib.import_module(module), function)(sys.argv[3:])
"""
"""Loads a judge module without perfcodegen/__init__ (which imports pydantic): lean process."""


def lean_command(entry: str, *args: str) -> list[str]:
    """`python -c` command running `entry` ("module.function", given the remaining args) with
    only the judge's standard-library modules loaded (the fork server, the sandbox launcher)."""
    return [sys.executable, "-c", _BOOTSTRAP, package_dir(), entry, *args]

_SERVER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "HOME": "/tmp",
}
"""No secrets from the judge's environment reach candidates; fixed hash seed for stable runs."""




PIPE_BYTES = 1 << 20
"""Pipe buffers to and from a fork server (Linux's default is 64 KB, and the largest an
unprivileged process may ask for is 1 MB): a multi-megabyte result crosses in a few wake-ups."""


def _widen_pipe(stream: Any) -> None:
    if stream is None:
        return
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or over the user's quota
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class ForkServerError(RuntimeError):
    """The fork server died or misbehaved (it is restarted on the next job)."""


class IsolationUnavailable(PerfCodegenError):
    """Full isolation could not be set up and the user did not allow less."""


class ForkServerProcess:
    """One lean fork server process, optionally pinned to a CPU.

    `allow_isolation`: the weakest isolation level accepted ("full" by default; "partial" or
    "none" only when the user says so). Below it, `start` raises IsolationUnavailable.
    """

    def __init__(self, cpu: int | None = None, allow_isolation: str = "full") -> None:
        self.cpu = cpu
        self.allow_isolation = IsolationLevel(allow_isolation)
        self._process: subprocess.Popen[bytes] | None = None
        self.notes: list[str] = []
        self.isolation = IsolationLevel.NONE
        self.server_pid: int | None = None
        self.sandbox_uid: int | None = None
        self.accounting = ""
        self._idle = threading.Event()
        """Set while no job is in progress (close() waits for a job's reader to finish)."""
        self._idle.set()
        self._closing = False

    def start(self) -> None:
        self._closing = False
        self._process = subprocess.Popen(
            lean_command(
                "perfcodegen.judge.forkserver.serve",
                str(-1 if self.cpu is None else self.cpu),
                self.allow_isolation.value,
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_SERVER_ENV,
            cwd="/",
            # Its own session: Ctrl-C at the terminal reaches only the parent, which shuts the
            # servers down; they never die mid-job or print KeyboardInterrupt tracebacks.
            start_new_session=True,
        )
        self.server_pid = self._process.pid
        for stream in (self._process.stdin, self._process.stdout):
            _widen_pipe(stream)
        hello = self._read()
        self.notes = [str(note) for note in hello["notes"]]
        self.isolation = IsolationLevel(hello["level"])
        self.sandbox_uid = hello.get("uid")
        self.accounting = str(hello.get("accounting") or "")
        if isolation_rank(self.isolation.value) < isolation_rank(self.allow_isolation.value):
            self.close()
            raise IsolationUnavailable(
                f"the judge's sandbox is only at isolation level '{self.isolation.value}' here "
                f"({'; '.join(self.notes) or 'no details'}); pass --isolation "
                f"{self.isolation.value} to run candidates anyway"
            )
        for note in self.notes:
            log.warning("judge sandbox: %s", note)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        self._closing = True
        if not self._idle.is_set():
            # A job runs in another thread (e.g. after Ctrl-C): end the server and its runs
            # now, and let that thread read EOF before its descriptors are closed.
            process.kill()
            process.wait()
            self._idle.wait(timeout=5)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> ForkServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> Any:
        process = self._process
        if process is None or process.stdout is None:
            raise ForkServerError("the fork server was closed")
        try:
            frame = wire.read_frame(process.stdout.fileno())
        except (EOFError, OSError, ValueError, TypeError, wire.FrameTooLarge) as exc:
            raise ForkServerError(f"the fork server stopped unexpectedly ({exc})") from exc
        if not isinstance(frame, dict):
            raise ForkServerError("the fork server sent a malformed frame")
        return frame

    def _write(self, value: Any) -> None:
        process = self._process
        if process is None or process.stdin is None:
            raise ForkServerError("the fork server was closed")
        try:
            wire.write_frame(process.stdin.fileno(), value)
        except OSError as exc:
            raise ForkServerError(f"the fork server stopped unexpectedly ({exc})") from exc

    def raw_runs(self, job: JudgeJob) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """(compile error of the first program or None, its check run on every test, undecoded):
        for callers that need whole values rather than verdicts (`judge.observe`)."""
        if not self.alive:
            self.close()
            self.start()
        self._write(_request(job))
        error = self._read()["errors"][0]
        runs: list[dict[str, Any]] = []
        while True:
            message = self._read()
            if message.get("op") == "done":
                return error, runs
            for _, results in message["tests"]:
                runs.append(results[0])
            more = len(runs) < len(job.tests)
            self._write({"active": [0] if more else []})

    def run_job(self, job: JudgeJob) -> JudgeResult:
        """Run a job; a dead server is restarted and the job reported as a sandbox error."""
        started = time.perf_counter()
        if not self.alive:
            self.close()
            self.start()
        self._idle.clear()
        try:
            programs, ratios = self._run(job)
        except ForkServerError as exc:
            self._idle.set()
            if not self._closing:  # shutting down is not a failure worth a warning
                log.warning("judge: %s", exc)
            self.close()
            programs = [
                _failed_program(job, Verdict.SANDBOX_ERROR, "ForkServerError", str(exc))
            ] * len(job.programs)
            ratios = None
        finally:
            self._idle.set()
        return JudgeResult(
            job_id=job.job_id,
            mode=job.mode,
            programs=programs,
            paired_ratios=ratios,
            elapsed_s=time.perf_counter() - started,
            notes=list(self.notes),
            isolation=self.isolation.value,
            accounting=self.accounting,
        )

    def _run(self, job: JudgeJob) -> tuple[list[ProgramResult], list[float] | None]:
        self._write(_request(job))
        compiled = self._read()
        errors: list[Any] = compiled["errors"]
        baseline_kb = compiled.get("baseline_kb")
        outcomes: list[list[TestOutcome]] = [[] for _ in job.programs]
        running = {program for program, error in enumerate(errors) if error is None}
        while True:
            message = self._read()
            if message.get("op") == "done":
                break
            last = -1
            for test_index, results in message["tests"]:
                last = int(test_index)
                # A verdict-only job may have run ahead of a stop: those results are dropped.
                runs = {p: run for p, run in results.items() if p in running}
                for program, outcome in self._judge_test(job, last, runs, baseline_kb).items():
                    outcomes[program].append(outcome)
                    if not _keeps_running(job, outcome):
                        running.discard(program)
            more = last + 1 < len(job.tests)
            self._write({"active": sorted(running) if more else []})
        results = [program_result(job, outcomes[i], errors[i]) for i in range(len(job.programs))]
        return results, paired_ratios(job, results)

    def _judge_test(
        self, job: JudgeJob, index: int, runs: dict[int, Any], baseline_kb: int | None
    ) -> dict[int, TestOutcome]:
        """The outcomes of one test's check runs; assertion tests are replayed and passed
        tests timed (in timing modes) by further exchanges with the server."""
        test = job.tests[index]
        checked = {
            program: outcome_from_run(index, test, run, job.compare, baseline_kb)
            for program, run in runs.items()
        }
        passed = [p for p, o in checked.items() if o.verdict is Verdict.PASSED]
        if test.kind is TestKind.ASSERT and passed:
            self._write({"replay": {p: recorded_calls(runs[p]) for p in passed}})
            replayed = self._read()["results"]
            for program in passed:
                checked[program] = replayed_outcome(checked[program], replayed[program])
            passed = [p for p in passed if checked[p].verdict is Verdict.PASSED]
        if job.mode in (MeasureMode.WALL, MeasureMode.PAIRED) and passed:
            self._write({"time": passed})
            timed = self._read()
            for program in passed:
                checked[program] = timed_outcome(
                    checked[program], test, timed["runs"][program], timed["null"], job.compare
                )
        return checked


def _request(job: JudgeJob) -> dict[str, Any]:
    tests = [[t.kind.value, t.args, t.assertion, t.stdin] for t in job.tests]
    return {
        "op": "job",
        "programs": list(job.programs),
        "entry_point": job.entry_point,
        "test_setup": job.test_setup,
        "tests": tests,
        "memory": job.mode is MeasureMode.MEMORY,
        "batch": job.mode is MeasureMode.CHECK and not job.fresh_process_per_test,
        "time_limits": job.time_limits_s,
        "repeats": job.repeats,
        "warmup": job.warmup,
        "limits": job.limits.model_dump(),
    }


def _keeps_running(job: JudgeJob, latest: TestOutcome) -> bool:
    """Whether a program runs the next test, given its outcome on this one."""
    if job.mode is not MeasureMode.CHECK or not job.stop_at_first_failure:
        return True
    return latest.verdict is Verdict.PASSED


def program_result(
    job: JudgeJob, outcomes: list[TestOutcome], compile_error: dict[str, Any] | None
) -> ProgramResult:
    """Aggregate per-test outcomes (or a compile error dict from the fork server)."""
    total = len(job.tests)
    if compile_error is not None:
        return _failed_program(
            job,
            Verdict.SYNTAX_ERROR,
            str(compile_error.get("type")),
            str(compile_error.get("traceback") or compile_error.get("message")),
        )
    passed = sum(o.verdict is Verdict.PASSED for o in outcomes)
    verdict = program_verdict(outcomes, total)
    first = next((o for o in outcomes if o.verdict is not Verdict.PASSED), None)
    return ProgramResult(
        verdict=verdict,
        passed=passed,
        total=total,
        tests=outcomes,
        error_type=first.error_type if first else None,
        error_message=first.error_message if first else None,
    )




def _failed_program(job: JudgeJob, verdict: Verdict, kind: str, message: str) -> ProgramResult:
    return ProgramResult(
        verdict=verdict, passed=0, total=len(job.tests), error_type=kind, error_message=message
    )


def paired_ratios(job: JudgeJob, results: list[ProgramResult]) -> list[float] | None:
    """Per-test trimmed-mean ratio programs[0] / programs[1], when both passed every test."""
    if job.mode is not MeasureMode.PAIRED or len(results) < 2:
        return None
    first, second = results[0], results[1]
    if not (first.ok and second.ok) or len(first.tests) != len(second.tests):
        return None
    ratios = []
    for a, b in zip(first.tests, second.tests, strict=False):
        mean_a, mean_b = trimmed_mean(a.times_s), trimmed_mean(b.times_s)
        if mean_a is None or not mean_b:
            return None
        ratios.append(mean_a / mean_b)
    return ratios


def available_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))
