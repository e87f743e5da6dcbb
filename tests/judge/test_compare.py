"""Output comparison rules (judge side)."""

from __future__ import annotations

import pytest

from perfcodegen.judge.compare import (
    apps_stdout_equal,
    normalize_stdout,
    stdout_equal,
    values_equal,
)
from perfcodegen.judge.model import CompareOptions

STRICT = CompareOptions(strict_types=True)
LOOSE = CompareOptions()


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        (1, 1.0, True),
        (True, 1, False),
        (0.1 + 0.2, 0.3, False),  # exact, as the benchmark's `==`
        (0.5000001, 0.5, False),  # HumanEval/2's `candidate(3.5) == 0.5`
        (float("nan"), float("nan"), False),  # `==`: a NaN is no NaN
        (float("inf"), float("inf"), True),
        ([1, (2.0000000001, "a")], [1, (2.0, "a")], False),
        (1.2345678901234567e19, 12345678901234567891, False),  # a float for a big int
        (2.0, 2, True),
        ([1, 2], (1, 2), False),
        ({"a": [1.0]}, {"a": [1]}, True),
        ({"a": 1}, {"b": 1}, False),
        ({1, 2}, {2, 1}, True),
        ("1", 1, False),
        (10**400, 10**400, True),
        (10**400, 1.0, False),
        (1 + 1e-9j, 1 + 0j, False),
        (None, 0, False),
    ],
)
def test_values_equal_strict(actual: object, expected: object, equal: bool) -> None:
    assert values_equal(actual, expected, STRICT) is equal


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        (0.1 + 0.2, 0.3, True),
        (1e-3, 1.1e-3, False),
        (float("nan"), float("nan"), False),  # EvalPlus's np.allclose: no NaN is close
        (float("inf"), float("inf"), True),
        (float("inf"), 1e308, False),
        ([1, (2.0000000001, "a")], [1, (2.0, "a")], True),
        ([1, (2.0000000001, "a")], [1, (2, "a")], False),  # an int expected is exact
        (1 + 1e-9j, 1 + 0j, True),
        (1e6 + 0.05, 1e6, True),  # rtol: 1e-6 + 1e-7 * 1e6 = 0.1000...
        (1e6 + 0.2, 1e6, False),
    ],
)
def test_tolerance_only_where_the_test_carries_one(
    actual: object, expected: object, equal: bool
) -> None:
    assert values_equal(actual, expected, STRICT, atol=1e-6) is equal


def test_loose_types_accept_bool_for_int_and_atol_from_the_test() -> None:
    assert values_equal(True, 1, LOOSE)
    assert not values_equal(1.05, 1.0, STRICT)
    assert values_equal(1.05, 1.0, STRICT, atol=0.1)


def test_stdout_follows_judge0_trailing_whitespace_rule() -> None:
    assert stdout_equal("1 2  \n3\n\n\n", "1 2\n3", STRICT)
    assert stdout_equal("a\r\nb\r\n", "a\nb\n", STRICT)
    assert not stdout_equal("1  2\n", "1 2\n", STRICT)
    assert not stdout_equal("\n1\n", "1\n", STRICT)
    assert stdout_equal("1  2\n", "1 2", CompareOptions(ignore_all_whitespace=True))
    exact = CompareOptions(ignore_trailing_whitespace=False)
    assert normalize_stdout("x \n", exact) == "x \n"


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        ("2 3 1\n", "2 1 3\n", True),  # tokens of a line in any order
        ("1 5\n4\n", "4\n1 5\n", True),  # lines in any order
        ("  1\n\n2\n", "1\n2", True),
        ("0.3333333\n", "0.33333333\n", True),  # np.allclose
        ("1.0004\n", "1.0\n", True),  # tokens rounded to 3 decimals
        ("1 2\n", "1 3\n", False),
        ("abc\n", "abd\n", False),
        ("1\n2\n3\n", "1\n2\n", False),
        ("nan\n", "nan\n", True),  # the text is equal
    ],
)
def test_apps_stdout_rule_is_apps_cascade(actual: str, expected: str, equal: bool) -> None:
    assert stdout_equal(actual, expected, STRICT, "apps") is equal
    assert apps_stdout_equal(actual, expected) is equal


def test_judge0_rule_is_the_default() -> None:
    assert not stdout_equal("2 3 1\n", "2 1 3\n", STRICT)
