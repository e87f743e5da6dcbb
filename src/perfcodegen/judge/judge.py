"""The public, async judge: check, time, compare and measure programs against a problem."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from perfcodegen.judge.backend import Backend, require_mode
from perfcodegen.judge.model import (
    CompareOptions,
    JudgeJob,
    JudgeResult,
    Limits,
    MeasureMode,
    ProgramResult,
    TestOutcome,
)
from perfcodegen.judge.pool import LocalBackend
from perfcodegen.vocabulary import Problem, TestCase


class JudgeConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    workers: int | None = None
    """Fork servers; None: one per available core. Timed jobs never share a core."""
    limits: Limits = Field(default_factory=Limits)
    repeats: int = Field(default=12, ge=1)
    warmup: int = Field(default=1, ge=1)
    pin_cpus: bool = True
    compare: CompareOptions = Field(default_factory=CompareOptions)
    isolation: Literal["full", "partial", "none"] = "full"
    """The weakest sandbox accepted (docs/judge.md). Below it the judge refuses to start."""


def problem_limits(base: Limits, problem: Problem) -> Limits:
    """Problem metadata (time_limit_s, memory_limit_mb) overrides the defaults."""
    changes: dict[str, float | int] = {}
    if problem.metadata.time_limit_s:
        changes["wall_time_s"] = problem.metadata.time_limit_s
        changes["cpu_time_s"] = problem.metadata.time_limit_s
    if problem.metadata.memory_limit_mb:
        changes["memory_mb"] = int(problem.metadata.memory_limit_mb)
    return base.model_copy(update=changes) if changes else base


class Judge:
    """Async facade over a backend (by default, a local pool of fork servers).

    Use `async with Judge(config) as judge:` or `judge = await Judge.start(config)` and
    `await judge.aclose()`.
    """

    def __init__(self, config: JudgeConfig | None = None, backend: Backend | None = None) -> None:
        self.config = config or JudgeConfig()
        if backend is None:
            backend = LocalBackend(
                self.config.workers, self.config.pin_cpus, self.config.isolation
            )
        self.backend = backend
        self._job_ids = itertools.count()

    @classmethod
    async def start(
        cls, config: JudgeConfig | None = None, backend: Backend | None = None
    ) -> Judge:
        judge = cls(config, backend)
        await judge.backend.start()
        return judge

    async def __aenter__(self) -> Judge:
        await self.backend.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.backend.aclose()

    async def run(self, job: JudgeJob) -> JudgeResult:
        """One job on the backend; a mode it cannot run is refused (`UnsupportedMode`)."""
        require_mode(self.backend, job.mode)
        return await self.backend.submit(job)

    async def run_many(self, jobs: Iterable[JudgeJob]) -> AsyncIterator[JudgeResult]:
        """Results in completion order (match them by `job_id`)."""
        tasks = [asyncio.ensure_future(self.run(job)) for job in jobs]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def make_job(
        self,
        programs: list[str],
        problem: Problem,
        mode: MeasureMode,
        tests: list[TestCase] | None = None,
        stop_at_first_failure: bool = True,
        time_limits_s: list[float] | None = None,
    ) -> JudgeJob:
        """The one factory of judge jobs: this judge's repeats, warm-up, limits (the problem's
        own where it sets them) and comparison rules."""
        return JudgeJob(
            job_id=f"{problem.id}#{os.getpid()}-{next(self._job_ids)}",
            programs=programs,
            entry_point=problem.entry_point,
            tests=problem.tests if tests is None else tests,
            test_setup=problem.test_setup,
            mode=mode,
            repeats=self.config.repeats,
            warmup=self.config.warmup,
            limits=problem_limits(self.config.limits, problem),
            compare=self.config.compare,
            stop_at_first_failure=stop_at_first_failure and mode is MeasureMode.CHECK,
            time_limits_s=time_limits_s,
        )

    async def check(
        self,
        program: str,
        problem: Problem,
        tests: list[TestCase] | None = None,
        stop_at_first_failure: bool = True,
    ) -> ProgramResult:
        job = self.make_job([program], problem, MeasureMode.CHECK, tests, stop_at_first_failure)
        return (await self.run(job)).result

    async def time(self, program: str, problem: Problem) -> ProgramResult:
        return (await self.run(self.make_job([program], problem, MeasureMode.WALL))).result

    async def compare(self, programs: list[str], problem: Problem) -> JudgeResult:
        if len(programs) < 2:
            raise ValueError("compare() needs at least two programs")
        return await self.run(self.make_job(programs, problem, MeasureMode.PAIRED))

    async def memory(self, program: str, problem: Problem) -> ProgramResult:
        return (await self.run(self.make_job([program], problem, MeasureMode.MEMORY))).result

    async def costliest_test(self, program: str, problem: Problem) -> tuple[int, TestOutcome]:
        """PerfCodeGen Eq. 1-2: the test with the largest trimmed-mean runtime over E runs."""
        result = await self.time(program, problem)
        if not result.ok:
            failure = result.first_failure
            detail = f" (test {failure.index}: {failure.verdict.value})" if failure else ""
            raise ValueError(f"the program is not correct{detail}; time only correct programs")
        best = max(result.tests, key=lambda t: t.trimmed_mean_s or 0.0)
        return best.index, best
