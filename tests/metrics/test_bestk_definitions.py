"""The paper's and the released code's Best@k definitions, on hand-computed cases."""

from __future__ import annotations

import pytest

from perfcodegen.metrics.bestk import View, best_at_k, final_program, score_problem, summarize
from perfcodegen.metrics.records import ProblemOutcome
from support.outcomes import cand


def constructed_case() -> ProblemOutcome:
    """Sample 0 is correct at 0.5 s but its refinement is wrong; sample 1 is correct at 1.0 s
    and its refinement is correct at 0.95 s."""
    return ProblemOutcome(
        problem_id="humaneval/HumanEval/0",
        reference_time_s=1.0,
        candidates=[
            cand("s0", 0, "sample", True, 0.5),
            cand("s1", 1, "sample", True, 1.0),
            cand("s0p", 0, "performance", False, 0.2),
            cand("s1p", 1, "performance", True, 0.95),
        ],
    )


def test_the_two_selection_rules_disagree_on_the_constructed_case() -> None:
    outcome = constructed_case()
    paper = final_program(outcome, 2, View.METHOD)
    released = final_program(outcome, 2, View.METHOD, "last-round-per-sample")
    assert paper is not None and paper.time_s == 0.95  # the fastest correct refinement
    assert released is not None and released.time_s == 0.5  # s0's round failed: s0 itself


def test_released_rule_takes_the_last_round_not_the_fastest() -> None:
    outcome = ProblemOutcome(
        problem_id="P",
        reference_time_s=1.0,
        candidates=[
            cand("s0", 0, "sample", False),
            cand("s0c", 0, "correctness", True, 0.9),
            cand("s0p1", 0, "performance", True, 0.3),
            cand("s0p2", 0, "performance", True, 0.6),
        ],
    )
    outcome.candidates[3] = outcome.candidates[3].model_copy(update={"round": 2})
    outcome.candidates[2] = outcome.candidates[2].model_copy(update={"round": 1})
    released = final_program(outcome, 1, View.METHOD, "last-round-per-sample")
    assert released is not None and released.candidate_id == "s0p2"
    # Base view: only the sample itself, which is wrong.
    assert final_program(outcome, 1, View.BASE, "last-round-per-sample") is None


def test_drop_rule_ignores_programs_more_than_100x_faster() -> None:
    outcome = ProblemOutcome(
        problem_id="P",
        reference_time_s=10.0,
        candidates=[cand("fast", 0, "sample", True, 0.05), cand("ok", 1, "sample", True, 0.2)],
    )
    assert score_problem(outcome, 2, View.BASE).final_time_s == 0.05
    assert score_problem(outcome, 2, View.BASE, drop_over=100.0).final_time_s == 0.2  # 50x kept
    only_fast = outcome.model_copy(update={"candidates": outcome.candidates[:1]})
    assert not score_problem(only_fast, 1, View.BASE, drop_over=100.0).solved


def test_mean_of_ratios_differs_from_the_ratio_of_sums() -> None:
    # P1: ref 10, final 5 (2x); P2: ref 1, final 4 (0.25x). Sums: 11 / 9; mean: 1.125.
    outcomes = [
        ProblemOutcome(problem_id="P1", reference_time_s=10.0, candidates=[cand("a", 0, "sample", True, 5.0)]),
        ProblemOutcome(problem_id="P2", reference_time_s=1.0, candidates=[cand("b", 0, "sample", True, 4.0)]),
        ProblemOutcome(problem_id="P3", reference_time_s=1.0, candidates=[cand("c", 0, "sample", False)]),
    ]
    m = best_at_k(outcomes, 1, View.BASE)
    assert m.speedup == pytest.approx(11 / 9)
    assert m.speedup_mean_of_ratios == pytest.approx((2 + 0.25) / 2)
    assert m.speedup_problems == 2
    # Unsolved problems count in neither; with no timed problem both are undefined.
    empty = summarize([score_problem(outcomes[2], 1, View.BASE)], 1, View.BASE)
    assert empty.speedup is None and empty.speedup_mean_of_ratios is None


def test_released_rule_on_the_shared_fixture(three_problems: list[ProblemOutcome]) -> None:
    # P1 at k=2: s0's last round (9.0) is correct, s1 has no round (12.0): 9.0, as the paper.
    # P2 at k=2: s0's C_correct is its fix (5.0); s1's round failed, so s1 itself (2.0).
    scores = [
        score_problem(o, 2, View.METHOD, "last-round-per-sample") for o in three_problems
    ]
    assert [s.final_time_s for s in scores] == [9.0, 2.0, None]
    m = summarize(scores, 2, View.METHOD)
    assert m.speedup == pytest.approx((10 + 4) / (9 + 2))
    assert m.speedup_mean_of_ratios == pytest.approx((10 / 9 + 4 / 2) / 2)
