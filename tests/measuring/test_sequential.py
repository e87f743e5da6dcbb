"""Repeat until decided (`measuring.Rounds`), with the real judge: run counts, never clocks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from perfcodegen.judge import Judge, JudgeConfig
from perfcodegen.judge.model import JudgeResult, MeasureMode
from perfcodegen.judge.stats import Decision
from perfcodegen.measuring import Rounds, RunJob, Timing, measure_programs
from perfcodegen.vocabulary import Problem, TestCase

N = 40_000
REFERENCE = "def f(n):\n    sum(range(n))\n    return sum(range(n))\n"
THREE_TIMES = "def f(n):\n    for _ in range(5):\n        sum(range(n))\n    return sum(range(n))\n"
CLOSE = "def f(n):\n    sum(range(n * 4 // 5))\n    return sum(range(n))\n"
"""0.9 x the reference's work: on the threshold, so its interval straddles it."""
TRIVIAL = "def f(n):\n    return n * (n - 1) // 2\n"
ALSO_TRIVIAL = "def f(n):\n    return (n * n - n) // 2\n"
ROUNDS = Rounds(first=4, batch=4, max_rounds=16, cpu_budget_s=120.0)


def problem(tests: list[TestCase]) -> Problem:
    return Problem(
        id="t/sum", benchmark="t", native_id="sum", statement="", prompt="",
        entry_point="f", references=[REFERENCE], tests=tests,
    )  # fmt: skip


def judge_jobs(judge: Judge, owner: Problem) -> RunJob:
    """The session's run_job without its store: each batch is a fresh job of the real judge."""

    def run(
        programs: list[str],
        tests: list[TestCase],
        mode: MeasureMode,
        *,
        repeats: int | None = None,
        round_index: int = 0,
        time_limits_s: list[float] | None = None,
        fresh_processes: bool = False,
    ) -> Awaitable[JudgeResult]:
        job = judge.make_job(programs, owner, mode, tests, time_limits_s=time_limits_s)
        job = job.model_copy(update={"fresh_process_per_test": fresh_processes})
        return judge.run(
            job.model_copy(update={"repeats": repeats or job.repeats, "round": round_index})
        )

    return run


def measure(programs: list[str], rounds: Rounds, tests: list[TestCase] | None = None) -> Timing:
    given = tests or [TestCase.call([N + i], (N + i) * (N + i - 1) // 2) for i in range(3)]
    owner = problem(given)

    async def go() -> Timing:
        async with Judge(JudgeConfig(workers=1)) as judge:
            return await measure_programs(
                judge_jobs(judge, owner), programs, given, "paired", False,
                references=[programs[0]], rounds=rounds,
            )  # fmt: skip

    return asyncio.run(go())


def test_a_clear_case_stops_at_the_first_batch_and_a_close_one_gets_more_rounds() -> None:
    timing = measure([REFERENCE, THREE_TIMES, CLOSE], ROUNDS)
    slow, close = timing.get(THREE_TIMES), timing.get(CLOSE)
    assert slow.decision is Decision.NOT_OPTIMIZED
    assert slow.ratio is not None and slow.ratio.low > 2.0
    assert slow.rounds == ROUNDS.first
    assert close.rounds is not None and close.rounds > ROUNDS.first
    assert timing.get(REFERENCE).rounds == close.rounds  # the reference is timed alongside
    assert timing.batches >= 2
    per_test = slow.per_test_ratio
    assert per_test is not None and all(r is not None and r.low > 1.5 for r in per_test)


def test_fixed_rounds_take_one_batch_whatever_the_decision() -> None:
    timing = measure([REFERENCE, CLOSE], Rounds.fixed(4))
    assert timing.batches == 1
    assert timing.get(CLOSE).rounds == 4
    assert timing.get(CLOSE).decision is not None


def test_tests_within_the_harness_spread_are_unresolved_not_divided() -> None:
    tests = [TestCase.call([n], n * (n - 1) // 2) for n in (3, 4, 5)]
    timing = measure([TRIVIAL, ALSO_TRIVIAL], Rounds(first=4, max_rounds=4), tests)
    trivial = timing.get(ALSO_TRIVIAL)
    assert trivial.decision is Decision.UNRESOLVED
    assert trivial.ratio is None and trivial.unresolved_tests == 3
    assert trivial.per_test_ratio == [None, None, None]
    assert timing.resolution_s is not None and timing.resolution_s >= 1e-6
    assert trivial.cost is not None  # the paper's point figure is still reported


def test_stress_levels_stop_at_the_first_level_that_decides() -> None:
    """L0 is below the level floor (microseconds): the reference alone probes it; L1 decides
    the 3x slower program, so L2 (ten times larger) is never timed."""
    sizes = {0: 10, 1: 300_000, 2: 3_000_000}
    tests = [
        TestCase.call([n], n * (n - 1) // 2, name=f"stress/L{level}/C{case}/n={n}")
        for level, n in sizes.items()
        for case in range(2)
    ]
    timing = measure([REFERENCE, THREE_TIMES], ROUNDS, tests)
    assert timing.level == 1 and [t.name for t in timing.tests] == [
        "stress/L1/C0/n=300000",
        "stress/L1/C1/n=300000",
    ]
    slow = timing.get(THREE_TIMES)
    assert slow.decision is Decision.NOT_OPTIMIZED and slow.rounds == ROUNDS.first


def test_a_program_within_the_harness_spread_against_a_slow_reference_is_optimized() -> None:
    """The closed form runs in microseconds (unresolved), the reference in milliseconds:
    no ratio, but the bound alone decides."""
    timing = measure([REFERENCE, TRIVIAL], Rounds(first=4, max_rounds=4))
    fast = timing.get(TRIVIAL)
    assert fast.decision is Decision.OPTIMIZED and fast.ratio is None
    assert fast.unresolved_tests == 3
