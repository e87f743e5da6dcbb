"""Measuring a set of correct programs in one session: the figures metrics are built on.

Shared by `perfcodegen run` (final timing of candidates, references and input programs) and
`perfcodegen eval`. Paired mode (the default) times all programs alternately in rounds, and
repeats until each %Opt decision is made (`perfcodegen.sequential`); correctness is always
taken on the benchmark's own tests (`correctness_tests`).
"""

from __future__ import annotations

from collections.abc import Sequence

from perfcodegen.judge.model import MeasureMode, ProgramResult, Verdict
from perfcodegen.sequential import (
    NOT_MEASURED,
    Measured,
    Rounds,
    RunJob,
    Timing,
    failure_text,
    paired_timing,
)
from perfcodegen.vocabulary import TestCase
from perfcodegen.vocabulary.stress import stress_level

__all__ = ["NOT_MEASURED", "Measured", "Rounds", "RunJob", "Timing", "measure_programs"]

PLUS_TEST = "plus"
"""The label of EvalPlus's generated inputs (`TestCase.name`)."""


async def measure_programs(
    run_job: RunJob,
    programs: list[str],
    tests: list[TestCase],
    measure: str,
    memory: bool,
    *,
    references: Sequence[str] = (),
    rounds: Rounds | None = None,
) -> Timing:
    """Figures of each distinct program; a program that fails while being timed (a stress
    input it times out on) gets its failure and no cost. `references`: the programs the
    others are compared with (their fastest, in paired mode)."""
    distinct = list(dict.fromkeys(programs))
    if not distinct or measure == "none":
        return Timing()
    rounds = rounds or Rounds()
    if measure == "paired" and (len(distinct) > 1 or rounds.adaptive):
        timing = await paired_timing(run_job, distinct, tests, references, rounds)
    else:
        timing = Timing(tests=tests)
        if measure == "instructions":
            results = (await run_job(distinct, tests, MeasureMode.INSTRUCTIONS)).programs
        else:
            results = [(await run_job([p], tests, MeasureMode.WALL)).result for p in distinct]
        for source, result in zip(distinct, results, strict=False):
            timing.programs[source] = _single(result, measure)
    if memory:
        for source, figures in timing.programs.items():
            if figures.cost is not None:
                peak = (await run_job([source], timing.tests, MeasureMode.MEMORY)).result
                figures.memory_kb = peak.peak_memory_kb if peak.ok else None
    return timing


def _single(result: ProgramResult, measure: str) -> Measured:
    if not result.ok:
        return Measured(None, None, failure=failure_text(result))
    if measure == "instructions":
        counts = [float(t.instructions or 0) for t in result.tests]
        return Measured(float(sum(counts)), counts)
    per_test = [t.trimmed_mean_s or 0.0 for t in result.tests]
    return Measured(result.total_time_s, per_test, rounds=min(len(t.times_s) for t in result.tests))


def interval_fields(measured: Measured) -> dict[str, object]:
    """A program's uncertainty, as `CandidateOutcome` fields."""
    ratio = measured.ratio
    per_test = measured.per_test_ratio
    return {
        "ratio": ratio.estimate if ratio else None,
        "ratio_low": ratio.low if ratio else None,
        "ratio_high": ratio.high if ratio else None,
        "decision": measured.decision.value if measured.decision else None,
        "rounds": measured.rounds,
        "per_test_ratio": (
            [[r.estimate, r.low, r.high] if r else None for r in per_test] if per_test else None
        ),
        "unresolved_tests": measured.unresolved_tests,
        "timing_failure": measured.failure,
    }


def correctness_tests(tests: list[TestCase], stress_is_own: bool) -> list[TestCase]:
    """The tests verdicts (pass@k, %Correct) are taken on: the benchmark's own. Stress tests
    attached only for timing are left out, so which tests are timed never changes a verdict;
    `stress_is_own`: the benchmark's tests are stress levels (ENAMEL)."""
    if stress_is_own:
        return tests
    given = [t for t in tests if stress_level(t) is None]
    return given if len(given) < len(tests) else tests


def timing_tests(tests: list[TestCase], which: str) -> list[TestCase]:
    """The tests timing runs on (`RunConfig.timing_tests`): 'given' = the benchmark's own
    tests without EvalPlus's generated inputs (hundreds of tiny inputs per problem add judge
    time, not information about speed); 'all' = with them; 'stress' = the stress tests
    (`problems.stress`); 'both' = given then stress. A problem without the chosen kind falls
    back to its given tests, so every problem is still timed."""
    return [tests[i] for i in timing_positions(tests, which)]


def timing_tests_applied(tests: list[TestCase], which: str) -> str:
    """The `timing_tests` setting as it applied to a problem's `tests`: 'stress' or 'both'
    where the problem has no stress test timed its given tests, and says so ('given')."""
    if which in ("stress", "both") and all(stress_level(t) is None for t in tests):
        return "given"
    return which


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
