"""The judge as methods see it: run a job, and know a problem's limits. Nothing else."""

from __future__ import annotations

from typing import Protocol

from perfcodegen.judge.judge import Judge, problem_limits
from perfcodegen.judge.model import JudgeJob, JudgeResult, Limits
from perfcodegen.problems.model import Problem


class JudgeService(Protocol):
    async def run(self, job: JudgeJob) -> JudgeResult: ...

    def limits_for(self, problem: Problem) -> Limits: ...


class LocalJudgeService:
    """Adapts `perfcodegen.judge.Judge` to what methods need (problem limits included)."""

    def __init__(self, judge: Judge) -> None:
        self._judge = judge

    async def run(self, job: JudgeJob) -> JudgeResult:
        return await self._judge.run(job)

    def limits_for(self, problem: Problem) -> Limits:
        return problem_limits(self._judge.config.limits, problem)
