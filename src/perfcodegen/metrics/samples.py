"""Per-sample figures of a run (what `perfcodegen eval` prints): pass@k over the n samples of
each problem, verdict counts, and the timed samples against the fastest reference."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel

from perfcodegen.metrics.correctness import pass_at_k
from perfcodegen.metrics.records import SAMPLE_PHASE, ProblemOutcome

PASS_AT = (1, 10, 100)


class SampleSummary(BaseModel):
    tasks: int
    samples: int
    pass_at_k: dict[str, float]
    """pass@k (0-1) for each k in (1, 10, 100) that every task has samples for."""
    verdicts: dict[str, int]
    timed: int
    cost_unit: str
    """'s' (times) or 'instructions' (instruction counts)."""
    total_cost: float
    """Sum over timed samples of their cost (sum over timing tests)."""
    cost_ratio_geomean: float | None
    """Geometric mean over correct, timed samples of cost / the fastest reference's cost."""
    speedup_ratio_of_sums: float | None
    """Sum of reference costs / sum of sample costs over correct, timed samples."""
    timing_tests: str | None = None
    memory_kb_mean: float | None = None
    """Mean peak memory of the timed samples (`--memory`), net of the harness, in KiB."""
    reference_memory_kb_mean: float | None = None
    decisions: dict[str, int] = {}
    """%Opt decisions of the correct samples against the fastest reference (optimized,
    not_optimized, undecided, unresolved; `judge.stats`), beside the point-estimate ratios."""
    timed_tests: str | None = None
    """Which tests the figures were timed on (`timed_tests_note`)."""


def sample_summary(outcomes: list[ProblemOutcome]) -> SampleSummary:
    per_task = {o.problem_id: [c for c in o.candidates if c.phase == SAMPLE_PHASE] for o in outcomes}
    per_task = {task: samples for task, samples in per_task.items() if samples}
    least = min((len(s) for s in per_task.values()), default=0)
    pass_k = {
        f"pass@{k}": statistics.fmean(
            pass_at_k(len(s), sum(c.correct for c in s), k) for s in per_task.values()
        )
        for k in PASS_AT
        if k <= least
    }
    verdicts = Counter(c.verdict or "not judged" for s in per_task.values() for c in s)
    pairs = [
        (c.time_s, o.reference_time_s)
        for o in outcomes
        for c in o.candidates
        if c.phase == SAMPLE_PHASE and c.correct and c.time_s and o.reference_time_s
    ]
    timed = [c.time_s for s in per_task.values() for c in s if c.time_s is not None]
    units = {o.cost_unit for o in outcomes}
    return SampleSummary(
        tasks=len(per_task),
        samples=sum(len(s) for s in per_task.values()),
        pass_at_k=pass_k,
        verdicts=dict(sorted(verdicts.items())),
        timed=len(timed),
        cost_unit=units.pop() if len(units) == 1 else "s",
        total_cost=sum(timed),
        cost_ratio_geomean=(
            math.exp(statistics.fmean(math.log(t / r) for t, r in pairs)) if pairs else None
        ),
        speedup_ratio_of_sums=(sum(r for _, r in pairs) / sum(t for t, _ in pairs)) if pairs else None,
        timing_tests=next((o.timing_tests for o in outcomes), None),
        memory_kb_mean=_mean(c.memory_kb for s in per_task.values() for c in s),
        reference_memory_kb_mean=_mean(o.reference_memory_kb for o in outcomes),
        decisions=dict(
            sorted(Counter(c.decision for s in per_task.values() for c in s if c.decision).items())
        ),
        timed_tests=timed_tests_note(outcomes),
    )


def _mean(values: Iterable[float | int | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return statistics.fmean(present) if present else None


def timed_tests_note(outcomes: Iterable[ProblemOutcome]) -> str | None:
    """Which tests the figures were timed on, e.g. 'Timed tests: stress inputs at level 2
    for 30 problems, given tests for 4 (verdicts and pass@k: always the benchmark's own).'"""
    kinds = Counter(
        f"stress inputs at level {o.timed_level}" if o.timed_level is not None
        else f"{o.timing_tests} tests"
        for o in outcomes
        if o.reference_time_s is not None or any(c.time_s is not None for c in o.candidates)
    )
    if not kinds:
        return None
    parts = ", ".join(f"{kind} for {count} problem(s)" for kind, count in sorted(kinds.items()))
    return f"Timed tests: {parts} (verdicts and pass@k: always the benchmark's own tests)."
