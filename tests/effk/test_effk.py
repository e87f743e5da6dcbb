"""eff@k and per-sample efficiency on cases computed by hand."""

from __future__ import annotations

import pytest

from perfcodegen.metrics.effk import (
    LevelRun,
    eff_at_k,
    hodges_lehmann,
    sample_efficiency,
)


def level(*case_times: float) -> LevelRun:
    return LevelRun(case_times=tuple((t,) for t in case_times))


REF = [0.001, 1.0, 2.0, 4.0]  # T = 2 * 4.0 = 8.0 (level 0 does not count: hardness 0)


def test_hodges_lehmann_is_the_median_of_walsh_averages() -> None:
    # Walsh averages of (1, 2, 10): 1, 1.5, 2, 5.5, 6, 10 -> median (2 + 5.5) / 2
    assert hodges_lehmann([1.0, 2.0, 10.0]) == pytest.approx(3.75)


def test_sample_as_fast_as_the_reference_scores_one() -> None:
    runs = [level(0.001), level(1.0), level(2.0), level(4.0)]
    result = sample_efficiency(runs, REF)
    assert result.correct
    assert result.level_scores == pytest.approx((1.0, 1.0, 1.0, 1.0))
    assert result.score == pytest.approx(1.0)


def test_per_level_weights_and_slowest_case() -> None:
    # level 1: slowest case 4.0 -> (8-4)/(8-1) = 4/7; level 2: 5.0 -> 3/6; level 3: 6.0 -> 2/4
    runs = [level(0.5), level(0.1, 4.0), level(5.0), level(6.0)]
    result = sample_efficiency(runs, REF)
    expected = (3 * 4 / 7 + 3 * 0.5 + 4 * 0.5) / 10
    assert result.score == pytest.approx(expected)
    assert result.level_scores[0] > 0  # computed, but weighted by hardness 0


def test_timeout_on_a_later_level_zeroes_it_and_the_rest_but_stays_correct() -> None:
    runs = [level(0.001), level(1.0), level(8.5)]  # 8.5 > T + 0.01
    result = sample_efficiency(runs, REF)
    assert result.correct
    assert result.level_scores[2:] == (0.0, 0.0)
    assert result.score == pytest.approx(3 * 1.0 / 10)
    flagged = [level(0.001), level(1.0), LevelRun(timed_out=True)]
    assert sample_efficiency(flagged, REF).score == pytest.approx(0.3)


def test_timeout_within_tolerance_is_not_a_timeout() -> None:
    result = sample_efficiency([level(0.001), level(8.005), level(1), level(1)], REF)
    assert result.level_scores[1] == 0.0  # max(0, T - t) clips to 0
    assert result.level_scores[2] > 0


def test_timeout_on_level_zero_or_a_wrong_answer_fails_the_sample() -> None:
    assert not sample_efficiency([LevelRun(timed_out=True)], REF).correct
    wrong = sample_efficiency([level(0.001), LevelRun(wrong=True)], REF)
    assert (wrong.correct, wrong.score) == (False, 0.0)


def test_eff_at_k_is_the_expected_maximum_of_k_draws() -> None:
    scores = [0.2, 0.9, 0.5]
    assert eff_at_k(scores, 1) == pytest.approx(sum(scores) / 3)
    # pairs: (0.2,0.9)->0.9, (0.2,0.5)->0.5, (0.9,0.5)->0.9
    assert eff_at_k(scores, 2) == pytest.approx((0.9 + 0.5 + 0.9) / 3)
    assert eff_at_k(scores, 3) == pytest.approx(0.9)
    with pytest.raises(ValueError):
        eff_at_k(scores, 4)


def test_an_uncounted_level_slower_than_the_timeout_scores_zero_without_error() -> None:
    reference = [9.0, 1.0, 2.0, 4.0]  # level 0 (hardness 0) above T = 8
    result = sample_efficiency([level(0.001), level(1.0), level(2.0), level(4.0)], reference)
    assert result.correct and result.level_scores[0] == 0.0 and result.score == pytest.approx(1.0)
