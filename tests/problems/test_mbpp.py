"""The mbpp loader: splits, sanitized, CRLF, setup code, challenge tests, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems.mbpp import parse_quietly
from perfcodegen.problems.model import TestKind as Kind
from perfcodegen.problems.registry import LoadOptions, load_benchmark

from .reference_runner import failing_tests

FULL_ROWS = [
    {
        "text": "Add one.",
        "code": "def add_one(x):\r\n    return x + 1",
        "task_id": 11,
        "test_setup_code": "",
        "test_list": [
            "assert add_one(1) == 2",
            "assert add_one(-3) == -2",
            "assert add_one(0) > 0",
        ],
        "challenge_test_list": ["assert add_one((10)) == 11"],
    },
    {
        "text": "Count nodes.",
        "code": "class Node:\r\n\tdef __init__(self, n):\r\n\t\tself.n = n\r\ndef size(node):\r\n\treturn node.n",
        "task_id": 700,
        "test_setup_code": "root = Node(3)\r\n",
        "test_list": [
            "assert size(root) == 3",
            "assert size(Node(1)) == 1",
            "assert size(Node(0)) == 0",
        ],
        "challenge_test_list": [],
    },
]
SANITIZED = [
    {
        "source_file": "nb.ipynb",
        "task_id": 82,
        "prompt": "Volume of a sphere.",
        "code": "import math\ndef volume(r):\n  return (4/3)*math.pi*r**3",
        "test_imports": ["import math"],
        "test_list": ["assert math.isclose(volume(1), 4.18879, rel_tol=0.001)"],
    }
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "mbpp.jsonl").write_text("".join(json.dumps(r) + "\n" for r in FULL_ROWS))
    (tmp_path / "sanitized-mbpp.json").write_text(json.dumps(SANITIZED))
    return tmp_path


def test_full_rows_become_problems(data_dir: Path) -> None:
    (problem,) = load_benchmark("mbpp", LoadOptions(data=data_dir))  # default split: test
    assert problem.id == "mbpp/11" and problem.entry_point == "add_one"
    assert problem.references == ["def add_one(x):\n    return x + 1"]
    assert problem.statement == "Add one."
    assert "Your code should pass these tests:\n\nassert add_one(1) == 2\n" in problem.prompt
    # MBPP's harness runs test_list only: no challenge test unless asked for.
    assert [t.kind for t in problem.tests] == [Kind.CALL, Kind.CALL, Kind.ASSERT]
    assert problem.tests[1].args == [-3] and problem.tests[1].expected == -2
    assert problem.tests[2].assertion == "assert add_one(0) > 0"
    assert [t.public for t in problem.tests] == [True, False, False]
    assert failing_tests(problem) == []
    (asked,) = load_benchmark("mbpp", LoadOptions(data=data_dir, extra={"challenge": "yes"}))
    assert [t.name for t in asked.tests] == [None, None, None, "challenge"]
    assert asked.tests[3].kind is Kind.CALL and asked.tests[3].expected == 11
    with pytest.raises(UnknownNameError, match="challenge"):
        load_benchmark("mbpp", LoadOptions(data=data_dir, extra={"challenge": "maybe"}))


def test_setup_code_and_splits(data_dir: Path) -> None:
    (train,) = load_benchmark("mbpp", LoadOptions(data=data_dir, split="train"))
    # The reference's class the setup names comes first, defined only where the program has
    # none (the replay of an assertion runs no program code): MBPP/367's `Node`.
    assert train.test_setup.endswith("root = Node(3)") and train.metadata.split == "train"
    assert train.test_setup.startswith("if 'Node' not in globals():\n    class Node:")
    assert failing_tests(train) == []
    assert len(load_benchmark("mbpp", LoadOptions(data=data_dir, split="all"))) == 2
    assert load_benchmark("mbpp", LoadOptions(data=data_dir, split="validation")) == []


def test_sanitized_uses_prompt_and_test_imports(data_dir: Path) -> None:
    (problem,) = load_benchmark("mbpp", LoadOptions(data=data_dir, split="sanitized"))
    assert problem.statement == "Volume of a sphere." and problem.test_setup == "import math"
    assert problem.metadata.extra["source_file"] == "nb.ipynb"
    assert failing_tests(problem) == []


def test_bad_input_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="sanitized-all"):
        load_benchmark("mbpp", LoadOptions(data=data_dir, split="nope"))
    with pytest.raises(DataError, match=r"sanitized-mbpp\.json"):
        load_benchmark("mbpp", LoadOptions(data=data_dir / "mbpp.jsonl", split="sanitized"))
    broken = dict(FULL_ROWS[0], test_list="assert x")
    (tmp_path / "bad.jsonl").write_text(json.dumps(broken) + "\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:1: field 'test_list' should be list"):
        load_benchmark("mbpp", LoadOptions(data=tmp_path / "bad.jsonl"))


def test_shared_counts_and_runnable_references(shared_data: Path) -> None:
    folder = shared_data / "mbpp"
    counts = {
        split: len(load_benchmark("mbpp", LoadOptions(data=folder, split=split)))
        for split in ("all", "test", "prompt", "validation", "train", "sanitized", "sanitized-all")
    }
    assert counts == {
        "all": 974, "test": 500, "prompt": 10, "validation": 90, "train": 374,
        "sanitized": 257, "sanitized-all": 427,
    }  # fmt: skip
    sanitized = load_benchmark("mbpp", LoadOptions(data=folder, split="sanitized"))
    for problem in sanitized:
        parse_quietly(problem.references[0])
        assert "\r" not in problem.references[0] and problem.entry_point
    for problem in sanitized[:8]:
        assert failing_tests(problem) == [], problem.id
