"""The judge as methods see it: make a job for a problem, and run it. Nothing else.

`perfcodegen.judge.Judge` satisfies this protocol; so can anything that serves recorded
results (see bench/pipeline_overlap.py). Every judge job of a run is made by `make_job`, so
the run's repeats, warm-up, limits and comparison rules apply to all of them.
"""

from __future__ import annotations

from typing import Protocol

from perfcodegen.judge.model import JudgeJob, JudgeResult, MeasureMode
from perfcodegen.vocabulary import Problem, TestCase


class JudgeService(Protocol):
    async def run(self, job: JudgeJob) -> JudgeResult: ...

    def make_job(
        self,
        programs: list[str],
        problem: Problem,
        mode: MeasureMode,
        tests: list[TestCase] | None = None,
        stop_at_first_failure: bool = True,
        time_limits_s: list[float] | None = None,
    ) -> JudgeJob: ...
