"""The humaneval loader: package data, --data, public tests, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems.humaneval import docstring_examples, mark_public
from perfcodegen.problems.model import TestCase
from perfcodegen.problems.model import TestKind as Kind
from perfcodegen.problems.registry import LoadOptions, load_benchmark

from .reference_runner import failing_tests

ROW = {
    "task_id": "Toy/0",
    "prompt": 'def twice(x):\n    """Double it.\n    >>> twice(2)\n    4\n    twice(-1) ➞ -2\n    """\n',
    "entry_point": "twice",
    "canonical_solution": "    return 2 * x\n",
    "test": "def check(candidate):\n    assert candidate(-1) == -2\n    assert candidate(2) == 4\n"
    "    assert candidate(10) == 20\n",
}


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_local_file_builds_a_complete_problem(tmp_path: Path) -> None:
    (problem,) = load_benchmark(
        "humaneval", LoadOptions(data=write_jsonl(tmp_path / "h.jsonl", [ROW]))
    )
    assert problem.id == "humaneval/Toy/0" and problem.native_id == "Toy/0"
    assert problem.statement.startswith("Double it.") and problem.starter_code == ROW["prompt"]
    assert problem.references == [ROW["prompt"] + ROW["canonical_solution"]]
    assert [t.public for t in problem.tests] == [True, True, False]  # the docstring examples
    assert problem.metadata.split == "test"
    assert failing_tests(problem) == []
    assert failing_tests(problem, "def twice(x):\n    return x + 2\n") != []


def test_docstring_examples_parse_doctest_and_arrow_forms() -> None:
    doc = ">>> f([1, (2, 3)], -1)\n(1, 2)\nf('a') == 'b'\nf(3) => None.\nnot f(4)"
    assert docstring_examples(doc, "f") == [([[1, (2, 3)], -1], (1, 2)), (["a"], "b"), ([3], None)]


def test_first_test_is_public_when_no_example_matches() -> None:
    tests = mark_public(
        [TestCase.call([1], 1), TestCase.assert_("assert candidate(2)")], [([9], 9)]
    )
    assert [t.public for t in tests] == [True, False]


def test_bad_rows_name_file_line_and_field(tmp_path: Path) -> None:
    bad = {k: v for k, v in ROW.items() if k != "entry_point"}
    path = write_jsonl(tmp_path / "h.jsonl", [ROW, bad])
    with pytest.raises(DataError, match=r"h\.jsonl:2: missing field 'entry_point'"):
        load_benchmark("humaneval", LoadOptions(data=path))
    with pytest.raises(DataError, match="not found"):
        load_benchmark("humaneval", LoadOptions(data=tmp_path / "missing.jsonl"))
    with pytest.raises(UnknownNameError, match="plus-mini"):
        load_benchmark("humaneval", LoadOptions(variant="nope"))


def test_plus_variants_without_data_say_where_to_get_them() -> None:
    with pytest.raises(DataError, match=r"HumanEvalPlus-Mini\.jsonl\.gz"):
        load_benchmark("humaneval", LoadOptions(variant="plus-mini"))


def test_package_data_gives_164_problems_with_runnable_references() -> None:
    problems = load_benchmark("humaneval")
    assert len(problems) == 164
    assert problems[0].id == "humaneval/HumanEval/0"
    for problem in problems:
        compile(problem.references[0], problem.id, "exec")
        assert problem.tests and problem.public_tests
    kinds = [t.kind for p in problems for t in p.tests]
    assert len(kinds) == 1133 and kinds.count(Kind.CALL) > 900


@pytest.mark.parametrize(
    "task", ["HumanEval/0", "HumanEval/32", "HumanEval/38", "HumanEval/53", "HumanEval/151"]
)
def test_split_tests_pass_on_the_reference_end_to_end(task: str) -> None:
    problem = next(p for p in load_benchmark("humaneval") if p.native_id == task)
    assert failing_tests(problem) == []
    broken = problem.prompt + "    return None\n"
    assert failing_tests(problem, broken)


def test_shared_copy_matches_package(shared_data: Path, tmp_path: Path) -> None:
    with gzip.open(shared_data / "humaneval" / "HumanEval.jsonl.gz", "rt") as fh:
        first = json.loads(fh.readline())
    path = write_jsonl(tmp_path / "one.jsonl", [first])
    assert load_benchmark("humaneval", LoadOptions(data=path)) == load_benchmark("humaneval")[:1]
