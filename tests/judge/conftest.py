"""Shared fixtures for the judge tests: one fork server per test module (started once)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import JudgeJob, JudgeResult, Limits, MeasureMode
from perfcodegen.problems.model import TestCase

# Generous time: these tests check verdicts, and a loaded CI machine must not turn them into
# timeouts (tests that want a timeout set their own limits).
FAST_LIMITS = Limits(wall_time_s=10.0, cpu_time_s=10.0, memory_mb=512)

RunJob = Callable[..., JudgeResult]


def make_job(
    program: str | list[str],
    tests: list[TestCase],
    entry_point: str | None = "f",
    mode: MeasureMode = MeasureMode.CHECK,
    **kw: Any,
) -> JudgeJob:
    programs = [program] if isinstance(program, str) else program
    kw.setdefault("limits", FAST_LIMITS)
    return JudgeJob(
        job_id="t", programs=programs, entry_point=entry_point, tests=tests, mode=mode, **kw
    )


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServerProcess]:
    with ForkServerProcess() as process:
        yield process


@pytest.fixture
def run_job(server: ForkServerProcess) -> RunJob:
    """run_job(program(s), tests, entry_point="f", mode=CHECK, **JudgeJob fields)."""

    def run(*args: Any, **kw: Any) -> JudgeResult:
        return server.run_job(make_job(*args, **kw))

    return run
