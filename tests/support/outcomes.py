"""Builders for metric records, shared by the metrics and report tests."""

from __future__ import annotations

from perfcodegen.metrics.records import CandidateOutcome


def cand(
    cid: str,
    sample: int,
    phase: str,
    correct: bool,
    time_s: float | None = None,
    memory_kb: int | None = None,
) -> CandidateOutcome:
    return CandidateOutcome(
        candidate_id=cid,
        sample_index=sample,
        phase=phase,
        correct=correct,
        time_s=time_s,
        memory_kb=memory_kb,
    )
