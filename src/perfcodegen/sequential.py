"""Repeat until decided: paired rounds in batches, pooled, with ratio intervals and decisions.

`measuring.measure_programs` times programs with `paired_timing`. Paired mode times all
programs alternately, test by test, in rounds (A B / B A, each run a fresh process). The
first batch times every program; each candidate then gets a ratio to the fastest reference
with a 95% interval (`judge.stats`: Student t on per-round log ratios of the resolved tests).
While a candidate's interval straddles the %Opt threshold, a further batch of rounds times it
again with that reference only (a job of its own, `JudgeJob.round`), and the runs are pooled;
it stops when every interval clears the threshold or the budget (`Rounds`) is spent, so the
budget goes where the decision is close. The paper protocols take one fixed batch of E rounds.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from perfcodegen.judge.model import JudgeResult, MeasureMode, ProgramResult, trimmed_mean
from perfcodegen.judge.stats import (
    Decision,
    RatioInterval,
    decide,
    log_ratio_interval,
    resolution,
    resolved,
    round_log_ratios,
    round_totals,
)
from perfcodegen.vocabulary import TestCase
from perfcodegen.vocabulary.stress import stress_level

OPT_RATIO = 0.9
"""Eq. 3: optimized means a time below 0.9 x the fastest reference's (the decision's threshold)."""


class RunJob(Protocol):
    """`ProblemSession.run_job`: a judge job of these programs on these tests (content
    addressed); `repeats` and `round_index` set a timed batch's size and number."""

    def __call__(
        self,
        programs: list[str],
        tests: list[TestCase],
        mode: MeasureMode,
        *,
        repeats: int | None = None,
        round_index: int = 0,
        time_limits_s: list[float] | None = None,
        fresh_processes: bool = False,
    ) -> Awaitable[JudgeResult]: ...


@dataclass(frozen=True)
class Rounds:
    """How many paired rounds a measurement takes. Fixed: one batch of `first` rounds (the
    papers' E). Adaptive: batches of `batch` rounds after the first while a decision is open,
    up to `max_rounds` per stress level, and per problem `max_runs` runs (each a fresh
    process: their count is what a sweep's CPU grows with) and `cpu_budget_s` of measured
    CPU (what slow programs spend)."""

    adaptive: bool = True
    first: int = 6
    batch: int = 6
    max_rounds: int = 30
    max_runs: int = 1500
    cpu_budget_s: float = 20.0
    threshold: float = OPT_RATIO

    def spent(self, timing: Timing) -> bool:
        return timing.runs >= self.max_runs or timing.cpu_s >= self.cpu_budget_s

    @classmethod
    def fixed(cls, repeats: int) -> Rounds:
        return cls(adaptive=False, first=repeats)


@dataclass
class Measured:
    cost: float | None
    """Seconds (sum over tests of trimmed means) or instructions, per the run's measure."""
    per_test: list[float] | None
    memory_kb: int | None = None
    rounds: int | None = None
    """Timed runs per test behind the figures (pooled over batches)."""
    ratio: RatioInterval | None = None
    """Paired mode: time / the fastest reference's, over the resolved tests, with its interval."""
    decision: Decision | None = None
    per_test_ratio: list[RatioInterval | None] | None = None
    """Per timing test: the ratio and interval (None: unresolved, or too few rounds)."""
    unresolved_tests: int = 0
    failure: str | None = None
    """Why timing failed (e.g. a time-out on a stress level); the verdict is not changed."""


NOT_MEASURED = Measured(None, None)


@dataclass
class Timing:
    """One problem's measurement: each distinct program's figures and how they were taken."""

    programs: dict[str, Measured] = field(default_factory=dict)
    tests: list[TestCase] = field(default_factory=list)
    """The tests the figures cover (one stress level when a smaller one did not decide)."""
    level: int | None = None
    """The stress level timed; None for given tests."""
    resolution_s: float | None = None
    """The smallest net time measured (`judge.stats.resolution` of the harness's spread)."""
    cpu_s: float = 0.0
    """Measured CPU seconds of the timed runs (net times plus the harness's overhead)."""
    runs: int = 0
    """Runs (fresh processes) the measurement took: check, warm-up, timed and null runs."""
    batches: int = 0

    def get(self, source: str | None) -> Measured:
        return self.programs.get(source or "", NOT_MEASURED)


def failure_text(result: ProgramResult) -> str:
    failed = result.first_failure
    where = f" on timing test {failed.index}" if failed is not None else ""
    return f"{result.verdict.value}{where} while being timed"


def stages(tests: list[TestCase], adaptive: bool) -> list[tuple[int | None, list[TestCase]]]:
    """The groups of tests timed one after another: each stress level on its own, smallest
    first, when every test is a stress test and rounds are adaptive; else all at once."""
    levels = [stress_level(t) for t in tests]
    if not adaptive or not tests or any(level is None for level in levels):
        return [(None, tests)]
    order = sorted({level for level in levels if level is not None})
    return [(lv, [t for t, own in zip(tests, levels, strict=True) if own == lv]) for lv in order]


async def paired_timing(
    run_job: RunJob,
    programs: list[str],
    tests: list[TestCase],
    references: Sequence[str],
    rounds: Rounds,
) -> Timing:
    """Paired figures, stage by stage. On stress levels (adaptive rounds) the references alone
    first probe the levels, smallest first, with one check run per test (a fresh process
    each), up to the first level where they take `LEVEL_FLOOR_S` of CPU per test (else the
    largest they pass): that level decides, and a larger one is timed only while a decision
    is open and budget is left. A level the references fail keeps the smaller level's figures."""
    plan = stages(tests, rounds.adaptive)
    account = Timing()
    first = await _start_level(run_job, plan, references, account) if len(plan) > 1 else 0
    best: Timing | None = None
    failed: dict[str, Measured] = {}
    active = programs
    for level, group in plan[first:]:
        timing = await _stage(run_job, active, group, references, rounds, account)
        timing.level = level
        account = timing
        if best is not None and _fastest_reference(timing, references) is None:
            best.cpu_s, best.runs, best.batches = timing.cpu_s, timing.runs, timing.batches
            break
        failed.update({s: m for s, m in timing.programs.items() if m.failure is not None})
        best = timing
        open_ = [s for s, m in timing.programs.items() if m.decision in _OPEN]
        if not set(open_) - set(references) or rounds.spent(timing):
            break
        active = [s for s, m in timing.programs.items() if m.cost is not None]
    assert best is not None
    for source, measured in failed.items():  # failed at a level: no figures, the failure told
        best.programs[source] = measured
    return best


_OPEN = (Decision.UNDECIDED, Decision.UNRESOLVED)
LEVEL_FLOOR_S = 1e-3
"""A stress level decides when its fastest reference's check runs take this much CPU per
test (median; the harness's ~0.2 ms included): its ratios then do not hinge on microseconds,
and the level is chosen the same way in every sweep (the levels' sizes differ by large
factors). A probe costs one run per test; a timed round several."""
PROBE_RUNS = 2
"""Check runs per test when the references probe a level."""
STRESS_TIME_LIMIT_S = 2.0
"""CPU limit of each check run on a stress level while timing (a program over it, often a
slow reference, is not timed at that level; its verdict is the given tests')."""


def _limits(tests: list[TestCase], rounds: Rounds) -> list[float] | None:
    stress = any(stress_level(t) is not None for t in tests)
    return [STRESS_TIME_LIMIT_S] * len(tests) if stress and rounds.adaptive else None


async def _start_level(
    run_job: RunJob,
    plan: list[tuple[int | None, list[TestCase]]],
    references: Sequence[str],
    account: Timing,
) -> int:
    """The stage that decides: see `paired_timing`."""
    if not references:
        return 0
    chosen = 0
    for index, (_, group) in enumerate(plan):
        probes = []
        for reference in references:
            checks = await _probe(run_job, reference, group, account)
            if checks is not None:
                probes.append(statistics.median(checks))
        if not probes:
            return chosen
        chosen = index
        if min(probes) >= LEVEL_FLOOR_S:
            return index
    return chosen


async def _probe(
    run_job: RunJob, reference: str, tests: list[TestCase], account: Timing
) -> list[float] | None:
    """Per test, the smaller CPU time of two check runs (load only ever adds to a run's CPU
    time, so the smaller is the steadier); None when the reference fails the level."""
    checks: list[list[float]] = []
    for attempt in range(PROBE_RUNS):
        result = (
            await run_job(
                [reference], tests, MeasureMode.CHECK, round_index=attempt,
                time_limits_s=[STRESS_TIME_LIMIT_S] * len(tests), fresh_processes=True,
            )
        ).result  # fmt: skip
        account.runs += len(result.tests)
        times = [t.check_cpu_s for t in result.tests]
        if not result.ok or None in times:
            return None
        checks.append([t or 0.0 for t in times])
    return [min(runs) for runs in zip(*checks, strict=True)]


async def _stage(
    run_job: RunJob,
    programs: list[str],
    tests: list[TestCase],
    references: Sequence[str],
    rounds: Rounds,
    account: Timing,
) -> Timing:
    """Batches of rounds on one group of tests until every decision is made or the budget
    is spent (one batch in fixed mode); the totals go on from `account`'s."""
    batches: dict[str, dict[int, ProgramResult]] = {p: {} for p in programs}
    failures: dict[str, str] = {}
    timing = Timing(tests=tests, cpu_s=account.cpu_s, runs=account.runs, batches=account.batches)
    limits = _limits(tests, rounds)
    active, index, taken = list(programs), 0, 0
    while True:
        size = rounds.first if index == 0 else rounds.batch
        job = await run_job(
            active, tests, MeasureMode.PAIRED, repeats=size, round_index=index, time_limits_s=limits
        )
        for source, result in zip(active, job.programs, strict=False):
            if result.ok:
                batches[source][index] = result
            else:
                failures[source] = failure_text(result)
        _account(timing, job.programs)
        timing.batches += 1
        taken += size
        index += 1
        _figures(timing, batches, failures, references, rounds.threshold)
        fastest = _fastest_reference(timing, references)
        undecided = [  # the references are compared with, not decided about
            s
            for s, m in timing.programs.items()
            if m.decision is Decision.UNDECIDED and s not in references
        ]
        if (
            not rounds.adaptive
            or fastest is None
            or not undecided
            or taken + rounds.batch > rounds.max_rounds
            or rounds.spent(timing)
        ):
            return timing
        active = [fastest, *undecided]


def _account(timing: Timing, results: list[ProgramResult]) -> None:
    """Add one job's runs and measured CPU: every run's net time plus the harness, one check
    and one warm-up run per program and test, and the null runs (every other round)."""
    for result in results:
        for test in result.tests:
            runs = len(test.times_s)
            timing.cpu_s += sum(test.times_s) + 1.5 * (test.overhead_s or 0.0) * runs
            timing.runs += runs + 2
    if results:
        timing.runs += sum((len(t.times_s) + 1) // 2 for t in results[0].tests)


def _fastest_reference(timing: Timing, references: Sequence[str]) -> str | None:
    timed = [(timing.programs[r].cost, r) for r in references if timing.get(r).cost is not None]
    return min(timed, key=lambda pair: pair[0] or 0.0)[1] if timed else None


def _figures(
    timing: Timing,
    batches: dict[str, dict[int, ProgramResult]],
    failures: dict[str, str],
    references: Sequence[str],
    threshold: float,
) -> None:
    """Pooled figures of every program, then each one's ratio and decision against the
    fastest reference."""
    spreads = [
        t.overhead_spread_s for runs in batches.values() for r in runs.values() for t in r.tests
    ]
    limit = resolution(spreads)
    timing.resolution_s = limit
    pooled: dict[str, list[list[float]]] = {}
    for source, runs in batches.items():
        if source in failures or not runs:
            timing.programs[source] = Measured(None, None, failure=failures.get(source))
            continue
        per_test = [
            [x for r in runs.values() for x in r.tests[i].times_s] for i in range(len(timing.tests))
        ]
        pooled[source] = per_test
        means = [_trimmed(times) for times in per_test]
        timing.programs[source] = Measured(
            sum(means), means, rounds=min((len(t) for t in per_test), default=0)
        )
    fastest = _fastest_reference(timing, references)
    if fastest is None:
        return
    for source, per_test in pooled.items():
        if source == fastest:  # a candidate that is this reference cannot be faster than it
            rounds = timing.programs[source].rounds or 0
            timing.programs[source].ratio = RatioInterval(1.0, 1.0, 1.0, rounds)
            timing.programs[source].decision = Decision.NOT_OPTIMIZED
            continue
        measured = timing.programs[source]
        usable = [
            i
            for i in range(len(timing.tests))
            if resolved(per_test[i], limit) and resolved(pooled[fastest][i], limit)
        ]
        measured.unresolved_tests = len(timing.tests) - len(usable)
        measured.per_test_ratio = [
            _test_interval(batches[source], batches[fastest], i) if i in usable else None
            for i in range(len(timing.tests))
        ]
        if not usable:
            measured.decision = _bounded(per_test, pooled[fastest], limit, threshold)
            continue
        measured.ratio = _program_interval(batches[source], batches[fastest], usable)
        measured.decision = decide(measured.ratio, threshold)


def _bounded(
    own: list[list[float]], reference: list[list[float]], limit: float, threshold: float
) -> Decision:
    """No test is resolved for both programs. Where every test of one program is within the
    harness's resolution while the other's resolved tests take `BOUND_MARGIN` times that,
    the bound alone decides (optimized, or not); else unresolved. The margin keeps two
    programs that both sit near the resolution unresolved, in every sweep."""
    if _clearly_above(reference, own, limit):
        return Decision.OPTIMIZED if threshold > 1 / BOUND_MARGIN else Decision.UNRESOLVED
    if _clearly_above(own, reference, limit):
        return Decision.NOT_OPTIMIZED if threshold <= BOUND_MARGIN else Decision.UNRESOLVED
    return Decision.UNRESOLVED


BOUND_MARGIN = 3.0
"""How far above the resolution the other program's tests must run for a bound to decide."""


def _clearly_above(slow: list[list[float]], fast: list[list[float]], limit: float) -> bool:
    measured = [i for i, times in enumerate(slow) if resolved(times, limit)]
    return (
        bool(measured)
        and not any(resolved(times, limit) for times in fast)
        and all(statistics.median(slow[i]) >= BOUND_MARGIN * limit for i in measured)
    )


def _trimmed(times: list[float]) -> float:
    return trimmed_mean(times) or 0.0


def _common(
    own: dict[int, ProgramResult], other: dict[int, ProgramResult]
) -> list[tuple[ProgramResult, ProgramResult]]:
    """The batches both programs were timed in (their rounds are paired)."""
    return [(own[b], other[b]) for b in sorted(own) if b in other]


def _test_interval(
    own: dict[int, ProgramResult], other: dict[int, ProgramResult], index: int
) -> RatioInterval | None:
    logs = [
        x
        for a, b in _common(own, other)
        for x in round_log_ratios(a.tests[index].times_s, b.tests[index].times_s)
    ]
    return log_ratio_interval(logs)


def _program_interval(
    own: dict[int, ProgramResult], other: dict[int, ProgramResult], usable: list[int]
) -> RatioInterval | None:
    logs: list[float] = []
    for a, b in _common(own, other):
        mine = round_totals([a.tests[i].times_s for i in usable])
        theirs = round_totals([b.tests[i].times_s for i in usable])
        logs.extend(round_log_ratios(mine, theirs))
    return log_ratio_interval(logs)
