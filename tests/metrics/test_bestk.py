from __future__ import annotations

import itertools

import pytest

from perfcodegen.errors import PerfCodegenError
from perfcodegen.metrics.bestk import (
    View,
    best_at_k,
    check_k,
    default_ks,
    final_program,
    score_problem,
    solved_by_all,
)
from perfcodegen.metrics.correctness import pass_at_k
from perfcodegen.metrics.records import ProblemOutcome
from support.outcomes import cand


def final_id(outcome: ProblemOutcome, k: int, view: View) -> str | None:
    final = final_program(outcome, k, view)
    return final.candidate_id if final else None


def test_base_view_at_k1(three_problems: list[ProblemOutcome]) -> None:
    m = best_at_k(three_problems, 1, View.BASE)
    # Only P1's sample 0 (8.0 vs reference 10.0) is a correct sample among the first.
    assert (m.problems, m.solved, m.optimized) == (3, 1, 1)
    assert m.correct_pct == pytest.approx(100 / 3)
    assert m.opt_pct == pytest.approx(100 / 3)
    assert m.speedup == pytest.approx(10 / 8)


def test_method_view_picks_slower_refinement(three_problems: list[ProblemOutcome]) -> None:
    # P1: the refinement (9.0) beats nothing, yet the paper's rule returns it over the 8.0 sample.
    assert final_id(three_problems[0], 2, View.METHOD) == "p1s0p"
    assert final_id(three_problems[0], 2, View.BASE) == "p1s0"
    m = best_at_k(three_problems, 1, View.METHOD)
    # P1 -> 9.0 (not < 9.0: not optimized); P2 -> its fixed sample 0 (5.0); P3 unsolved.
    assert (m.solved, m.optimized) == (2, 0)
    assert m.correct_pct == pytest.approx(200 / 3)
    assert m.speedup == pytest.approx((10 + 4) / (9 + 5))


def test_k2_speedup_is_a_ratio_of_sums(three_problems: list[ProblemOutcome]) -> None:
    base = best_at_k(three_problems, 2, View.BASE)
    assert (base.solved, base.optimized) == (2, 2)  # 8 < 9 and 2 < 3.6
    assert base.speedup == pytest.approx((10 + 4) / (8 + 2))  # not the mean ratio 1.625
    method = best_at_k(three_problems, 2, View.METHOD)
    # P2's only refinement failed, so the fastest of C_correct (2.0) is used.
    assert final_id(three_problems[1], 2, View.METHOD) == "p2s1"
    assert (method.solved, method.optimized) == (2, 1)
    assert method.opt_pct == pytest.approx(100 / 3)
    assert method.speedup == pytest.approx(14 / 11)


def test_k_filters_candidates_by_root_sample(three_problems: list[ProblemOutcome]) -> None:
    # At k=1, P2's sample 1 (2.0) is out of budget: base leaves P2 unsolved.
    assert not score_problem(three_problems[1], 1, View.BASE).solved
    assert score_problem(three_problems[1], 2, View.BASE).final_time_s == 2.0


def test_pass_at_k_mean(three_problems: list[ProblemOutcome]) -> None:
    # Samples correct: P1 2/2, P2 1/2, P3 0/2.
    assert best_at_k(three_problems, 1, View.BASE).pass_at_k_pct == pytest.approx(50.0)
    assert best_at_k(three_problems, 2, View.METHOD).pass_at_k_pct == pytest.approx(200 / 3)


def test_subset_restricts_opt_and_speedup_not_correct(
    three_problems: list[ProblemOutcome],
) -> None:
    subset = solved_by_all([score_problem(o, 1, view) for o in three_problems] for view in View)
    assert subset == {"P1"}
    m = best_at_k(three_problems, 2, View.METHOD, subset)
    assert (m.opt_problems, m.optimized, m.opt_pct) == (1, 0, 0.0)
    assert m.speedup == pytest.approx(10 / 9)
    assert m.correct_pct == pytest.approx(200 / 3)


def test_other_refinement_phases_and_untimed_programs() -> None:
    outcome = ProblemOutcome(
        problem_id="X",
        reference_time_s=1.0,
        candidates=[
            cand("s", 0, "sample", True, 0.1),
            cand("r", 0, "refine", True, 0.5),
        ],
    )
    assert final_id(outcome, 1, View.METHOD) == "r"
    untimed = ProblemOutcome(
        problem_id="Y", reference_time_s=1.0, candidates=[cand("s", 0, "sample", True)]
    )
    m = best_at_k([untimed], 1, View.BASE)
    assert (m.solved, m.optimized, m.speedup, m.speedup_problems) == (1, 0, None, 0)


def test_default_ks_and_budget_check() -> None:
    assert default_ks(1) == [1]
    assert default_ks(8) == [1, 8]
    assert default_ks(25) == [1, 8, 20]
    with pytest.raises(PerfCodegenError, match="drew 8"):
        check_k(20, 8)


@pytest.mark.parametrize("n", range(1, 7))
def test_pass_at_k_matches_enumeration(n: int) -> None:
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            subsets = list(itertools.combinations(outcomes, k))
            expected = sum(any(s) for s in subsets) / len(subsets)
            assert pass_at_k(n, c, k) == pytest.approx(expected)
