"""The Judge0 client backend against `perfcodegen serve` (real HTTP both ways): the same
verdicts as the local backend, Judge0's figures mapped, and clear errors."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from perfcodegen.backends import open_backend
from perfcodegen.backends.judge0 import Judge0Backend
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import JudgeJob, JudgeResult, MeasureMode, Verdict
from perfcodegen.judge.pool import LocalBackend
from perfcodegen.problems.model import TestCase
from support.judge_service import LIMITS, SQUARE, RunningService, corpus, running_service

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("uvicorn") is None, reason="the serve extra is not installed"
)


@pytest.fixture(scope="module")
def judge0_server() -> Iterator[RunningService]:
    with running_service(lambda: LocalBackend(2)) as running:
        yield running


async def _judge(backend: Judge0Backend | LocalBackend, jobs: list[JudgeJob]) -> list[JudgeResult]:
    try:
        return list(await asyncio.gather(*(backend.submit(job) for job in jobs)))
    finally:
        await backend.aclose()


async def test_verdicts_equal_the_local_backends(judge0_server: RunningService) -> None:
    cases = corpus(MeasureMode.CHECK)
    jobs = [job for job, _ in cases]
    remote = await _judge(Judge0Backend(judge0_server.url, max_batch=4), jobs)
    local = await _judge(LocalBackend(2), jobs)
    for (job, verdict), far, near in zip(cases, remote, local, strict=True):
        assert far.result.verdict is near.result.verdict is verdict, job.job_id
        assert (far.result.passed, far.result.total) == (near.result.passed, near.result.total)
        assert len(far.result.tests) == len(near.result.tests), job.job_id
        assert far.isolation == "partial" and far.notes


async def test_timed_jobs_carry_judge0s_figures(judge0_server: RunningService) -> None:
    job = JudgeJob(job_id="timed", programs=[SQUARE, SQUARE], entry_point="f",
                   tests=[TestCase.call([7], 49)], mode=MeasureMode.PAIRED, repeats=3,
                   limits=LIMITS)
    (result,) = await _judge(Judge0Backend(judge0_server.url), [job])
    assert [p.verdict for p in result.programs] == [Verdict.PASSED] * 2
    for program in result.programs:
        (outcome,) = program.tests
        assert len(outcome.times_s) == 1 and outcome.cpu_s == outcome.times_s[0] > 0
    assert result.paired_ratios is not None and len(result.paired_ratios) == 1


async def test_a_hostile_result_value_is_a_wrong_answer(judge0_server: RunningService) -> None:
    """The result comes back through the judge's bounded decoder: a value that is not plain
    data (here an object with __eq__ always true) cannot pass."""
    program = "class Any:\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return Any()\n"
    job = JudgeJob(job_id="hostile", programs=[program], entry_point="f",
                   tests=[TestCase.call([1], 1)], limits=LIMITS)
    (result,) = await _judge(Judge0Backend(judge0_server.url), [job])
    assert result.result.verdict is not Verdict.PASSED


def test_open_backend_explains_what_judge0_needs() -> None:
    with pytest.raises(PerfCodegenError, match="--judge0-url"):
        open_backend("judge0", isolation="partial")
    with pytest.raises(PerfCodegenError, match="--isolation partial"):
        open_backend("judge0", judge0_url="http://127.0.0.1:9", isolation="full")
    with pytest.raises(PerfCodegenError, match="local, ray, judge0"):
        open_backend("lambda")


async def test_an_unreachable_server_is_one_clear_error() -> None:
    backend = Judge0Backend("http://127.0.0.1:9")
    with pytest.raises(PerfCodegenError, match="cannot reach the Judge0 server"):
        await _judge(backend, [corpus()[0][0]])


def test_eval_moves_to_a_judge0_server_with_one_backend_flag(
    judge0_server: RunningService, tmp_path: Path
) -> None:
    """`perfcodegen eval --backend judge0` against perfcodegen serve: HumanEval's references
    get the same verdicts as on the local backend."""

    def evaluate(name: str, *extra: str) -> dict[str, object]:
        command = [
            sys.executable, "-m", "perfcodegen", "eval", "humaneval", "--limit", "4",
            "--measure", "wall", "--repeats", "2", "--json", "--workers", "2",
            "--out", str(tmp_path / name), *extra,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        summary: dict[str, object] = json.loads(done.stdout)
        return summary

    remote = evaluate("judge0", "--backend", "judge0", "--judge0-url", judge0_server.url,
                      "--isolation", "partial")
    local = evaluate("local")
    for key in ("tasks", "samples", "pass_at_k", "verdicts", "timed"):
        assert remote[key] == local[key], key
    assert remote["isolation"] == "partial" and local["isolation"] == "full"
