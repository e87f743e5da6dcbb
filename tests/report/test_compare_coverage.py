"""`compare` checks that the runs cover the same problems and says how many each comparison
rests on; an empty common subset is refused; a split table repeats its row labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.cli import main

from .run_builders import perfcodegen_outcomes, write_run


def eval_references(out: Path, problems: str) -> Path:
    argv = ["eval", "humaneval", "--problems", problems, "--measure", "none",
            "--timing-tests", "given", "--out", str(out), "--json"]  # fmt: skip
    assert main(argv) == 0
    return out


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) <= 2  # one message, wrapped at most once
    return " ".join(err.split())


def test_runs_over_different_problems_are_refused_then_intersected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = eval_references(tmp_path / "a", "HumanEval/0,HumanEval/1,HumanEval/2")
    second = eval_references(tmp_path / "b", "HumanEval/2,HumanEval/3")
    capsys.readouterr()
    assert main(["compare", str(first), str(second)]) == 2
    err = one_line_error(capsys)
    assert "cover different problems (a: 3, b: 2; 1 in common)" in err and "--intersect" in err
    assert main(["compare", str(first), str(second), "--intersect", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [entry["metrics"]["problems"] for entry in data["best_k"][0]["entries"]] == [1, 1]
    assert data["notes"][0].startswith("Compared on the 1 problem(s) every run covers (a: 3, b: 2)")
    assert "humaneval/HumanEval/0" in data["notes"][0]


def test_runs_sharing_no_problem_cannot_be_intersected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = eval_references(tmp_path / "a", "HumanEval/0")
    second = eval_references(tmp_path / "b", "HumanEval/1")
    capsys.readouterr()
    assert main(["compare", str(first), str(second), "--intersect"]) == 2
    assert "the runs share no problem" in one_line_error(capsys)


def test_same_problems_say_what_the_comparison_rests_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_run(tmp_path / "a", perfcodegen_outcomes())
    second = write_run(tmp_path / "b", perfcodegen_outcomes())
    assert main(["compare", str(first), str(second), "--resamples", "50"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Every comparison rests on the same 3 problem(s) per run." in out


def test_an_empty_common_subset_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    solved = perfcodegen_outcomes()
    unsolved = [
        o.model_copy(update={"candidates": [c.model_copy(update={"correct": False}) for c in o.candidates]})
        for o in solved
    ]
    first = write_run(tmp_path / "a", solved)
    second = write_run(tmp_path / "b", unsolved)
    assert main(["compare", str(first), str(second), "--common-subset"]) == 2
    assert "--common-subset: no problem is solved by every run" in one_line_error(capsys)


def test_a_split_table_repeats_its_row_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Table I at 80 columns splits in two; each part keeps Method and k, so its rows read."""
    run = write_run(tmp_path / "a-run-with-a-rather-long-name", perfcodegen_outcomes())
    assert main(["report", str(run), "--k", "1,2"]) == 0
    out = capsys.readouterr().out
    parts = out.split("Best@k (Table I) (")
    assert len(parts) >= 3, out  # split into (1/n), (2/n), ...
    for part in parts[1:]:
        lines = [line.replace("┃", "│") for line in part.splitlines() if "│" in line or "┃" in line]
        header = lines[0]
        assert "│ Method" in header and "│ k │" in header
        body = " ".join(lines[1:])
        assert body.count("Base") == 2 and body.count("perfcodegen") == 2
