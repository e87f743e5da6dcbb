from __future__ import annotations

import pytest

from perfcodegen.metrics.ecco import (
    edit_metrics,
    generation_metrics,
    output_program,
    share_strictly_above,
)
from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome
from support.outcomes import cand


def edited(
    pid: str,
    input_ok: bool,
    t_in: float,
    mem_in: int,
    output: CandidateOutcome,
    *extra: CandidateOutcome,
) -> ProblemOutcome:
    return ProblemOutcome(
        problem_id=pid,
        input_correct=input_ok,
        input_time_s=t_in,
        input_memory_kb=mem_in,
        candidates=[output, *extra],
        final_candidate_id=output.candidate_id,
    )


def out(cid: str, correct: bool, time_s: float, memory_kb: int) -> CandidateOutcome:
    return CandidateOutcome(
        candidate_id=cid,
        sample_index=0,
        phase="sample",
        correct=correct,
        time_s=time_s,
        memory_kb=memory_kb,
    )


def test_edit_metrics_only_pairs_where_both_pass() -> None:
    outcomes = [
        # faster and leaner: speedup 10/5 = 2, memory 1000/800 = 1.25
        edited("E1", True, 10.0, 1000, out("a", True, 5.0, 800), out("b", False, 1.0, 1)),
        # slower, same memory: speedup 0.5, memory 1.0 (not leaner)
        edited("E2", True, 4.0, 500, out("c", True, 8.0, 500)),
        # output fails: excluded from speedup, counts as failed pass@1
        edited("E3", True, 10.0, 500, out("d", False, 1.0, 100)),
        # input fails: output passes (pass@1) but the pair is undefined
        edited("E4", False, 10.0, 500, out("e", True, 2.0, 100)),
    ]
    m = edit_metrics(outcomes)
    assert (m.problems, m.passed) == (4, 3)
    assert m.pass_at_1_pct == pytest.approx(75.0)
    assert m.speedup_pairs == 2
    assert m.speedup == pytest.approx((2.0 + 0.5) / 2)
    assert m.memory_reduction == pytest.approx((1.25 + 1.0) / 2)
    assert m.runtime_optimized_pct == pytest.approx(25.0)
    assert m.memory_optimized_pct == pytest.approx(25.0)


def test_output_program_without_final_id_is_the_last_recorded() -> None:
    outcome = ProblemOutcome(
        problem_id="X",
        candidates=[cand("first", 0, "sample", True, 1.0), cand("last", 0, "refine", False)],
    )
    chosen = output_program(outcome)
    assert chosen is not None and chosen.candidate_id == "last"
    assert output_program(ProblemOutcome(problem_id="Y", candidates=[])) is None


def test_runtime_percent_counts_strictly_slower_solutions() -> None:
    assert share_strictly_above([1.0, 2.0, 3.0, 4.0], 2.0) == pytest.approx(50.0)
    assert share_strictly_above([2.0, 2.0], 2.0) == 0.0


def test_generation_metrics_average_over_correct_programs() -> None:
    outcomes = [
        ProblemOutcome(
            problem_id="G1",
            spectrum_time_s=[1.0, 2.0, 3.0, 4.0],
            spectrum_memory_kb=[100.0, 200.0, 200.0, 300.0],
            spectrum_source="measured",
            candidates=[out("a", True, 2.0, 200)],
        ),
        ProblemOutcome(
            problem_id="G2",
            spectrum_time_s=[1.0, 2.0],
            spectrum_source="dataset",
            candidates=[out("b", False, 0.1, 1)],
        ),
        ProblemOutcome(
            problem_id="G3",
            spectrum_time_s=[5.0, 6.0],
            spectrum_source="dataset",
            candidates=[out("c", True, 1.0, 50)],
        ),
    ]
    m = generation_metrics(outcomes)
    assert (m.problems, m.passed) == (3, 2)
    assert m.pass_at_1_pct == pytest.approx(200 / 3)
    # G1: 3 and 4 are slower than 2 -> 50%; G3: both slower -> 100%; G2 failed.
    assert m.runtime_pct == pytest.approx(75.0)
    assert m.runtime_programs == 2
    # Only G1 has a memory spectrum: 300 > 200 -> 25%.
    assert m.memory_pct == pytest.approx(25.0)
    assert m.memory_programs == 1
    assert m.dataset_spectrum_problems == 2
