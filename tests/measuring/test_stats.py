"""Interval math, decisions and resolution on synthetic run lists (`judge.stats`)."""

from __future__ import annotations

import math
import random

import pytest

from perfcodegen.judge.stats import (
    Decision,
    RatioInterval,
    decide,
    log_ratio_interval,
    resolution,
    resolved,
    round_log_ratios,
    round_totals,
    spread,
    t_quantile,
)


@pytest.mark.parametrize(
    ("df", "expected"), [(1, 12.7062), (2, 4.3027), (3, 3.1824), (10, 2.2281), (30, 2.0423)]
)
def test_t_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert t_quantile(0.95, df) == pytest.approx(expected, abs=1e-4)


def paired_rounds(rng: random.Random, ratio: float, rounds: int, noise: float) -> list[float]:
    """Per-round log ratios of two log-normal programs sharing each round's machine drift."""
    logs = []
    for _ in range(rounds):
        drift = rng.gauss(0, 0.3)  # a loaded round slows both programs alike
        a = math.exp(math.log(1e-3 * ratio) + drift + rng.gauss(0, noise))
        b = math.exp(math.log(1e-3) + drift + rng.gauss(0, noise))
        logs.extend(round_log_ratios([a], [b]))
    return logs


def test_known_log_normal_data_is_covered_at_the_stated_rate() -> None:
    rng = random.Random(21)
    trials, covered = 400, 0
    for _ in range(trials):
        interval = log_ratio_interval(paired_rounds(rng, 1.3, 12, 0.05))
        assert interval is not None
        covered += interval.low <= 1.3 <= interval.high
    assert 0.92 <= covered / trials <= 0.98


def test_pairing_cancels_drift_shared_by_a_round() -> None:
    interval = log_ratio_interval(paired_rounds(random.Random(1), 2.0, 12, 0.02))
    assert interval is not None
    assert 1.9 < interval.low < interval.estimate < interval.high < 2.1


def test_more_rounds_narrow_the_interval() -> None:
    rng = random.Random(5)
    few = log_ratio_interval(paired_rounds(rng, 1.0, 4, 0.1))
    many = log_ratio_interval(paired_rounds(rng, 1.0, 64, 0.1))
    assert few is not None and many is not None
    assert many.relative_half_width < few.relative_half_width / 2


def test_one_round_gives_no_interval() -> None:
    assert log_ratio_interval([0.1]) is None


@pytest.mark.parametrize(
    ("low", "high", "decision"),
    [
        (0.5, 0.85, Decision.OPTIMIZED),
        (0.9, 1.2, Decision.NOT_OPTIMIZED),
        (0.85, 0.95, Decision.UNDECIDED),
    ],
)
def test_decisions_against_the_threshold(low: float, high: float, decision: Decision) -> None:
    interval = RatioInterval(math.sqrt(low * high), low, high, 12)
    assert decide(interval, 0.9) is decision
    assert decide(None, 0.9) is Decision.UNDECIDED


def test_round_totals_sum_tests_round_by_round() -> None:
    assert round_totals([[1.0, 2.0, 3.0], [10.0, 20.0]]) == [11.0, 22.0]
    assert round_totals([]) == []
    assert round_log_ratios([2.0, 1.0, 0.0], [1.0, 1.0, 1.0]) == [math.log(2.0), 0.0]


def test_a_net_time_within_the_harness_spread_is_unresolved() -> None:
    null_runs = [30e-6, 32e-6, 28e-6, 31e-6, 29e-6]
    own = spread(null_runs)
    assert own == pytest.approx(1.58e-6, rel=0.01)
    limit = resolution([own, own, None])
    assert limit == pytest.approx(3 * own)
    assert not resolved([3e-6, 4e-6, 2e-6], limit)
    assert resolved([40e-6, 41e-6, 39e-6], limit)
    assert not resolved([], limit)
    assert resolution([None]) == 1e-6  # never below 1 us, even unmeasured
