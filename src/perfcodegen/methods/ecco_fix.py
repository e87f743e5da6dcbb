"""ECCO-FIX style inputs (ECCO §6, Table 7): history-based editing from an almost-correct program.

An input program is almost correct when it passes every public test and fails at least one
private test. ECCO's 157 ECCO-FIX pairs are not released, and our ECCO and PIE pairs start
from accepted (correct) programs, so the selection is a filter over problems whose
`input_program` has been replaced by a candidate buggy program (e.g. CodeNet submissions with
a 'Wrong Answer' status). Run the filter, then run an ECCO method with `--paradigm edit` on
what it keeps (`perfcodegen.api.run(config, options, problems=kept)`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from perfcodegen.judge.model import MeasureMode
from perfcodegen.methods.judging import JudgeService
from perfcodegen.vocabulary import Problem, TestCase


async def is_almost_correct(problem: Problem, judge: JudgeService) -> bool:
    """True when the input program passes all public tests and fails some private one."""
    if problem.input_program is None or not problem.public_tests or not problem.private_tests:
        return False
    if not await _passes(problem, judge, problem.public_tests, "public"):
        return False
    return not await _passes(problem, judge, problem.private_tests, "private")


async def almost_correct_inputs(problems: Sequence[Problem], judge: JudgeService) -> list[Problem]:
    """The problems whose input program is almost correct, in their original order."""
    verdicts = await asyncio.gather(*(is_almost_correct(p, judge) for p in problems))
    return [p for p, keep in zip(problems, verdicts, strict=True) if keep]


async def _passes(problem: Problem, judge: JudgeService, tests: list[TestCase], label: str) -> bool:
    assert problem.input_program is not None
    job = judge.make_job([problem.input_program], problem, MeasureMode.CHECK, tests)
    return (await judge.run(job)).result.ok
