"""ECCO loader on a small copy of its folder layout (JSONL exports + test-case folders)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems import Problem
from perfcodegen.problems.registry import LoadOptions, load_benchmark

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ecco"


def _load(**kw: Any) -> dict[str, Problem]:
    kw.setdefault("data", FIXTURE)
    return {p.id: p for p in load_benchmark("ecco", LoadOptions(**kw))}


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "ecco"))


def _run(program: str, stdin: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", program], input=stdin, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_edit_pairs_become_editing_problems() -> None:
    problems = _load()
    assert list(problems) == [
        "ecco/edit/p00001/0",
        "ecco/edit/p00002/0",
        "ecco/edit/p00001/1",
        "ecco/edit/p00003/0",
    ]
    first, second = problems["ecco/edit/p00001/0"], problems["ecco/edit/p00001/1"]
    assert first.input_program is not None and first.input_program.startswith("n = int(input())")
    assert first.prompt == first.input_program
    assert (
        first.references == [second.references[0]] and first.input_program != second.input_program
    )
    assert first.is_stdio
    assert first.metadata.split == "test"
    assert first.metadata.extra == {"problem_id": "p00001", "pair_index": 0}
    # The local generate/ export supplies the NL description.
    assert first.statement == "Given n and n integers, print their sum."


def test_tests_are_public_then_generated_in_numeric_order() -> None:
    problem = _load()["ecco/edit/p00001/0"]
    assert [t.name for t in problem.tests] == [
        "public/0",
        "public/1",
        "generated/2",
        "generated/9",
        "generated/10",
    ]
    assert [t.public for t in problem.tests] == [True, True, False, False, False]
    assert problem.tests[4].stdin == "4\n1 1 1 1\n" and problem.tests[4].expected_stdout == "4\n"


def test_fixture_programs_pass_their_tests() -> None:
    for problem in _load().values():
        for program in [problem.input_program or "", *problem.references]:
            for test in problem.tests:
                assert _run(program, test.stdin or "") == test.expected_stdout, (
                    problem.id,
                    test.name,
                )


def test_generate_problems_with_spectrum_and_references() -> None:
    problems = _load(variant="generate")
    assert list(problems) == [
        "ecco/generate/p00001",
        "ecco/generate/p00002",
        "ecco/generate/p00003",
    ]
    summing = problems["ecco/generate/p00001"]
    assert summing.statement == summing.prompt == "Given n and n integers, print their sum."
    assert summing.input_program is None and len(summing.references) == 1
    assert summing.metadata.extra["spectrum"] == {
        "runtimes": [0.01, 0.02, 0.03],
        "memories": [9100.0, 9200.0, 9300.0],
    }
    # A spectrum in the generate row itself wins over generate_eval; no solutions -> no references.
    reversing = problems["ecco/generate/p00003"]
    assert reversing.metadata.extra["spectrum"] == {
        "runtimes": [0.02, 0.05],
        "memories": [9000.0, 9100.0],
    }
    assert reversing.references == []


def test_tests_dir_given_separately(tmp_path: Path) -> None:
    data = tmp_path / "rows"
    shutil.copytree(FIXTURE / "edit", data / "edit")
    problems = _load(data=data, extra={"tests_dir": str(FIXTURE)})
    assert len(problems) == 4
    assert problems["ecco/edit/p00002/0"].statement.startswith("Optimize the given program")
    with pytest.raises(DataError, match="ECCO test cases not found"):
        _load(data=data)


def test_missing_test_folders(tmp_path: Path) -> None:
    data = _copy(tmp_path)
    shutil.rmtree(data / "generated_test_cases" / "p00002")
    problem = _load(data=data)["ecco/edit/p00002/0"]
    assert [t.name for t in problem.tests] == ["public/0"]
    assert problem.metadata.extra["missing_test_folders"] == [
        str(data / "generated_test_cases" / "p00002")
    ]
    shutil.rmtree(data / "public_test_cases" / "p00002")
    with pytest.raises(DataError, match="no test folder for ECCO problem 'p00002'"):
        _load(data=data)


def test_unpaired_test_file_is_an_error(tmp_path: Path) -> None:
    data = _copy(tmp_path)
    (data / "generated_test_cases" / "p00003" / "output.1.txt").unlink()
    with pytest.raises(DataError, match=r"p00003/input\.1\.txt: no matching output\.1\.txt"):
        _load(data=data)


def test_missing_split_and_bad_names(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no edit/train split"):
        _load(split="train")
    with pytest.raises(UnknownNameError, match="variant"):
        _load(variant="nl2code")
    with pytest.raises(UnknownNameError, match="split"):
        _load(split="dev")
    with pytest.raises(DataError, match="must be a folder"):
        _load(data=FIXTURE / "edit" / "test.jsonl")


def test_malformed_row_names_file_line_and_field(tmp_path: Path) -> None:
    data = _copy(tmp_path)
    rows = (data / "edit" / "test.jsonl").read_text().splitlines()
    broken = json.loads(rows[1])
    del broken["target"]
    rows[1] = json.dumps(broken)
    (data / "edit" / "test.jsonl").write_text("\n".join(rows) + "\n")
    with pytest.raises(
        DataError, match=r"edit/test\.jsonl:2: missing field 'target' \(also accepted: fast_code"
    ):
        _load(data=data)


def test_hub_offline_gives_a_clear_error(tmp_path: Path) -> None:
    code = (
        "from perfcodegen.errors import PerfCodegenError\n"
        "from perfcodegen.problems.registry import LoadOptions, load_benchmark\n"
        f"options = LoadOptions(extra={{'tests_dir': {str(FIXTURE)!r}}})\n"
        "try:\n    load_benchmark('ecco', options)\n"
        "except PerfCodegenError as exc:\n    print('ERROR', type(exc).__name__, exc)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.startswith("ERROR DataError"), result.stderr[-2000:]
    assert "CodeEff/ECCO" in result.stdout and "--data" in result.stdout


def test_hub_path_needs_test_cases() -> None:
    with pytest.raises(DataError, match="ECCO needs its test cases"):
        load_benchmark("ecco", LoadOptions())
