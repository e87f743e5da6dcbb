"""The judge as methods see it: run a job, and know a problem's limits. Nothing else."""

from __future__ import annotations

from typing import Protocol

from perfcodegen.judge.model import JudgeJob, JudgeResult, Limits
from perfcodegen.problems.model import Problem


class JudgeService(Protocol):
    async def run(self, job: JudgeJob) -> JudgeResult: ...

    def limits_for(self, problem: Problem) -> Limits: ...
