"""Reports name the run's protocol and show metrics under each published definition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.metrics.records import ProblemOutcome
from support.outcomes import cand

from .run_builders import perfcodegen_outcomes, write_run


def test_perfcodegen_definitions_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes(), protocol="perfcodegen-code")
    assert main(["report", str(run), "--json", "--k", "2"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["protocol"] == "perfcodegen-code"
    assert report["notes"][0].startswith("Protocol perfcodegen-code:")
    rows = {r["definition"]: r for r in report["best_k_definitions"]}
    # k=2, method view. Paper rule: P1 -> 9 (its refinement), P2 -> 2 (fastest of C_correct).
    assert rows["paper rule, ratio of sums (Eq. 4)"]["speedup"] == pytest.approx(14 / 11)
    assert rows["paper rule, mean of ratios"]["speedup"] == pytest.approx((10 / 9 + 4 / 2) / 2)
    # Released rule: P1 -> min(9, 12); P2 -> min(fix 5, sample 2) = 2: same programs here.
    released = rows["released rule, mean of ratios, >100x dropped"]
    assert released["speedup"] == pytest.approx((10 / 9 + 2) / 2)
    assert released["correct_pct"] == pytest.approx(200 / 3)

    assert main(["report", str(run), "--k", "2"]) == 0
    text = capsys.readouterr().out
    assert "under each definition" in text and "Protocol perfcodegen-code" in text


def test_ecco_percentiles_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = ProblemOutcome(
        problem_id="G",
        spectrum_time_s=[0.5, 0.3, 0.3, 0.1],
        spectrum_source="measured",
        candidates=[cand("g", 0, "sample", True, 0.3)],
    )
    run = write_run(
        tmp_path / "ecco", [outcome], benchmark="ecco", method="instruct", k=1,
        protocol="ecco-code",
    )
    assert main(["report", str(run), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    # The protocol's rule (ties count) is the headline; both rules are listed.
    assert report["generation"]["runtime_pct"] == pytest.approx(75.0)
    by_rule = [r["runtime_pct"] for r in report["percentile_definitions"]]
    assert by_rule == [pytest.approx(25.0), pytest.approx(75.0)]


def test_sanitized_protocols_leave_out_problems_without_a_passing_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = perfcodegen_outcomes()
    outcomes.append(
        ProblemOutcome(problem_id="P4", candidates=[cand("p4s0", 0, "sample", True, 1.0)])
    )
    plain = write_run(tmp_path / "plain", outcomes)
    paper = write_run(tmp_path / "paper", outcomes, protocol="perfcodegen-paper")
    assert main(["report", str(plain), str(paper), "--json", "--k", "1"]) == 0
    plain_report, paper_report = json.loads(capsys.readouterr().out)
    assert plain_report["best_k"][0]["base"]["problems"] == 4
    # P4's reference never passed (no reference time): Table IV's sanitized set drops it.
    assert paper_report["best_k"][0]["base"]["problems"] == 3
    assert any("1 problem(s) without a reference" in n for n in paper_report["notes"])


def test_compare_names_each_runs_protocol(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paper = write_run(tmp_path / "paper", perfcodegen_outcomes(), protocol="perfcodegen-paper")
    code = write_run(tmp_path / "code", perfcodegen_outcomes(), protocol="perfcodegen-code")
    assert main(["compare", str(paper), str(code), "--json", "--k", "1"]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any(n.startswith("paper: Protocol perfcodegen-paper") for n in notes)
    assert any(n.startswith("code: Protocol perfcodegen-code") for n in notes)
