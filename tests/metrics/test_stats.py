from __future__ import annotations

import math
import statistics

import pytest

from perfcodegen.metrics.stats import bootstrap_cis, quantile, two_proportion_z_test


def test_z_test_matches_hand_computation() -> None:
    # The paper's GPT-4 HumanEval k=1 %Opt: 24.54% vs 28.83% of 163 problems = 40 vs 47.
    pooled = 87 / 326
    se = math.sqrt(pooled * (1 - pooled) * (2 / 163))
    expected = (40 / 163 - 47 / 163) / se
    result = two_proportion_z_test(40, 163, 47, 163)
    assert result.z == pytest.approx(expected)
    assert result.z == pytest.approx(-0.878, abs=0.005)  # the paper reports -0.878
    assert result.p_value == pytest.approx(math.erfc(abs(expected) / math.sqrt(2)))
    assert two_proportion_z_test(47, 163, 40, 163).z == pytest.approx(-expected)


def test_z_test_p_value_at_196() -> None:
    # 60/100 vs 40/100: pooled 0.5, se = sqrt(0.25 * 0.02), z = 0.2 / 0.0707 = 2.828
    result = two_proportion_z_test(60, 100, 40, 100)
    assert result.z == pytest.approx(0.2 / math.sqrt(0.005))
    assert result.p_value == pytest.approx(0.004678, abs=1e-5)


def test_z_test_degenerate_and_invalid() -> None:
    assert two_proportion_z_test(5, 5, 3, 3).p_value == 1.0
    with pytest.raises(ValueError):
        two_proportion_z_test(0, 0, 1, 2)


def test_quantile_interpolates() -> None:
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.0) == 1.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 1.0) == 4.0


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    items = [0.0] * 50 + [1.0] * 50

    def mean(sample: list[float]) -> float:
        return statistics.fmean(sample)

    first = bootstrap_cis(items, {"mean": mean}, resamples=500, seed=3)["mean"]
    again = bootstrap_cis(items, {"mean": mean}, resamples=500, seed=3)["mean"]
    assert first == again
    assert first is not None
    # Standard error of a 0/1 mean at p=0.5, n=100 is 0.05: a 95% interval is about +-0.1.
    assert 0.35 < first.low < 0.5 < first.high < 0.65
    assert first.resamples == 500


def test_bootstrap_skips_undefined_resamples() -> None:
    items = [0, 0, 0, 1]

    def only_with_one(sample: list[int]) -> float | None:
        return 1.0 if 1 in sample else None

    interval = bootstrap_cis(items, {"x": only_with_one}, resamples=200, seed=0)["x"]
    assert interval is not None
    assert 0 < interval.resamples < 200  # (3/4)^4 of draws hold no 1
    assert bootstrap_cis([], {"x": only_with_one})["x"] is None
