"""Measuring a set of correct programs in one session: the figures metrics are built on.

Shared by `perfcodegen run` (final timing of candidates, references and input programs) and
`perfcodegen eval`. Paired mode (the default) runs all programs alternately in the same child
per test, so their times are taken under the same machine conditions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from perfcodegen.judge.model import JudgeResult, MeasureMode, ProgramResult
from perfcodegen.problems.model import TestCase

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
    if not distinct:
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
