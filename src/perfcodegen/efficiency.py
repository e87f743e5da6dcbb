"""ENAMEL's evaluation through the judge: programs on stress levels, then eff@k and pass@k.

Each program is timed level by level on the problem's stress tests (WALL mode: fresh process
per run, CPU time read by the fork server). A level stops the program when one of its runs
fails, or exceeds ENAMEL's time-out T + tolerance, or the judge's own limit, which is set to
what the level's runs may take at most under that time-out. ENAMEL's rules then turn the
level times into a score (`metrics/effk.py`).

Departures from ENAMEL's own harness, all on the measuring side: run times are CPU times of
one cold call in a fresh process (theirs: wall time of a call in a reused process), and the
reference is timed in the same session as the samples, not on another machine.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from perfcodegen.judge.judge import Judge
from perfcodegen.judge.model import Limits, MeasureMode, TestOutcome, Verdict
from perfcodegen.metrics.correctness import pass_at_k
from perfcodegen.metrics.effk import (
    DEFAULT_ALPHA,
    DEFAULT_HARDNESS,
    DEFAULT_TOLERANCE_S,
    LevelRun,
    SampleEfficiency,
    eff_at_k,
    reference_timeout,
    sample_efficiency,
)
from perfcodegen.metrics.growth import GrowthFit, fit_growth
from perfcodegen.metrics.records import SAMPLE_PHASE
from perfcodegen.problems.stress import STRESS_OUTPUT_BYTES
from perfcodegen.store import RunStore
from perfcodegen.store.records import CandidateRecord
from perfcodegen.vocabulary import Problem, TestCase
from perfcodegen.vocabulary.stress import stress_level, stress_size

ENAMEL_REPEATS = 6
"""ENAMEL's repeats per case on the levels that count."""
UNBOUNDED_S = 10.0
"""The judge's limit while the time-out is not known yet (the reference's own run)."""


@dataclass
class ProblemEfficiency:
    problem_id: str
    reference_levels_s: list[float]
    samples: list[SampleEfficiency] = field(default_factory=list)
    reference_growth: GrowthFit | None = None
    sample_growth: list[GrowthFit | None] = field(default_factory=list)
    """Per sample: time against input size over the levels it completed (None: too few)."""

    def eff_at(self, k: int) -> float:
        return eff_at_k([s.score for s in self.samples], k)

    def pass_at(self, k: int) -> float:
        return pass_at_k(len(self.samples), sum(s.correct for s in self.samples), k)


@dataclass
class EfficiencyReport:
    problems: list[ProblemEfficiency]
    skipped: dict[str, str] = field(default_factory=dict)
    """Problem id -> why it was not scored (e.g. the reference failed its stress tests)."""

    def metric(self, name: str, k: int) -> float | None:
        scored = [p for p in self.problems if len(p.samples) >= k]
        if not scored:
            return None
        values = [p.eff_at(k) if name == "eff" else p.pass_at(k) for p in scored]
        return sum(values) / len(values)


def growth(runs: Sequence[LevelRun], sizes: Sequence[int]) -> GrowthFit | None:
    """Growth over the completed levels: one point per case (its median repeat time)."""
    points = [
        (float(size), statistics.median(case))
        for run, size in zip(runs, sizes, strict=False)
        if not (run.wrong or run.timed_out)
        for case in run.case_times
        if case
    ]
    try:
        return fit_growth([p[0] for p in points], [p[1] for p in points])
    except ValueError:  # fewer than two sizes
        return None


def levels_of(problem: Problem) -> list[list[TestCase]]:
    """The problem's stress tests grouped by level, in level order."""
    grouped: dict[int, list[TestCase]] = {}
    for test in problem.tests:
        level = stress_level(test)
        if level is not None:
            grouped.setdefault(level, []).append(test)
    return [grouped[level] for level in sorted(grouped)]


async def run_levels(
    judge: Judge,
    problem: Problem,
    program: str,
    hardness: Sequence[float],
    timeout_s: float | None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> list[LevelRun]:
    """`program` level by level, stopping at the first wrong answer or time-out."""
    runs: list[LevelRun] = []
    for index, tests in enumerate(levels_of(problem)):
        repeats = ENAMEL_REPEATS if hardness[index] > 0 else 1
        if timeout_s is None:
            limit = UNBOUNDED_S
        else:
            limit = min(UNBOUNDED_S, (timeout_s + tolerance_s) * (repeats + 2) + 0.5)
        limits = Limits(wall_time_s=limit, cpu_time_s=limit, output_bytes=STRESS_OUTPUT_BYTES)
        job = judge.make_job([program], problem, MeasureMode.WALL, tests).model_copy(
            update={"repeats": repeats, "limits": limits}
        )
        result = (await judge.run(job)).result
        run = level_run(result.tests, len(tests), timeout_s, tolerance_s)
        runs.append(run)
        if run.wrong or run.timed_out:
            break
    return runs


def level_run(
    outcomes: list[TestOutcome], total: int, timeout_s: float | None, tolerance_s: float
) -> LevelRun:
    slow = (Verdict.TIMEOUT, Verdict.MEMORY_LIMIT)
    if any(o.verdict in slow for o in outcomes):
        return LevelRun(timed_out=True)
    if len(outcomes) < total or any(o.verdict is not Verdict.PASSED for o in outcomes):
        return LevelRun(wrong=True)
    cases = tuple(tuple(o.times_s) for o in outcomes)
    if timeout_s is not None and any(t > timeout_s + tolerance_s for case in cases for t in case):
        return LevelRun(timed_out=True)
    return LevelRun(case_times=cases)


async def evaluate_problem(
    judge: Judge,
    problem: Problem,
    programs: Sequence[str],
    hardness: Sequence[float] = DEFAULT_HARDNESS,
    alpha: float = DEFAULT_ALPHA,
) -> ProblemEfficiency | str:
    """Scores of `programs` against the problem's reference, or why there are none."""
    if not problem.references:
        return "no reference"
    reference_runs = await run_levels(judge, problem, problem.references[0], hardness, None)
    if len(reference_runs) != len(hardness) or any(r.wrong or r.timed_out for r in reference_runs):
        return "the reference does not pass every stress level"
    reference_levels = [r.time_s for r in reference_runs]
    timeout = reference_timeout(reference_levels, hardness, alpha)
    sizes = [stress_size(level[0]) or 0 for level in levels_of(problem)]
    report = ProblemEfficiency(problem.id, reference_levels, [], growth(reference_runs, sizes))
    for program in programs:
        runs = await run_levels(judge, problem, program, hardness, timeout)
        report.samples.append(sample_efficiency(runs, reference_levels, hardness, alpha))
        report.sample_growth.append(growth(runs, sizes))
    return report


async def evaluate_efficiency(
    judge: Judge,
    problems: Sequence[Problem],
    solutions: dict[str, list[str]],
    on_done: Callable[[ProblemEfficiency | str, Problem], None] | None = None,
) -> EfficiencyReport:
    """Every problem with solutions and stress tests; problems are judged one at a time so
    that a problem's reference and samples share the machine's conditions."""
    scored: list[ProblemEfficiency] = []
    skipped: dict[str, str] = {}
    for problem in problems:
        programs = solutions.get(problem.id)
        if not programs:
            continue
        if not levels_of(problem):
            skipped[problem.id] = "no stress tests"
            continue
        outcome = await evaluate_problem(judge, problem, programs)
        if on_done is not None:
            on_done(outcome, problem)
        if isinstance(outcome, str):
            skipped[problem.id] = outcome
        else:
            scored.append(outcome)
    return EfficiencyReport(scored, skipped)


def sample_programs(candidates: Sequence[CandidateRecord], k: int) -> list[str]:
    """One program per sample index below k, as the run left it: the sample's last correct
    candidate (its refinement when one succeeded), else its last candidate (which scores 0)."""
    by_sample: dict[int, list[CandidateRecord]] = {}
    for record in candidates:
        if record.sample_index < k and record.code:
            by_sample.setdefault(record.sample_index, []).append(record)
    programs = []
    for index in sorted(by_sample):
        ordered = sorted(by_sample[index], key=lambda r: (r.phase != SAMPLE_PHASE, r.round))
        correct = [r for r in ordered if r.correct]
        chosen = (correct or ordered)[-1]
        assert chosen.code is not None
        programs.append(chosen.code)
    return programs


async def run_efficiency(
    judge: Judge, problems: Sequence[Problem], store: RunStore, k: int
) -> EfficiencyReport:
    """eff@k of a finished run's samples (problems with their stress tests attached)."""
    solutions = {p.id: sample_programs(store.candidates(p.id), k) for p in problems}
    return await evaluate_efficiency(judge, problems, solutions)
