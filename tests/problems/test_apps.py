"""APPS loader: codeparrot and MapCoder rows, on small fixtures and on the shared selected150."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems import Problem
from perfcodegen.problems._io import shared_data_dir
from perfcodegen.problems.model import TestKind as Kind
from perfcodegen.problems.registry import LoadOptions, get_benchmark, load_benchmark

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
CODEPARROT = FIXTURES / "codeparrot_test.jsonl"
MAPCODER = FIXTURES / "mapcoder.jsonl"


def _load(path: Path, **kw: Any) -> dict[str, Problem]:
    return {p.native_id: p for p in load_benchmark("apps", LoadOptions(data=path, **kw))}


def _call(program: str, entry_point: str, args: list[Any]) -> Any:
    namespace: dict[str, Any] = {}
    exec(program, namespace)
    return namespace[entry_point](*args)


def test_registered_with_splits() -> None:
    info = get_benchmark("apps")
    assert info.splits == ("train", "test")
    assert info.default_split == "test"


def test_codeparrot_stdio_problem() -> None:
    problem = _load(CODEPARROT)["test/7"]
    assert problem.id == "apps/test/7"
    assert problem.is_stdio and problem.entry_point is None
    assert [t.kind for t in problem.tests] == [Kind.STDIO] * 3
    assert problem.tests[0].stdin == "1 2\n" and problem.tests[0].expected_stdout == "3\n"
    assert problem.tests[2].expected_stdout == "0"  # a list of lines is joined, as APPS does
    assert [t.public for t in problem.tests] == [True, True, False]
    assert len(problem.references) == 2
    assert problem.metadata.difficulty == "introductory" and problem.metadata.split == "test"
    assert "Use Standard Input format" in problem.prompt and problem.statement in problem.prompt


def test_codeparrot_call_based_unwraps_and_restores_int_keys() -> None:
    problem = _load(CODEPARROT)["test/8"]
    assert problem.entry_point == "counts"
    first = problem.tests[0]
    assert first.kind is Kind.CALL
    assert first.args == [[3, 1, 2], 0]
    assert first.expected == {1: 0, 2: 0, 3: 0}
    for reference in problem.references:  # every reference agrees with every parsed test
        for test in problem.tests:
            assert _call(reference, "counts", list(test.args or [])) == test.expected
    assert "Use Call-Based format" in problem.prompt


def test_codeparrot_class_solution_becomes_assertions() -> None:
    problem = _load(CODEPARROT)["test/9"]
    assert problem.entry_point == "double"
    assert all(t.kind is Kind.ASSERT for t in problem.tests)
    assert problem.tests[1].assertion == "assert Solution().double(*[4]) == 8"  # bare outputs kept
    namespace: dict[str, Any] = {}
    exec(problem.references[0], namespace)
    for test in problem.tests:
        exec(test.assertion or "", namespace)


def test_codeparrot_problem_without_tests_is_skipped() -> None:
    assert "test/10" not in _load(CODEPARROT)


def test_difficulty_filter_and_unknown_values() -> None:
    assert list(_load(CODEPARROT, difficulty="interview")) == ["test/8"]
    with pytest.raises(UnknownNameError, match="difficulty"):
        _load(CODEPARROT, difficulty="hard")
    with pytest.raises(UnknownNameError, match="split"):
        _load(CODEPARROT, split="validation")


def test_split_folder_layout(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text(CODEPARROT.read_text())
    problems = _load(tmp_path, split="train")
    assert set(problems) == {"train/7", "train/8", "train/9"}
    assert {p.metadata.split for p in problems.values()} == {"train"}
    with pytest.raises(DataError, match=r"no test\.jsonl"):
        _load(tmp_path, split="test")


def test_mapcoder_rows_call_arguments() -> None:
    problems = _load(MAPCODER)
    assert list(problems) == ["train/4335", "train/1613", "train/1604"]
    anagrams = problems["train/4335"]
    assert anagrams.entry_point == "anagrams" and anagrams.references == []
    # test_list only, as APPS's harness and MapCoder run it; its first tests are public.
    assert anagrams.tests[1].args == ["racer", ["crazer", "carer", "racar", "caers", "racer"]]
    assert anagrams.tests[1].expected == ["carer", "racer"]
    assert [t.public for t in anagrams.tests] == [True, True, False]
    assert anagrams.metadata.extra["duplicate_rows"] == 1
    # On request, the sample is added as a public test; test_list then stays private in full.
    asked = _load(MAPCODER, extra={"sample_io": "yes"})["train/4335"]
    assert asked.tests[1:] == [t.model_copy(update={"public": False}) for t in anagrams.tests]
    assert [t.public for t in asked.tests] == [True, False, False, False]
    markers = problems["train/1613"].tests[0]
    assert markers.args == ["apples, pears # and bananas\ngrapes\nbananas !apples", ["#", "!"]]
    assert markers.expected == "apples, pears\ngrapes\nbananas"


def test_mapcoder_public_rule_without_samples_and_stdio() -> None:
    problems = _load(MAPCODER)
    assert [t.public for t in problems["train/1613"].tests] == [True, True, False]
    grid = problems["train/1604"]
    assert grid.is_stdio
    assert [(t.stdin, t.expected_stdout, t.public) for t in grid.tests] == [
        ("1 1\n.\n", "1\n", True),
        ("2 2\n..\n..\n", "2\n", False),
    ]


def test_conflicting_duplicate_is_an_error(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in MAPCODER.read_text().splitlines()]
    changed = dict(rows[0], description="something else")
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [rows[0], changed]) + "\n")
    with pytest.raises(DataError, match=rf"{path}:2: id 'train/4335' repeats {path}:1"):
        _load(path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"problem_id": 1, "question": "q", "input_output": "{bad"},
            r":1: field 'input_output' is not valid JSON",
        ),
        ({"problem_id": 1, "input_output": "{}"}, r":1: missing field 'question'"),
        (
            {
                "problem_id": 1,
                "question": "q",
                "input_output": json.dumps({"inputs": ["1"], "outputs": []}),
            },
            r":1: field 'input_output' needs equally long",
        ),
        (
            {"id": 3, "description": "d", "test_list": [{"input": 5, "output": [1]}]},
            r":1: test_list\[0\]: field 'input'",
        ),
        ({"id": 3, "description": "d", "test_list": "x"}, r":1: field 'test_list' should be list"),
        (
            {
                "id": 3,
                "description": "d",
                "starter_code": "x = 1",
                "test_list": [{"input": "1", "output": [1]}],
            },
            r":1: field 'starter_code' has no function definition",
        ),
    ],
)
def test_malformed_rows_name_file_line_and_field(
    tmp_path: Path, row: dict[str, Any], message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError, match=message):
        _load(path)


def test_hub_offline_gives_a_clear_error(tmp_path: Path) -> None:
    code = (
        "from perfcodegen.errors import PerfCodegenError\n"
        "from perfcodegen.problems.registry import LoadOptions, load_benchmark\n"
        "try:\n    load_benchmark('apps', LoadOptions(split='test'))\n"
        "except PerfCodegenError as exc:\n    print('ERROR', type(exc).__name__, exc)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.startswith("ERROR"), result.stderr[-2000:]
    assert "codeparrot/apps" in result.stdout and "--data" in result.stdout


@pytest.mark.shared_data
def test_shared_selected150() -> None:
    data = shared_data_dir()
    if data is None:
        pytest.skip("../shared/data is absent")
    path = data / "apps" / "mapcoder_selected150" / "selected150.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    problems = load_benchmark("apps", LoadOptions(data=path))
    assert len(rows) == 150 and len(problems) == 128
    assert sum(1 for r in rows if r["starter_code"]) == 98  # call-based rows, repeats included
    assert sum(1 for p in problems if p.entry_point) == len(
        {r["id"] for r in rows if r["starter_code"]}
    )
    assert sum(p.metadata.extra.get("duplicate_rows", 0) for p in problems) == 150 - 128
    assert all(p.public_tests and p.private_tests for p in problems)
    by_difficulty = {
        d: len(load_benchmark("apps", LoadOptions(data=path, difficulty=d)))
        for d in ("introductory", "interview", "competition")
    }
    assert sum(by_difficulty.values()) == 128
    zonk = next(p for p in problems if p.native_id == "train/3554")
    assert zonk.entry_point == "get_score"
    assert zonk.tests[0].args == [[1]] and zonk.tests[0].expected == 100  # test_list's first
    assert all(t.stdout_rule == "apps" for p in problems if p.is_stdio for t in p.tests)
    (asked,) = [p for p in load_benchmark("apps", LoadOptions(data=path, extra={"sample_io": "yes"}))
                if p.native_id == "train/3554"]
    assert asked.tests[0].args == [[1, 2, 3]] and asked.tests[0].public  # sample_io's first
