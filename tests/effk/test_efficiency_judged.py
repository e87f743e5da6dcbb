"""ENAMEL's evaluation through the real judge on a small generated problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfcodegen.efficiency import ProblemEfficiency, evaluate_efficiency, evaluate_problem
from perfcodegen.judge import Judge, JudgeConfig
from perfcodegen.problems.model import Problem
from perfcodegen.problems.stress import StressSpec, attach_stress_tests

GENERATOR = """
def generate_input(size, lid, cid):
    return random.sample(range(10 * size), size),  # distinct: the quadratic scan runs in full
"""
LINEAR = "def has_dup(xs):\n    return len(set(xs)) != len(xs)\n"
QUADRATIC = (
    "def has_dup(xs):\n"
    "    return any(xs[i] == xs[j] for i in range(len(xs)) for j in range(i + 1, len(xs)))\n"
)
WRONG = "def has_dup(xs):\n    return True\n"


@pytest.fixture
def problem(tmp_path: Path) -> Problem:
    spec = StressSpec(generator=GENERATOR, sizes=(10, 100, 1000, 3000), cases=(4, 2, 2, 2))
    base = Problem(
        id="t/has_dup", benchmark="t", native_id="has_dup", statement="", prompt="",
        entry_point="has_dup", references=[LINEAR], metadata={"extra": {"stress": spec.to_extra()}},
    )  # fmt: skip
    return attach_stress_tests([base], cache_dir=tmp_path)[0]


async def test_scores_order_and_rules(problem: Problem) -> None:
    async with Judge(JudgeConfig(workers=1)) as judge:
        report = await evaluate_efficiency(
            judge, [problem], {problem.id: [LINEAR, QUADRATIC, WRONG]}
        )
    [scored] = report.problems
    same, slow, wrong = scored.samples
    assert same.correct and same.score > 0.5
    assert slow.correct and slow.level_scores[3] == 0.0  # timed out at n=3000: zero, still correct
    assert slow.score < same.score
    assert (wrong.correct, wrong.score) == (False, 0.0)
    assert scored.eff_at(3) == pytest.approx(max(s.score for s in scored.samples))
    assert report.metric("pass", 1) == pytest.approx(2 / 3)
    assert scored.sample_growth[2] is None  # wrong at once: nothing to fit


async def test_growth_over_the_levels(problem: Problem) -> None:
    async with Judge(JudgeConfig(workers=1)) as judge:  # a time-out so generous nothing stops
        scored = await evaluate_problem(judge, problem, [QUADRATIC], alpha=100_000.0)
    assert isinstance(scored, ProblemEfficiency) and scored.reference_growth is not None
    [quadratic] = scored.sample_growth
    assert quadratic is not None and quadratic.slope > scored.reference_growth.slope + 0.5
