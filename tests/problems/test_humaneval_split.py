"""The check() splitter: parsing, not regexes; tricky HumanEval checks."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from perfcodegen.problems.humaneval_split import split_check
from perfcodegen.problems.model import Problem, TestCase
from perfcodegen.problems.model import TestKind as Kind

CHECK = """
import math

METADATA = {"author": "x"}

def check(candidate):
    assert candidate(1, (2, 3)) == (-1, [None, True]), "message"
    assert {"k": -2.5} == candidate(0, ())
    assert abs(candidate(2, ()) - 1.5) < 1e-6
    assert candidate(3, ())
    assert candidate(4, ()) is None
    assert True, "never fails"
    n = 5
    import string
    assert candidate(n, ()) == string.digits
    for i in range(3):
        assert candidate(i, ()) != -1
"""


def test_literal_asserts_become_call_tests_with_types_kept() -> None:
    split = split_check(CHECK, "f")
    first, second, third = split.tests[:3]
    assert first.kind is Kind.CALL and first.args == [1, (2, 3)]
    assert first.expected == (-1, [None, True]) and isinstance(first.expected, tuple)
    assert second.args == [0, ()] and second.expected == {"k": -2.5}
    assert third.args == [2, ()] and third.expected == 1.5 and third.atol == 1e-6


def test_other_asserts_keep_their_source_and_preceding_statements() -> None:
    tests = split_check(CHECK, "f").tests[3:]
    assert [t.kind for t in tests] == [Kind.ASSERT] * 4  # `assert True` dropped
    assert tests[0].assertion == "assert candidate(3, ())"
    assert tests[1].assertion == "assert candidate(4, ()) is None"
    # the helper variable and local import run before the assert that needs them
    assert tests[2].assertion == "n = 5\nimport string\nassert candidate(n, ()) == string.digits"
    assert tests[3].assertion is not None and tests[3].assertion.startswith(
        "n = 5\nimport string\nfor"
    )


def test_setup_keeps_module_code_but_not_metadata_or_check() -> None:
    assert split_check(CHECK, "f").setup == "import math"


def test_assert_tests_run_on_their_own() -> None:
    def f(n: int, _t: tuple[int, ...]) -> object:
        return "0123456789" if n == 5 else n

    split = split_check(CHECK, "f")
    for test in split.tests[5:]:
        namespace: dict[str, object] = {"candidate": f}
        exec(split.setup, namespace)
        exec(test.assertion or "", namespace)


def test_parameter_not_named_candidate_is_rebound() -> None:
    split = split_check(
        "def check(fn):\n    x = 2\n    assert fn(x) == 4\n    assert fn(1) == 1\n", "g"
    )
    assert split.tests[0].assertion == "fn = candidate\nx = 2\nassert fn(x) == 4"
    assert split.tests[1] == TestCase.call([1], 1)


def test_problem_round_trips_through_json() -> None:
    split = split_check(CHECK, "f")
    problem = Problem(
        id="humaneval/X/1", benchmark="humaneval", native_id="X/1", statement="s", prompt="p",
        entry_point="f", tests=split.tests, test_setup=split.setup,
    )  # fmt: skip
    again = Problem.model_validate_json(problem.model_dump_json())
    assert again == problem
    assert isinstance(again.tests[0].args[1], tuple) and isinstance(again.tests[0].expected, tuple)


@pytest.fixture
def humaneval_rows(shared_data: Path) -> dict[str, dict[str, str]]:
    with gzip.open(shared_data / "humaneval" / "HumanEval.jsonl.gz", "rt") as fh:
        return {row["task_id"]: row for row in map(json.loads, fh)}


def _split(rows: dict[str, dict[str, str]], task: str):  # type: ignore[no-untyped-def]
    row = rows[task]
    return split_check(row["test"], row["entry_point"], row["prompt"])


def test_humaneval_32_keeps_the_loop_and_gets_poly_from_the_prompt(humaneval_rows) -> None:  # type: ignore[no-untyped-def]
    split = _split(humaneval_rows, "HumanEval/32")
    assert len(split.tests) == 1 and split.tests[0].kind is Kind.ASSERT
    source = split.tests[0].assertion or ""
    assert source.startswith(
        "import math\nimport random\nrng = random.Random(42)\nimport copy\nfor"
    )
    assert "def poly(" in split.setup and "import math" in split.setup
    assert "def find_zero" not in split.setup  # the entry point's stub must not shadow it


@pytest.mark.parametrize(
    ("task", "helper"), [("HumanEval/38", "encode_cyclic"), ("HumanEval/50", "encode_shift")]
)
def test_decode_problems_get_their_encoder(humaneval_rows, task: str, helper: str) -> None:  # type: ignore[no-untyped-def]
    split = _split(humaneval_rows, task)
    assert [t.kind for t in split.tests] == [Kind.ASSERT]
    assert f"def {helper}(" in split.setup
    assert "for _ in range(100):" in (split.tests[0].assertion or "")


def test_humaneval_53_literal_asserts_then_random_loop(humaneval_rows) -> None:  # type: ignore[no-untyped-def]
    split = _split(humaneval_rows, "HumanEval/53")
    assert [t.kind for t in split.tests] == [Kind.CALL] * 5 + [Kind.ASSERT]
    assert [t.args for t in split.tests[:5]] == [[0, 1], [1, 0], [2, 3], [5, 7], [7, 5]]
    assert (split.tests[5].assertion or "").startswith("import random\nfor i in range(100):")


def test_humaneval_151_messages_dropped_and_helper_variables_kept(humaneval_rows) -> None:  # type: ignore[no-untyped-def]
    split = _split(humaneval_rows, "HumanEval/151")
    calls = [t for t in split.tests if t.kind is Kind.CALL]
    assert [c.args for c in calls][:3] == [[[]], [[5, 4]], [[0.1, 0.2, 0.3]]]
    last = split.tests[-1].assertion or ""
    assert last.startswith("lst = list(range(-99, 100, 2))\nodd_sum = ")
    assert last.endswith('"This prints if this assert fails 7 (good for debugging!)"')
