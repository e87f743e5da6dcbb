"""%Opt as a decision: counts beside the point estimate, and the report's interval table."""

from __future__ import annotations

from pathlib import Path

from perfcodegen.metrics.bestk import View, best_at_k
from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome
from perfcodegen.metrics.run import RunData
from perfcodegen.metrics.samples import sample_summary, timed_tests_note
from perfcodegen.report.build import build_run_report
from perfcodegen.report.tables import run_tables


def timed(problem: str, time_s: float, interval: tuple[float, float, float] | None,
          decision: str | None, level: int | None = None) -> ProblemOutcome:  # fmt: skip
    ratio, low, high = interval or (None, None, None)
    sample = CandidateOutcome(
        candidate_id=f"{problem}-0", sample_index=0, phase="sample", correct=True,
        time_s=time_s, ratio=ratio, ratio_low=low, ratio_high=high, decision=decision, rounds=12,
    )  # fmt: skip
    return ProblemOutcome(
        problem_id=problem, reference_time_s=1.0, candidates=[sample],
        timing_tests="stress" if level is not None else "given", timed_level=level,
    )  # fmt: skip


OUTCOMES = [
    timed("P1", 0.5, (0.5, 0.45, 0.55), "optimized", 2),
    timed("P2", 0.88, (0.88, 0.80, 0.97), "undecided", 2),  # point estimate says optimized
    timed("P3", 1.2, (1.2, 1.1, 1.3), "not_optimized", 2),
    timed("P4", 0.5, None, "unresolved"),
    timed("P5", 0.95, None, None),  # timed without an interval (fixed E, earlier version)
]


def test_decision_counts_sit_beside_the_point_estimate() -> None:
    metrics = best_at_k(OUTCOMES, 1, View.BASE)
    assert metrics.optimized == 3  # P1, P2 and P4 by the point estimate (Eq. 3)
    assert metrics.decisions == {
        "optimized": 1, "not_optimized": 1, "undecided": 1, "unresolved": 1, "no interval": 1,
    }  # fmt: skip


def test_the_report_shows_decisions_intervals_and_timed_tests(tmp_path: Path) -> None:
    run = RunData(name="r", path=tmp_path, config={"method": "base", "k": 1}, outcomes=OUTCOMES)
    report = build_run_report(run, [1])
    tables = {t.title: t for t in run_tables(report)}
    table_i = tables["r: Best@k (Table I)"]
    assert table_i.rows[0][-1] == "1 / 1 / 1 / 1 (+1 untimed)"
    ratios = tables["r: per-problem ratios with 95% intervals"]
    assert ["P2", "0.880", "[0.800, 0.970]", "undecided", "12"] in ratios.rows
    assert ["P4", "–", "–", "unresolved", "12"] in ratios.rows
    assert any("stress inputs at level 2 for 3 problem(s)" in n for n in report.notes)
    assert [s.decision for s in report.ratios][:2] == ["optimized", "undecided"]


def test_eval_summary_counts_decisions_and_names_the_timed_tests() -> None:
    summary = sample_summary(OUTCOMES)
    assert summary.decisions == {
        "not_optimized": 1, "optimized": 1, "undecided": 1, "unresolved": 1,
    }  # fmt: skip
    assert timed_tests_note(OUTCOMES) == summary.timed_tests
    assert summary.timed_tests is not None and "given tests for 2 problem(s)" in summary.timed_tests
