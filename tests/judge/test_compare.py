"""Output comparison rules (judge side)."""

from __future__ import annotations

import pytest

from perfcodegen.judge.compare import normalize_stdout, stdout_equal, values_equal
from perfcodegen.judge.model import CompareOptions

STRICT = CompareOptions(strict_types=True)
LOOSE = CompareOptions()


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        (1, 1.0, True),
        (True, 1, False),
        (0.1 + 0.2, 0.3, True),
        (1e-3, 1.1e-3, False),
        (float("nan"), float("nan"), True),
        (float("inf"), float("inf"), True),
        ([1, (2.0000000001, "a")], [1, (2.0, "a")], True),
        ([1, (2.0000000001, "a")], [1, (2, "a")], False),  # an int expected is exact
        (1.2345678901234567e19, 12345678901234567891, False),  # a float for a big int
        (2.0, 2, True),
        ([1, 2], (1, 2), False),
        ({"a": [1.0]}, {"a": [1]}, True),
        ({"a": 1}, {"b": 1}, False),
        ({1, 2}, {2, 1}, True),
        ("1", 1, False),
        (10**400, 10**400, True),
        (10**400, 1.0, False),
        (1 + 1e-9j, 1 + 0j, True),
        (None, 0, False),
    ],
)
def test_values_equal_strict(actual: object, expected: object, equal: bool) -> None:
    assert values_equal(actual, expected, STRICT) is equal


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
