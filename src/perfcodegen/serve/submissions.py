"""From a Judge0 submission to a perfcodegen judge job, and from its result back.

A submission is one stdin/stdout program and one test. With an expected output it runs in
WALL mode (a check run, then `number_of_runs` timed runs, each a fresh process measured by
the fork server); without one, Judge0 only reports what the program printed, so it runs as a
check whose expected output nothing can equal, and the judge's wrong-answer report carries
the output (its first 1,000 characters); a second, timed job then expects exactly that output,
so that the submission gets a time as on Judge0.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from perfcodegen.judge.model import JudgeJob, JudgeResult, Limits, MeasureMode, Verdict
from perfcodegen.serve.protocol import Judge0Submission, b64encode, status_for
from perfcodegen.vocabulary import TestCase

_NOTHING_EQUALS = "\x00perfcodegen: no expected output\x00"
"""Expected output for submissions without one: no printed text equals it after the
trailing-whitespace rule, so the judge reports the output as a wrong answer's `actual`."""

DEFAULT_FIELDS = ("stdout", "time", "memory", "stderr", "token", "compile_output", "message", "status")
"""What Judge0 returns when a GET names no `fields`."""


def job_for(submission: Judge0Submission, job_id: str, base: Limits) -> JudgeJob:
    """The judge job for a (decoded) Judge0 submission."""
    limits: dict[str, float | int] = {}
    if submission.cpu_time_limit is not None:
        limits["cpu_time_limit"] = submission.cpu_time_limit
    if submission.wall_time_limit is not None:
        limits["wall_time_s"] = submission.wall_time_limit
    if submission.memory_limit is not None:
        limits["memory_mb"] = max(1, submission.memory_limit // 1024)
    if submission.max_processes_and_or_threads is not None:
        limits["max_processes"] = submission.max_processes_and_or_threads
    if submission.max_file_size is not None:
        limits["file_size_mb"] = max(1, submission.max_file_size // 1024)
    if "cpu_time_limit" in limits:
        limits["cpu_time_s"] = limits.pop("cpu_time_limit")
    expected = submission.expected_output
    test = TestCase.stdio(submission.stdin or "", _NOTHING_EQUALS if expected is None else expected)
    return JudgeJob(
        job_id=job_id,
        programs=[submission.source_code],
        tests=[test],
        mode=MeasureMode.CHECK if expected is None else MeasureMode.WALL,
        repeats=submission.number_of_runs or 1,
        limits=base.model_copy(update=limits) if limits else base,
    )


def timing_job(job: JudgeJob, checked: JudgeResult) -> JudgeJob | None:
    """For a submission without expected output: once its check run has shown what it
    prints, a WALL job that expects exactly that, to time it (Judge0 reports a time for
    every submission). None when there is nothing to time (an error, or output cut)."""
    outcome = checked.result.tests[0] if checked.result.tests else None
    if (
        job.mode is not MeasureMode.CHECK
        or outcome is None
        or outcome.error_type != "WrongAnswer"
        or outcome.actual is None
        or outcome.actual.endswith("... [cut]")
    ):
        return None
    test = job.tests[0].model_copy(update={"expected_stdout": outcome.actual})
    return job.model_copy(update={"tests": [test], "mode": MeasureMode.WALL})


def with_timing(checked: JudgeResult, timed: JudgeResult) -> JudgeResult:
    """The check's result with the timed run's figures, when the timed run saw the same output."""
    if not timed.result.ok or not checked.result.tests:
        return checked
    figures = timed.result.tests[0]
    outcome = checked.result.tests[0].model_copy(
        update={
            "times_s": figures.times_s,
            "cpu_s": figures.cpu_s,
            "wall_s": figures.wall_s,
            "overhead_s": figures.overhead_s,
        }
    )
    program = checked.result.model_copy(update={"tests": [outcome]})
    return checked.model_copy(update={"programs": [program]})


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def submission_fields(
    token: str,
    submission: Judge0Submission,
    result: JudgeResult | None,
    *,
    started: bool,
    created_at: datetime,
    finished_at: datetime | None,
) -> dict[str, Any]:
    """Every Judge0 field of a submission (text fields not yet base64-encoded)."""
    fields: dict[str, Any] = {
        "token": token,
        "source_code": submission.source_code,
        "language_id": submission.language_id,
        "stdin": submission.stdin,
        "expected_output": submission.expected_output,
        "number_of_runs": submission.number_of_runs or 1,
        "created_at": _stamp(created_at),
        "finished_at": _stamp(finished_at),
        "stdout": None,
        "stderr": None,
        "compile_output": None,
        "message": None,
        "exit_code": None,
        "exit_signal": None,
        "time": None,
        "wall_time": None,
        "memory": None,
        "status": {"id": 2 if started else 1, "description": "Processing" if started else "In Queue"},
    }
    if result is not None:
        fields.update(_outcome_fields(submission, result))
    return fields


def _outcome_fields(submission: Judge0Submission, result: JudgeResult) -> dict[str, Any]:
    program = result.result
    outcome = program.tests[0] if program.tests else None
    verdict = program.verdict
    stdout: str | None = None
    if verdict is Verdict.WRONG_ANSWER and outcome is not None and outcome.error_type == "WrongAnswer":
        stdout = outcome.actual
        if submission.expected_output is None:
            verdict = Verdict.PASSED  # nothing to compare with: Judge0 accepts a clean exit
    elif verdict is Verdict.PASSED:
        stdout = submission.expected_output  # equal to it under Judge0's whitespace rule
    stderr = None
    message = None
    if verdict not in (Verdict.PASSED, Verdict.WRONG_ANSWER):
        detail = outcome.traceback_tail if outcome is not None else None
        error_type = outcome.error_type if outcome is not None else program.error_type
        error_message = outcome.error_message if outcome is not None else program.error_message
        stderr = detail or f"{error_type}: {error_message}"
        message = error_message or None
    timed = outcome is not None and outcome.cpu_s is not None
    return {
        "stdout": stdout,
        "stderr": stderr,
        "message": message,
        "exit_code": None if verdict is Verdict.TIMEOUT else (0 if stderr is None else 1),
        "time": f"{outcome.cpu_s:.6f}" if timed and outcome and outcome.cpu_s is not None else None,
        "wall_time": f"{outcome.wall_s:.6f}" if outcome and outcome.wall_s is not None else None,
        "memory": outcome.peak_memory_kb if outcome is not None else None,
        "status": status_for(verdict),
    }


def select_fields(
    fields: dict[str, Any], wanted: str | None, base64_encoded: bool
) -> dict[str, Any]:
    """Judge0's `fields` query (comma-separated, `*` for all) and `base64_encoded`."""
    from perfcodegen.serve.protocol import ENCODED_FIELDS

    if wanted is None:
        names: tuple[str, ...] | list[str] = DEFAULT_FIELDS
    elif wanted.strip() == "*":
        names = list(fields)
    else:
        names = [name.strip() for name in wanted.split(",") if name.strip() in fields]
    chosen = {name: fields[name] for name in names}
    if base64_encoded:
        for name in ENCODED_FIELDS:
            if name in chosen:
                chosen[name] = b64encode(chosen[name])
    return chosen
