"""`perfcodegen benchmarks` and `perfcodegen problems list|show`, in-process and once via a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from perfcodegen.cli import main

ROW = {
    "task_id": "Toy/7",
    "prompt": 'def inc(x):\n    """Add one.\n    >>> inc(1)\n    2\n    """\n',
    "entry_point": "inc",
    "canonical_solution": "    return x + 1\n",
    "test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-1) == 0\n",
}


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "toy.jsonl"
    path.write_text(json.dumps(ROW) + "\n")
    return path


def test_list_json(data_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "list", "humaneval", "--data", str(data_file), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == "humaneval/Toy/7" and row["tests"] == 2 and row["public_tests"] == 1


def test_list_table_counts_package_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "list", "humaneval", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "164 problems, 2 shown" in out and "HumanEval/1" in out and "HumanEval/2 " not in out


def test_show_by_full_id_and_by_pair(data_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "show", "humaneval/Toy/7", "--data", str(data_file), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["references"] == [ROW["prompt"] + ROW["canonical_solution"]]
    assert main(["problems", "show", "humaneval", "Toy/7", "--data", str(data_file)]) == 0
    out = capsys.readouterr().out
    assert "Add one." in out and "assert inc(-1) == 0" in out and "reference 0" in out


def test_user_errors_exit_non_zero_without_traceback(
    data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["problems", "list", "nosuch"]) == 2
    assert "unknown benchmark 'nosuch'; known:" in capsys.readouterr().err
    assert main(["problems", "show", "humaneval/Toy/99", "--data", str(data_file)]) == 2
    assert "no problem 'Toy/99'" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({k: v for k, v in ROW.items() if k != "test"}) + "\n")
    assert main(["problems", "list", "humaneval", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:1: missing field 'test'" in err.replace("\n", "") and "Traceback" not in err
    assert main(["problems", "list", "humaneval", "--variant", "plus-mini"]) == 2
    assert "humanevalplus_release" in capsys.readouterr().err.replace("\n", "")


def test_benchmarks_json_counts_offline(
    data_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["benchmarks", "--json", "--data", f"humaneval={data_file}"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["humaneval"]["problems"] == {"default": 1}
    assert {"humaneval", "mbpp"} <= set(rows) and "sanitized" in rows["mbpp"]["splits"]


def test_benchmarks_with_shared_mbpp(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "--json", "--data", f"mbpp={shared_data / 'mbpp'}"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["mbpp"]["problems"] == {"default": 500, "all": 974}
    assert rows["humaneval"]["problems"] == {"default": 164}


def test_subprocess_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "perfcodegen", "problems", "list", "mbpp", "--data", str(tmp_path / "nope.jsonl")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "dataset file not found" in proc.stderr and "Traceback" not in proc.stderr
