"""Measuring a set of correct programs in one session: the figures metrics are built on.

Shared by `perfcodegen run` (final timing of candidates, references and input programs) and
`perfcodegen eval`. Paired mode (the default) runs all programs alternately in the same child
per test, so their times are taken under the same machine conditions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from perfcodegen.judge.model import JudgeResult, MeasureMode, ProgramResult, Verdict
from perfcodegen.problems.model import TestCase
from perfcodegen.problems.stress import stress_level

PLUS_TEST = "plus"
"""The label of EvalPlus's generated inputs (`TestCase.name`)."""

RunJob = Callable[[list[str], list[TestCase], MeasureMode], Awaitable[JudgeResult]]


@dataclass
class Measured:
    cost: float | None
    """Seconds (sum over tests of trimmed means) or instructions, per the run's measure."""
    per_test: list[float] | None
    memory_kb: int | None = None


NOT_MEASURED = Measured(None, None)


async def measure_programs(
    run_job: RunJob, programs: list[str], tests: list[TestCase], measure: str, memory: bool
) -> dict[str, Measured]:
    """Cost of each distinct program; programs that fail during measurement are left out."""
    distinct = list(dict.fromkeys(programs))
    if not distinct or measure == "none":
        return {}
    results: list[ProgramResult]
    if measure == "paired" and len(distinct) > 1:
        results = (await run_job(distinct, tests, MeasureMode.PAIRED)).programs
    elif measure == "instructions":
        results = (await run_job(distinct, tests, MeasureMode.INSTRUCTIONS)).programs
    else:
        results = [(await run_job([p], tests, MeasureMode.WALL)).result for p in distinct]
    measured: dict[str, Measured] = {}
    for source, result in zip(distinct, results, strict=False):
        if not result.ok:
            continue
        if measure == "instructions":
            counts = [float(t.instructions or 0) for t in result.tests]
            measured[source] = Measured(float(sum(counts)), counts)
        else:
            per_test = [t.trimmed_mean_s or 0.0 for t in result.tests]
            measured[source] = Measured(result.total_time_s, per_test)
    if memory:
        for source, figures in measured.items():
            peak = (await run_job([source], tests, MeasureMode.MEMORY)).result
            figures.memory_kb = peak.peak_memory_kb if peak.ok else None
    return measured


def timing_tests(tests: list[TestCase], which: str) -> list[TestCase]:
    """The tests timing runs on (`RunConfig.timing_tests`): 'given' = the benchmark's own
    tests without EvalPlus's generated inputs (hundreds of tiny inputs per problem add judge
    time, not information about speed); 'all' = with them; 'stress' = the stress tests
    (`problems.stress`); 'both' = given then stress. A problem without the chosen kind falls
    back to its given tests, so every problem is still timed."""
    return [tests[i] for i in timing_positions(tests, which)]


def timing_positions(tests: list[TestCase], which: str) -> list[int]:
    """The positions in `tests` of the tests `timing_tests` keeps, in its order."""
    given = [i for i, t in enumerate(tests) if stress_level(t) is None]
    stress = [i for i, t in enumerate(tests) if stress_level(t) is not None]
    if which != "all":
        given = [i for i in given if tests[i].name != PLUS_TEST] or given
    if which == "stress":
        return stress or given
    if which == "both":
        return [*given, *stress]
    return given


def check_time_limits(
    reference: ProgramResult | None, floor_s: float, factor: float
) -> list[float] | None:
    """EvalPlus's per-test time limits, max(floor, factor x the reference's time on the test),
    in CPU time (the judge enforces them as CPU time, so load on the machine does not turn a
    slow-but-correct program into a time-out). None (the judge's default limits) without a
    reference that passed every test."""
    if reference is None or reference.verdict is not Verdict.PASSED:
        return None
    times = [t.check_cpu_s for t in reference.tests]
    if len(times) != reference.total or any(t is None for t in times):
        return None
    return [max(floor_s, factor * (t or 0.0)) for t in times]
