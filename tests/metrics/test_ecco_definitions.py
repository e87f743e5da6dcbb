"""ECCO's runtime%/memory% under Eq. 3-4 and under the released generate_eval.py, by hand."""

from __future__ import annotations

import pytest

from perfcodegen.metrics.ecco import generation_metrics, program_time, spectrum_share
from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome

SPECTRUM = [0.5, 0.3, 0.3, 0.1]


@pytest.mark.parametrize(
    ("figure", "paper", "released"),
    [
        (0.05, 100.0, 100.0),  # faster than everyone
        (0.3, 25.0, 75.0),  # ties: the paper counts only 0.5; the code counts 0.5, 0.3, 0.3
        (0.4, 25.0, 25.0),  # no tie: both count 0.5
        (0.5, 0.0, 25.0),  # tie with the slowest
        (0.9, 0.0, 100.0),  # slower than everyone: generate_eval.py's `if not percentile`
    ],
)
def test_percentile_rules(figure: float, paper: float, released: float) -> None:
    assert spectrum_share(SPECTRUM, figure, "strictly-slower") == pytest.approx(paper)
    assert spectrum_share(SPECTRUM, figure, "released-code") == pytest.approx(released)


def _program(correct: bool, per_test: list[float] | None, memory_kb: int | None) -> CandidateOutcome:
    return CandidateOutcome(
        candidate_id="c",
        sample_index=0,
        phase="sample",
        correct=correct,
        time_s=sum(per_test) if per_test else None,
        per_test_s=per_test,
        memory_kb=memory_kb,
    )


def test_dataset_spectrum_is_compared_with_the_mean_time_per_test() -> None:
    program = _program(True, [0.2, 0.4, 0.6], 9150)
    # generate_eval.py: sum over passed tests / count = 0.4 (not the total 1.2).
    assert program_time(program, "dataset") == pytest.approx(0.4)
    # A spectrum measured here holds totals over the same tests: compare totals.
    assert program_time(program, "measured") == pytest.approx(1.2)
    outcome = ProblemOutcome(
        problem_id="P",
        spectrum_time_s=SPECTRUM,
        spectrum_memory_kb=[9300.0, 9200.0, 9100.0, 9000.0],
        spectrum_source="dataset",
        candidates=[program],
    )
    paper = generation_metrics([outcome])
    assert paper.runtime_pct == pytest.approx(25.0)  # only 0.5 > 0.4
    assert paper.memory_pct == pytest.approx(50.0)  # 9300, 9200 > 9150
    released = generation_metrics([outcome], "released-code")
    assert released.runtime_pct == pytest.approx(25.0)
    assert released.memory_pct == pytest.approx(50.0)


def test_partially_correct_and_missing_columns() -> None:
    wrong = ProblemOutcome(
        problem_id="W",
        spectrum_time_s=SPECTRUM,
        spectrum_source="dataset",
        candidates=[_program(False, None, None)],
    )
    no_memory = ProblemOutcome(
        problem_id="M",
        spectrum_time_s=SPECTRUM,
        spectrum_memory_kb=None,  # generate_eval without `memories`
        spectrum_source="dataset",
        candidates=[_program(True, [0.9], None)],
    )
    m = generation_metrics([wrong, no_memory], "released-code")
    # The wrong program (a partial pass counts as a fail, as in generate_eval.py) is not
    # placed; the other is slower than every human program: 100% under the released rule.
    assert (m.passed, m.runtime_programs, m.memory_programs) == (1, 1, 0)
    assert m.runtime_pct == pytest.approx(100.0) and m.memory_pct is None
    assert generation_metrics([wrong, no_memory]).runtime_pct == pytest.approx(0.0)
