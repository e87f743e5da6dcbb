"""Judge jobs on a Judge0 server (as ECCO measured): one submission per program and test.

A stdin/stdout test is a plain Judge0 submission with `expected_output`, so the server's own
comparison decides. A call or assert test is sent as a script: the test's setup, the
program, then a driver that calls the entry point (or runs the assertion) and prints a
marker line carrying a random nonce and the result in marshal form. The result is decoded
by the judge's bounded decoder and compared by the judge's own `call_matches`.

Figures are Judge0's: `time` is the CPU time of the whole submission process, interpreter
start-up included (as ECCO's numbers are), averaged over `number_of_runs`; `memory` is its
peak in KB. They are not comparable with the local judge's net per-run figures
(docs/scale-out.md). Not defended here: a hostile program can read its own script and
print the marker line itself, and assert tests are not replayed; judge untrusted code for
figures that matter with the local or Ray backend.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from typing import Any

import httpx

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.client import paired_ratios, program_result
from perfcodegen.judge.decode import UnsafeValue, decode_payload
from perfcodegen.judge.model import (
    JudgeJob,
    JudgeResult,
    MeasureMode,
    ProgramResult,
    TestOutcome,
    Verdict,
)
from perfcodegen.judge.verdicts import call_matches, expected_text, short_repr
from perfcodegen.serve.protocol import IN_QUEUE, PROCESSING, b64decode, b64encode, verdict_for
from perfcodegen.vocabulary import TestCase, TestKind

PYTHON3 = 71
"""Judge0 CE's "Python (3.8.1)", the id ECCO submits with."""

_FIELDS = "token,status,stdout,stderr,message,time,wall_time,memory"

_DRIVER = """
import base64 as _b64, marshal as _marshal, pickle as _pickle, sys as _sys
_args = _pickle.loads(_b64.b64decode({args!r}))
_value = {entry}(*_args)
_sys.stdout.write("\\n{marker}" + _b64.b64encode(_marshal.dumps(_value)).decode() + "\\n")
"""
_ASSERT_DRIVER = """
import sys as _sys
candidate = {entry}
{assertion}
_sys.stdout.write("\\n{marker}" + "\\n")
"""


class Judge0Backend:
    """A `Backend` that sends every job to a Judge0-compatible server.

    `api_key` goes in Judge0's `X-Auth-Token` header. `concurrency` bounds the submissions
    in flight (default 20, one Judge0 batch); a 429 from the server backs off and retries.
    """

    isolation = "partial"
    """perfcodegen cannot check a remote sandbox, nor apply its own defences there."""
    modes = frozenset({MeasureMode.CHECK, MeasureMode.WALL, MeasureMode.PAIRED, MeasureMode.MEMORY})
    """Judge0 reports each submission's time and memory; it cannot count instructions."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        concurrency: int | None = None,
        language_id: int = PYTHON3,
        poll_interval_s: float = 0.05,
        max_poll_interval_s: float = 1.0,
        max_batch: int = 20,
    ) -> None:
        headers = {"X-Auth-Token": api_key} if api_key else {}
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=60.0)
        self._slots = asyncio.Semaphore(concurrency or max_batch)
        self.language_id = language_id
        self.poll_interval_s = poll_interval_s
        self.max_poll_interval_s = max_poll_interval_s
        self.max_batch = max_batch

    async def submit(self, job: JudgeJob) -> JudgeResult:
        results = [await self._run_program(job, program) for program in job.programs]
        return JudgeResult(
            job_id=job.job_id,
            mode=job.mode,
            programs=results,
            paired_ratios=paired_ratios(job, results),
            notes=[
                "judged by a Judge0 server: its sandbox, and its figures (CPU time of the "
                "whole process, interpreter start-up included)"
            ],
            isolation=self.isolation,
        )

    async def start(self) -> None:
        """Nothing to start: each submission is one HTTP request."""

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run_program(self, job: JudgeJob, program: str) -> ProgramResult:
        timed = job.mode in (MeasureMode.WALL, MeasureMode.PAIRED)
        markers = [secrets.token_hex(16) for _ in job.tests]
        bodies = [
            _submission(job, program, test, marker, self.language_id, timed)
            for test, marker in zip(job.tests, markers, strict=True)
        ]
        answers: list[dict[str, Any]] = []
        for start in range(0, len(bodies), self.max_batch):
            answers.extend(await self._judge_batch(bodies[start : start + self.max_batch]))
        outcomes = [
            _outcome(index, test, answer, marker, job, timed)
            for index, (test, answer, marker) in enumerate(
                zip(job.tests, answers, markers, strict=True)
            )
        ]
        if outcomes and outcomes[0].verdict is Verdict.SYNTAX_ERROR:
            error = {"type": outcomes[0].error_type, "message": outcomes[0].error_message}
            return program_result(job, [], error)
        if job.mode is MeasureMode.CHECK and job.stop_at_first_failure:
            failed = next((i for i, o in enumerate(outcomes) if o.verdict is not Verdict.PASSED), None)
            outcomes = outcomes if failed is None else outcomes[: failed + 1]
        return program_result(job, outcomes, None)

    async def _judge_batch(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async with self._slots:
            created = await self._request(
                "POST", "/submissions/batch", json={"submissions": bodies},
                params={"base64_encoded": "true"},
            )
            tokens = [str(entry.get("token") or "") for entry in created]
            if not all(tokens):
                errors = [entry for entry in created if not entry.get("token")]
                raise PerfCodegenError(f"the Judge0 server refused a submission: {errors[0]}")
            return await self._poll(tokens)

    async def _poll(self, tokens: list[str]) -> list[dict[str, Any]]:
        """Poll the batch until every submission has finished, backing off to at most
        `max_poll_interval_s` between polls."""
        delay = self.poll_interval_s
        while True:
            answer = await self._request(
                "GET", "/submissions/batch",
                params={"tokens": ",".join(tokens), "base64_encoded": "true", "fields": _FIELDS},
            )
            submissions: list[dict[str, Any]] = answer["submissions"]
            if all(_finished(s) for s in submissions):
                return submissions
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_poll_interval_s)

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; 429 and 503 (a full or draining queue) are retried with backoff."""
        delay = self.poll_interval_s
        for _attempt in range(30):
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise PerfCodegenError(f"cannot reach the Judge0 server ({exc})") from exc
            if response.status_code not in (429, 503):
                if response.status_code >= 400:
                    raise PerfCodegenError(
                        f"the Judge0 server answered {response.status_code} to {method} {path}: "
                        f"{response.text[:300]}"
                    )
                return response.json()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_poll_interval_s * 4)
        raise PerfCodegenError(f"the Judge0 server stayed busy (429/503) for {method} {path}")


def _finished(submission: dict[str, Any] | None) -> bool:
    if submission is None:
        raise PerfCodegenError("the Judge0 server lost a submission (unknown token)")
    return int(submission["status"]["id"]) not in (IN_QUEUE, PROCESSING)


def _submission(
    job: JudgeJob, program: str, test: TestCase, marker: str, language_id: int, timed: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "language_id": language_id,
        "cpu_time_limit": job.limits.cpu_time_s,
        "wall_time_limit": job.limits.wall_time_s,
        "memory_limit": job.limits.memory_mb * 1024,
        "max_file_size": job.limits.file_size_mb * 1024,
        "number_of_runs": min(job.repeats, 20) if timed else 1,
    }
    if test.kind is TestKind.STDIO:
        source = program
        body["stdin"] = b64encode(test.stdin or "")
        body["expected_output"] = b64encode(test.expected_stdout or "")
    elif test.kind is TestKind.CALL:
        import pickle

        args = base64.b64encode(pickle.dumps(list(test.args or []), protocol=4)).decode()
        driver = _DRIVER.format(args=args, entry=job.entry_point, marker=marker)
        source = "\n".join((job.test_setup, program, driver))
    else:
        driver = _ASSERT_DRIVER.format(
            entry=job.entry_point, assertion=test.assertion or "", marker=marker
        )
        source = "\n".join((job.test_setup, program, driver))
    body["source_code"] = b64encode(source)
    return body


def _outcome(
    index: int, test: TestCase, answer: dict[str, Any], marker: str, job: JudgeJob, timed: bool
) -> TestOutcome:
    stdout = b64decode(answer["stdout"]) if answer.get("stdout") else ""
    stderr = b64decode(answer["stderr"]) if answer.get("stderr") else ""
    verdict = verdict_for(int(answer["status"]["id"]), stderr)
    actual: str | None = None
    last_line = stderr.strip().rsplit("\n", 1)[-1] if stderr else ""
    if (
        test.kind is TestKind.ASSERT
        and verdict is Verdict.RUNTIME_ERROR
        and last_line.startswith("AssertionError")
    ):
        verdict = Verdict.WRONG_ANSWER  # the test's assertion failed (or the program's own)
    if verdict is Verdict.PASSED and test.kind is not TestKind.STDIO:
        verdict, actual = _driver_verdict(test, stdout, marker, job)
    elif verdict is Verdict.WRONG_ANSWER:
        actual = short_repr(stdout)
    passed = verdict is Verdict.PASSED
    figure = _seconds(answer.get("time"))
    wall = _seconds(answer.get("wall_time"))
    return TestOutcome(
        index=index,
        verdict=verdict,
        times_s=[figure] if passed and timed and figure is not None else [],
        cpu_s=figure if passed and timed else None,
        wall_s=wall if passed and timed else None,
        peak_memory_kb=int(answer["memory"]) if answer.get("memory") is not None else None,
        error_type=None if passed else _error_type(verdict, last_line),
        error_message=None if passed else (answer.get("message") or last_line or verdict.value),
        traceback_tail=stderr[-2000:] or None,
        actual=actual,
        expected=None if passed else expected_text(test),
    )


def _driver_verdict(
    test: TestCase, stdout: str, marker: str, job: JudgeJob
) -> tuple[Verdict, str | None]:
    """A call/assert test's verdict from the driver's marker line (its last one)."""
    _, found, tail = stdout.rpartition("\n" + marker)
    if not found:
        return Verdict.WRONG_ANSWER, "the test did not complete (no result line)"
    if test.kind is TestKind.ASSERT:
        return Verdict.PASSED, None
    try:
        value = decode_payload(base64.b64decode(tail.strip()))
    except (UnsafeValue, ValueError) as exc:
        return Verdict.WRONG_ANSWER, f"unreadable result ({exc})"
    if call_matches(value, test, job.compare):
        return Verdict.PASSED, None
    return Verdict.WRONG_ANSWER, short_repr(value)


def _seconds(value: Any) -> float | None:
    return float(value) if value not in (None, "") else None


def _error_type(verdict: Verdict, last_stderr_line: str) -> str:
    if verdict is Verdict.WRONG_ANSWER:
        return "WrongAnswer"
    return last_stderr_line.split(":", 1)[0] or verdict.value
