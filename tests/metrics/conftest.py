"""Three problems whose Best@k figures are worked out by hand in the tests."""

from __future__ import annotations

import pytest

from perfcodegen.metrics.records import ProblemOutcome
from support.outcomes import cand


@pytest.fixture
def three_problems() -> list[ProblemOutcome]:
    """P1 (ref 10): samples 8 and 12, a slower refinement of sample 0 (9).
    P2 (ref 4): sample 0 wrong then fixed (5), sample 1 correct (2), its refinement wrong.
    P3 (ref 6): both samples wrong."""
    return [
        ProblemOutcome(
            problem_id="P1",
            reference_time_s=10.0,
            candidates=[
                cand("p1s0", 0, "sample", True, 8.0),
                cand("p1s1", 1, "sample", True, 12.0),
                cand("p1s0p", 0, "performance", True, 9.0),
            ],
        ),
        ProblemOutcome(
            problem_id="P2",
            reference_time_s=4.0,
            candidates=[
                cand("p2s0", 0, "sample", False),
                cand("p2s1", 1, "sample", True, 2.0),
                cand("p2s0c", 0, "correctness", True, 5.0),
                cand("p2s1p", 1, "performance", False, 1.0),
            ],
        ),
        ProblemOutcome(
            problem_id="P3",
            reference_time_s=6.0,
            candidates=[cand("p3s0", 0, "sample", False), cand("p3s1", 1, "sample", False)],
        ),
    ]
