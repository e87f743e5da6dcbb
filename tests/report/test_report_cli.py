from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.store import RunStore
from support.outcomes import cand

from .run_builders import perfcodegen_outcomes, write_run


def error_text(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr with rich's line wrapping undone."""
    return " ".join(capsys.readouterr().err.split())


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_report_json_table_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    data = run_json(capsys, "report", str(run), "--json", "--k", "1,2")
    assert isinstance(data, list)
    report = data[0]
    assert (report["method"], report["problems"], report["samples"]) == ("perfcodegen", 3, 2)
    k1, k2 = report["best_k"]
    assert k1["base"]["correct_pct"] == pytest.approx(100 / 3)
    assert k1["base"]["speedup"] == pytest.approx(1.25)
    assert k1["base"]["pass_at_k_pct"] == pytest.approx(50.0)
    assert k1["method"]["opt_pct"] == 0.0  # P1's refinement (9.0) is not < 0.9 x 10
    assert k1["method"]["correct_pct"] == pytest.approx(200 / 3)
    assert k1["method"]["speedup"] == pytest.approx(14 / 14)
    # %Opt base 1/3 vs method 0/3, pooled z-test.
    se = math.sqrt((1 / 6) * (5 / 6) * (2 / 3))
    assert k1["opt_test"]["z"] == pytest.approx((1 / 3) / se)
    assert k2["base"]["speedup"] == pytest.approx(14 / 10)
    assert k2["method"]["speedup"] == pytest.approx(14 / 11)
    assert k2["base"]["pass_at_k_pct"] == pytest.approx(200 / 3)
    assert k2["method"]["pass_at_k_pct"] is None  # pass@k is of the raw samples: Base row only
    assert report["cost"]["model_calls"] == 9
    assert report["cost"]["calls_per_problem"] == pytest.approx(3.0)
    assert report["edit"] is None and report["generation"] is None


def test_report_markdown_prints_deltas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    assert main(["report", str(run), "--markdown", "--k", "1,2"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    base = next(line for line in lines if line.startswith("| Base | 1 |"))
    method = next(line for line in lines if line.startswith("| perfcodegen | 1 |"))
    method_k2 = next(line for line in lines if line.startswith("| perfcodegen | 2 |"))
    assert base.split(" | ")[2:7] == ["33.33", "33.33", "1.25", "50.00", "– |"]  # no intervals
    assert method.split(" | ")[2:6] == ["0.00 (-33.33)", "66.67 (+33.33)", "1.00", "–"]
    assert "66.67 (+0.00)" in method_k2 and "1.27" in method_k2
    assert "| pcg | 3 | 9 | 3.00 | 900 | 270 |" in text


def test_report_terminal_and_default_ks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    assert main(["report", str(run)]) == 0
    out = capsys.readouterr().out
    assert "Best@k" in out and "33.33" in out and "%Correct (Δ vs Base)" in out
    # Default budgets: {1, 8, 20} up to the samples drawn, and the samples drawn (k=2).
    rows = [line.split("│") for line in out.splitlines() if line.startswith("│")]
    assert {cells[2].strip() for cells in rows if cells[1].strip() == "Base"} == {"1", "2"}
    assert max(len(line) for line in out.splitlines()) <= 80  # capsys: rich's 80 columns


def test_common_subset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    data = run_json(capsys, "report", str(run), "--json", "--common-subset")
    row = data[0]["best_k"][0]  # type: ignore[index]
    # At k=1 only P1 is solved by both views: base 8 < 9 (optimized), method 9 is not.
    assert row["subset_size"] == 1
    assert (row["base"]["opt_pct"], row["method"]["opt_pct"]) == (100.0, 0.0)
    assert row["method"]["speedup"] == pytest.approx(10 / 9)
    assert row["method"]["correct_pct"] == pytest.approx(200 / 3)


def test_errored_problems_are_listed_apart_not_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes(), errored=("P4",))
    data = run_json(capsys, "report", str(run), "--json")
    report = data[0]  # type: ignore[index]
    assert (report["problems"], report["errored"]) == (3, 1)
    assert report["errors"] == {"P4": "boom"}
    assert report["best_k"][0]["base"]["correct_pct"] == pytest.approx(100 / 3)
    assert any("not scored" in note for note in report["notes"])
    assert main(["report", str(run)]) == 0
    out = capsys.readouterr().out
    errored = out[out.index("1 errored problem(s)") :]
    assert "P4" in errored and "boom" in errored


def test_compare_table_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base_only = [
        o.model_copy(update={"candidates": [c for c in o.candidates if c.phase == "sample"]})
        for o in perfcodegen_outcomes()
    ]
    run_a = write_run(tmp_path / "a", base_only, method="base")
    run_b = write_run(tmp_path / "b", perfcodegen_outcomes())
    data = run_json(capsys, "compare", str(run_a), str(run_b), "--json", "--resamples", "200")
    assert isinstance(data, dict)
    at_k1 = data["best_k"][0]
    assert [at_k["k"] for at_k in data["best_k"]] == [1, 2]
    first, second = at_k1["entries"]
    assert first["opt_delta"] is None and first["opt_test"] is None
    assert second["opt_delta"] == pytest.approx(-100 / 3)
    assert second["correct_delta"] == pytest.approx(100 / 3)
    assert second["opt_test"]["z"] == pytest.approx(
        (1 / 3) / math.sqrt((1 / 6) * (5 / 6) * (2 / 3))
    )
    assert second["correct_test"]["z"] == pytest.approx((1 / 3 - 2 / 3) / math.sqrt(0.25 * 2 / 3))
    for entry in (first, second):
        ci = entry["correct_ci"]
        assert ci["low"] <= entry["metrics"]["correct_pct"] <= ci["high"]
    assert data["costs"]["b"]["model_calls"] == 9
    assert data["ecco"] == []


def edit_run(tmp_path: Path, name: str, output_ok: list[bool]) -> Path:
    outcomes = [
        ProblemOutcome(
            problem_id=f"E{i}",
            input_correct=True,
            input_time_s=10.0,
            input_memory_kb=1000,
            candidates=[cand(f"c{i}", 0, "sample", ok, 5.0, 500)],
            final_candidate_id=f"c{i}",
        )
        for i, ok in enumerate(output_ok)
    ]
    return write_run(tmp_path / name, outcomes, paradigm="edit", benchmark="ecco", k=1)


def test_compare_ecco_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_a = edit_run(tmp_path, "instruct", [True, False, False, False])
    run_b = edit_run(tmp_path, "exec-refine", [True, True, True, False])
    data = run_json(capsys, "compare", str(run_a), str(run_b), "--json")
    assert data["best_k"] == []  # type: ignore[index]
    first, second = data["ecco"]  # type: ignore[index]
    assert first["edit"]["pass_at_1_pct"] == 25.0 and second["edit"]["pass_at_1_pct"] == 75.0
    assert second["edit"]["speedup"] == pytest.approx(2.0)
    assert second["edit"]["memory_reduction"] == pytest.approx(2.0)
    assert second["pass_test"]["z"] == pytest.approx((0.25 - 0.75) / math.sqrt(0.25 * 0.5))
    assert main(["compare", str(run_a), str(run_b), "--markdown"]) == 0
    text = capsys.readouterr().out
    assert "History-based editing (ECCO)" in text
    assert "| exec-refine | perfcodegen | 75.00 | 2.00 | 2.00 | 75.00 | 75.00 | 3 |" in text
    assert "partially correct" in text


def test_report_ecco_generation_warns_on_dataset_spectrum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = ProblemOutcome(
        problem_id="G1",
        spectrum_time_s=[1.0, 2.0, 3.0, 4.0],
        spectrum_source="dataset",
        candidates=[cand("a", 0, "sample", True, 2.0)],
    )
    run = write_run(tmp_path / "nl", [outcome], benchmark="ecco", k=1, method="instruct")
    assert main(["report", str(run), "--markdown"]) == 0
    text = capsys.readouterr().out
    assert "NL-instructed generation (ECCO)" in text
    assert "| 100.00 | 50.00 | – | 1 |" in text
    assert "WARNING" in text and "not comparable across machines" in text
    assert "Best@k" not in text  # no reference timings: no Table I


def test_missing_or_empty_run_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "run directory not found" in error_text(capsys)
    RunStore(tmp_path / "empty").close()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "no finished problems" in error_text(capsys)
    (tmp_path / "plain").mkdir()
    assert main(["report", str(tmp_path / "plain")]) == 2
    assert "not a perfcodegen run" in error_text(capsys)
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    assert main(["report", str(run), "--k", "8"]) == 2
    assert "drew 2" in error_text(capsys)
    assert main(["compare", str(run)]) == 2
    assert "at least two runs" in error_text(capsys)


def test_family_decides_the_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An ECCO method on a plain NL benchmark: ECCO's pass@1 table, no Table I (its final
    # program is the last iteration, not the paper's fastest refinement).
    outcome = ProblemOutcome(
        problem_id="H1",
        reference_time_s=1.0,
        candidates=[cand("a", 0, "sample", True, 0.5), cand("b", 0, "refine", False)],
        final_candidate_id="b",
    )
    run = write_run(tmp_path / "ecco", [outcome], method="self-refine", k=1)
    data = run_json(capsys, "report", str(run), "--json")
    report = data[0]  # type: ignore[index]
    assert report["best_k"] == []
    assert report["generation"]["pass_at_1_pct"] == 0.0
    assert report["generation"]["runtime_pct"] is None


def test_print_run_report_matches_report_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from perfcodegen.report.summary import print_run_report

    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    print_run_report(run, as_json=True)
    direct = json.loads(capsys.readouterr().out)
    assert direct == run_json(capsys, "report", str(run), "--json")
