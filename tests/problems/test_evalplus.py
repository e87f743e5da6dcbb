"""EvalPlus variants: expected outputs from the canonical solution, in a child, cached."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from perfcodegen.errors import DataError
from perfcodegen.plain import PLAIN_NODE_BUDGET, output_digest
from perfcodegen.problems import evalplus
from perfcodegen.problems.model import Problem
from perfcodegen.problems.model import TestKind as Kind
from perfcodegen.problems.registry import LoadOptions, load_benchmark

from .reference_runner import failing_tests

TASK = {
    "task_id": "HumanEval/900",
    "prompt": 'def half(x):\n    """Half of x.\n    >>> half(4)\n    2.0\n    """\n',
    "entry_point": "half",
    "canonical_solution": "    print('noise')\n    return (x / 2, [x]) if x > 100 else x / 2\n",
    "base_input": [[4], [3]],
    "plus_input": [[1000], [-1]],
    "atol": 1e-6,
    "test": "def check(candidate):\n    pass\n",
}


def write_gz(path: Path, rows: list[dict[str, object]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    return path


def load_plus(data: Path, cache: Path, benchmark: str = "humaneval") -> list[Problem]:
    return load_benchmark(
        benchmark, LoadOptions(variant="plus", data=data, extra={"cache_dir": str(cache)})
    )


def test_expected_outputs_come_from_the_reference(tmp_path: Path) -> None:
    (problem,) = load_plus(
        write_gz(tmp_path / "HumanEvalPlus.jsonl.gz", [TASK]), tmp_path / "cache"
    )
    assert [(t.name, t.args, t.expected) for t in problem.tests] == [
        ("base", [4], 2.0), ("base", [3], 1.5), ("plus", [1000], (500.0, [1000])), ("plus", [-1], -0.5),
    ]  # fmt: skip
    assert all(t.kind is Kind.CALL and t.atol == 1e-6 for t in problem.tests)
    assert [t.public for t in problem.tests] == [True, False, False, False]  # docstring example
    assert failing_tests(problem) == []


def test_outputs_are_cached_by_data_hash(tmp_path: Path) -> None:
    data = write_gz(tmp_path / "HumanEvalPlus.jsonl.gz", [TASK])
    first = load_plus(data, tmp_path / "cache")
    (cache_file,) = (tmp_path / "cache" / "evalplus").iterdir()
    cached = json.loads(cache_file.read_text())
    cached["HumanEval/900"][0][0] = 99.0  # proves the second load reads the cache
    cache_file.write_text(json.dumps(cached))
    assert load_plus(data, tmp_path / "cache")[0].tests[0].expected == 99.0
    changed = write_gz(tmp_path / "HumanEvalPlus.jsonl.gz", [dict(TASK, base_input=[[8]])])
    assert load_plus(changed, tmp_path / "cache")[0].tests[0].expected == 4.0
    assert first[0].tests[0].expected == 2.0


def test_failing_reference_is_a_data_error(tmp_path: Path) -> None:
    bad = dict(TASK, canonical_solution="    return 1 / 0\n")
    with pytest.raises(
        DataError, match="HumanEval/900: the canonical solution failed: ZeroDivisionError"
    ):
        load_plus(write_gz(tmp_path / "HumanEvalPlus.jsonl.gz", [bad]), tmp_path / "cache")


def test_huge_outputs_become_digest_call_tests(tmp_path: Path) -> None:
    big = dict(
        TASK,
        canonical_solution="    return list(range(int(x)))\n",
        base_input=[[50_000]],
        plus_input=[[2]],
    )
    (problem,) = load_plus(write_gz(tmp_path / "HumanEvalPlus.jsonl.gz", [big]), tmp_path / "cache")
    huge = problem.tests[0]
    assert huge.kind is Kind.CALL and huge.expected is None
    assert huge.expected_digest == output_digest(list(range(50_000)))
    assert problem.tests[1].kind is Kind.CALL and problem.tests[1].expected == [0, 1]
    assert problem.test_setup == ""
    assert failing_tests(problem) == []
    assert failing_tests(problem, problem.prompt + "    return list(range(int(x) - 1))\n")
    # type-exact: a tuple of the same items is not the expected list, and None is not it either
    for wrong in ("tuple(range(int(x)))", "None"):
        failures = failing_tests(problem, problem.prompt + f"    return {wrong}\n")
        assert [f.split(":")[0] for f in failures] == ["0", "1"]


def test_outputs_too_large_to_judge_leave_their_test_out_and_say_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """MBPP+'s Mbpp/255 has an output of 128 million items: more than the judge decodes or
    digests (`PLAIN_NODE_BUDGET`), so no program could pass it. Its test is left out, the
    problem records which, and the rest of the benchmark loads."""
    huge = dict(
        TASK,
        canonical_solution="    return [[i] for i in range(int(x))]\n",
        base_input=[[3]],
        plus_input=[[PLAIN_NODE_BUDGET], [2]],
    )
    data = write_gz(tmp_path / "HumanEvalPlus.jsonl.gz", [huge])
    for _ in range(2):  # computed, then from the cache
        with caplog.at_level("WARNING"):
            (problem,) = load_plus(data, tmp_path / "cache")
        assert [(t.name, t.args) for t in problem.tests] == [("base", [3]), ("plus", [2])]
        assert problem.metadata.extra["left_out_tests"] == ["plus 0"]
        assert "HumanEval/900: 1 test(s) left out (plus 0)" in caplog.text
        caplog.clear()


def test_hub_rows_with_inputs_inside_test_code() -> None:
    row = dict(TASK, test="def check(candidate):\n    inputs = [[1], [(2, 3)]]\n    results = []\n")
    del row["base_input"], row["plus_input"]
    (task,) = evalplus.tasks_from_rows([row], "hub")
    assert task.base_inputs == [] and task.plus_inputs == [[1], [(2, 3)]]


def test_mbpp_plus_converts_inputs_and_uses_oracles(tmp_path: Path) -> None:
    rows = [
        {"task_id": "Mbpp/2", "prompt": '"""\nShared elements.\nassert similar_elements((1,), (1,)) == (1,)\n"""\n',
         "entry_point": "similar_elements", "canonical_solution": "\ndef similar_elements(a, b):\n  return tuple(set(a) & set(b))\n",
         "base_input": [[[3, 4, 5], [5, 4]]], "plus_input": [], "atol": 0},
        {"task_id": "Mbpp/600", "prompt": '"""\nIs even.\n"""\n', "entry_point": "is_even",
         "canonical_solution": "\ndef is_even(n):\n  return n % 2 == 0\n", "base_input": [[1]], "plus_input": {}, "atol": 0},
    ]  # fmt: skip
    first, second = load_plus(
        write_gz(tmp_path / "MbppPlus.jsonl.gz", rows), tmp_path / "c", "mbpp"
    )
    assert first.id == "mbpp/2" and first.statement == "Shared elements."
    assert first.tests[0].assertion == "assert set(candidate((3, 4, 5), (5, 4))) == set((4, 5))"
    assert first.metadata.split == "prompt" and second.metadata.split == "validation"
    assert second.tests[0].args == [1] and second.tests[0].expected is False
    assert failing_tests(first) == [] and failing_tests(second) == []


@pytest.mark.parametrize(("folder", "name", "benchmark"), [
    ("humanevalplus", "HumanEvalPlus-Mini.jsonl.gz", "humaneval"),
    ("mbppplus", "MbppPlus.jsonl.gz", "mbpp"),
])  # fmt: skip
def test_shared_release_files_first_tasks(
    shared_data: Path, tmp_path: Path, folder: str, name: str, benchmark: str
) -> None:
    with gzip.open(shared_data / folder / name, "rt") as fh:
        rows = [json.loads(next(fh)) for _ in range(3)]
    problems = load_plus(
        write_gz(tmp_path / name.replace("-Mini", ""), rows), tmp_path / "c", benchmark
    )
    assert len(problems) == 3
    for problem in problems:
        assert len(problem.tests) > 3 and failing_tests(problem) == [], problem.id
        assert Problem.model_validate_json(problem.model_dump_json()) == problem
