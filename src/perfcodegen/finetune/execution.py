"""Execution feedback of input programs for execution-conditioned fine-tuning (ECCO §4.3).

Each input program runs in the judge on its problem's public tests exactly as exec-refine runs
a candidate (`methods.ecco_execution.execute_on_public_tests`: check every test, then time and
measure memory when one passes), and is described in the same words (Fig. 9). Judge jobs are
memoized in a run store (`<out>/judging/run.sqlite`, content-addressed by program and tests),
so an interrupted build resumes without running any finished job again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from perfcodegen.config import (
    Generation,
    Measurement,
    MethodSettings,
    ProblemSelection,
    RunConfig,
    RuntimeOptions,
)
from perfcodegen.llm.mock import MockModel
from perfcodegen.methods.ecco_execution import execute_on_public_tests, input_candidate
from perfcodegen.methods.session import ProblemSession
from perfcodegen.plan import plan_run
from perfcodegen.store import RunStore
from perfcodegen.vocabulary import Problem

JUDGING_DIR = "judging"
METHOD_NAME = "finetune-exec"
ProgressCallback = Callable[[int, int], None]
"""Called with (judged so far, total) after each input program."""


async def input_program_feedback(
    problems: Sequence[Problem],
    out: Path,
    *,
    benchmark: str,
    repeats: int,
    workers: int | None,
    isolation: Literal["full", "partial", "none"],
    progress: ProgressCallback | None = None,
) -> dict[str, str]:
    """Problem id -> the Fig. 9 execution feedback of its input program on the public tests."""
    config = RunConfig(
        name=METHOD_NAME,
        selection=ProblemSelection(benchmark=benchmark, paradigm="edit"),
        generation=Generation(model="mock/judge-only"),
        method=MethodSettings(feedback_tests="public"),
        measurement=Measurement(repeats=repeats, timing_tests="given"),
    )
    representatives = {_same_run(p): p for p in reversed(problems)}  # the first of each
    store = RunStore(out / JUDGING_DIR)
    feedback: dict[str, str] = {}
    try:
        options = RuntimeOptions(out=out / JUDGING_DIR, workers=workers, isolation=isolation)
        plan = plan_run(config, options, problems=list(representatives.values()))
        async with plan.judge() as judge:
            model = MockModel([], model="judge-only")  # building data never asks a model
            limit = asyncio.Semaphore(max(1, workers or 4))

            async def describe(problem: Problem) -> None:
                session = ProblemSession(
                    problem=problem, config=config, store=store, model=model,
                    refine_model=model, judge=judge, method=METHOD_NAME,
                )
                async with limit:
                    report = await execute_on_public_tests(session, input_candidate(problem))
                feedback[problem.id] = report.verbalise()
                if progress is not None:
                    progress(len(feedback), len(representatives))

            await asyncio.gather(*(describe(p) for p in representatives.values()))
    finally:
        store.close()
    return {p.id: feedback[representatives[_same_run(p)].id] for p in problems}


def _same_run(problem: Problem) -> tuple[str, str | None, str]:
    """Pairs of one problem with one input program run the same jobs: judge them once."""
    tests = json.dumps([t.model_dump(mode="json") for t in problem.tests], sort_keys=True)
    return (tests, problem.input_program, problem.test_setup or "")
