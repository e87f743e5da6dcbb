"""Small builders for outcome records used by the metrics tests."""

from __future__ import annotations

from perfcodegen.metrics.records import CandidateOutcome


def cand(
    cid: str, sample: int, phase: str, correct: bool, time_s: float | None = None
) -> CandidateOutcome:
    return CandidateOutcome(
        candidate_id=cid, sample_index=sample, phase=phase, correct=correct, time_s=time_s
    )
