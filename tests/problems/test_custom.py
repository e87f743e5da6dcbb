"""The custom benchmark: our JSONL/YAML/JSON schema, its documented example, and its errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from perfcodegen.errors import DataError
from perfcodegen.problems import Problem
from perfcodegen.problems.model import TestKind as Kind
from perfcodegen.problems.registry import LoadOptions, load_benchmark

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "custom" / "problems.jsonl"
DOC = ROOT / "docs" / "custom-benchmark.md"

VALID_CALL = {
    "id": "p",
    "statement": "s",
    "entry_point": "f",
    "tests": [{"args": [1], "expected": 1}],
}


def _load(path: Path) -> dict[str, Problem]:
    return {p.native_id: p for p in load_benchmark("custom", LoadOptions(data=path))}


def _write_jsonl(tmp_path: Path, *rows: dict[str, Any]) -> Path:
    path = tmp_path / "problems.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _doc_block(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert match is not None, f"no {language} block in {DOC}"
    return match.group(1)


def test_function_problem_fields_and_test_kinds() -> None:
    add = _load(FIXTURE)["add"]
    assert add.id == "custom/add" and add.benchmark == "custom" and add.entry_point == "add"
    assert add.prompt == "Add two numbers.\n\ndef add(a, b):\n"
    assert [t.kind for t in add.tests] == [Kind.CALL, Kind.CALL, Kind.CALL, Kind.ASSERT]
    assert [t.public for t in add.tests] == [True, False, False, False]
    assert add.tests[1].atol == 1e-9 and add.tests[1].name == "floats"
    assert add.tests[2].args == [(1,), (2,)] and add.tests[2].expected == (1, 2)  # tagged tuples
    assert add.test_setup == "import math\n"
    assert add.metadata.time_limit_s == 1.5 and add.metadata.memory_limit_mb is None
    assert add.metadata.difficulty == "easy" and add.metadata.extra == {"origin": "fixture"}
    namespace: dict[str, Any] = {}
    exec(add.references[0], namespace)
    for test in add.tests:
        if test.kind is Kind.CALL:
            assert namespace["add"](*(test.args or [])) == pytest.approx(test.expected)


def test_stdio_problem() -> None:
    echo = _load(FIXTURE)["echo"]
    assert echo.is_stdio and echo.input_program is not None
    assert [(t.kind, t.stdin, t.expected_stdout) for t in echo.tests] == [
        (Kind.STDIO, "hi\n", "hi\n"),
        (Kind.STDIO, "x y\n", "x y\n"),
    ]
    assert echo.metadata.memory_limit_mb == 64


def test_documented_yaml_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(_doc_block("yaml"))
    problems = _load(path)
    assert list(problems) == ["sum-of-squares", "echo-sum"]
    squares = problems["sum-of-squares"]
    assert squares.tests[2].expected == 333338333350000 and squares.tests[3].kind is Kind.ASSERT
    assert squares.metadata.time_limit_s == 2 and squares.metadata.extra == {"source": "tutorial"}
    namespace: dict[str, Any] = {}
    exec(squares.references[0], namespace)
    exec(squares.input_program or "", {})
    for test in squares.tests:
        if test.kind is Kind.CALL:
            assert namespace["sum_of_squares"](*(test.args or [])) == test.expected
        else:
            exec(test.assertion or "", namespace)


def test_documented_jsonl_example_matches_yaml(tmp_path: Path) -> None:
    path = tmp_path / "example.jsonl"
    path.write_text(_doc_block("json"))
    problems = _load(path)
    assert list(problems) == ["sum-of-squares", "echo-sum"]
    assert problems["echo-sum"].tests[0].stdin == "1 2\n"


def test_json_and_yaml_list_forms(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"problems": [VALID_CALL]}))
    (tmp_path / "b.yml").write_text(
        "- id: p\n  statement: s\n  stdio: true\n  tests:\n    - {stdin: '1', stdout: '1'}\n"
    )
    assert _load(tmp_path / "a.json")["p"].entry_point == "f"
    assert _load(tmp_path / "b.yml")["p"].is_stdio


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**VALID_CALL, "tests": [{"args": [1]}]}, r"field tests\[0\]: a call test needs expected"),
        (
            {**VALID_CALL, "tests": [{"args": [1], "expected": 1, "stdin": "x"}]},
            r"field tests\[0\]: give exactly one of",
        ),
        (
            {**VALID_CALL, "tests": [{"kind": "assert", "assertion": "assert 1", "stdout": "x"}]},
            r"tests\[0\]: an? assert test cannot have stdout",
        ),
        ({**VALID_CALL, "tests": []}, r"field tests: List should have at least 1 item"),
        ({**VALID_CALL, "refrences": []}, r"field refrences: Extra inputs are not permitted"),
        ({**VALID_CALL, "stdio": True}, r"give exactly one of 'entry_point'"),
        (
            {k: v for k, v in VALID_CALL.items() if k != "statement"},
            r"field statement: Field required",
        ),
        (
            {**VALID_CALL, "tests": [{"stdin": "1", "stdout": "1"}]},
            r"tests\[0\]: a stdio test does not fit a function problem",
        ),
        (
            {**VALID_CALL, "limits": {"time_limit_s": -1}},
            r"field limits.time_limit_s: Input should be greater than 0",
        ),
        (
            {**VALID_CALL, "tests": [{"args": "1", "expected": 1}]},
            r"field tests\[0\].args: Input should be a valid list",
        ),
    ],
)
def test_validation_errors_name_file_line_and_field(
    tmp_path: Path, row: dict[str, Any], message: str
) -> None:
    path = _write_jsonl(tmp_path, VALID_CALL | {"id": "first"}, row)
    with pytest.raises(DataError, match=rf"problems\.jsonl:2: .*{message}"):
        _load(path)


def test_yaml_errors_give_the_problem_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "problems:\n  - id: a\n    statement: s\n    entry_point: f\n    tests: [{args: [1], expected: 1}]\n  - id: b\n    statement: s\n    tests: [{args: [1], expected: 1}]\n"
    )
    with pytest.raises(
        DataError, match=r"p\.yaml:6 \(problem #1\): give exactly one of 'entry_point'"
    ):
        _load(path)
    path.write_text("problems: [\n")
    with pytest.raises(DataError, match="not valid YAML"):
        _load(path)


def test_duplicate_ids_missing_data_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r":2: field 'id': 'p' is already used at .*:1"):
        _load(_write_jsonl(tmp_path, VALID_CALL, VALID_CALL))
    with pytest.raises(DataError, match="needs --data PATH"):
        load_benchmark("custom", LoadOptions())
    (tmp_path / "p.toml").write_text("")
    with pytest.raises(DataError, match="unknown custom benchmark format"):
        _load(tmp_path / "p.toml")
    with pytest.raises(DataError, match="not found"):
        _load(tmp_path / "missing.jsonl")
    (tmp_path / "list.jsonl").write_text("[1, 2]\n")
    with pytest.raises(DataError, match=r"list\.jsonl:1: expected a JSON object"):
        _load(tmp_path / "list.jsonl")
