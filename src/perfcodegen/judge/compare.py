"""Comparison of observed and expected outputs, done in the judge, never in the candidate.

Values are plain data (checked by exact type before they get here), so `==` on them cannot
run candidate code.
"""

from __future__ import annotations

import cmath
import math
from typing import Any

from perfcodegen.judge.model import CompareOptions


def values_equal(
    actual: Any, expected: Any, options: CompareOptions, atol: float | None = None
) -> bool:
    """Type-aware equality with EvalPlus-style float tolerance, recursing into containers.

    With `strict_types`, bool is not int and containers must have the same type; int and
    float compare numerically (1 == 1.0). Tolerance applies only where the expected value is
    a float (or complex): an int expectation is matched exactly, so a float approximation of a
    big int is wrong.
    """
    abs_tol = options.float_abs_tol if atol is None else atol
    return _equal(actual, expected, options, abs_tol)


def _equal(actual: Any, expected: Any, options: CompareOptions, abs_tol: float) -> bool:
    if type(actual) is bool or type(expected) is bool:
        if options.strict_types and type(actual) is not type(expected):
            return False
        return bool(actual == expected)
    if _is_number(actual) and _is_number(expected):
        return _numbers_equal(actual, expected, options, abs_tol)
    if options.strict_types and type(actual) is not type(expected):
        return False
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if type(actual) is not type(expected) or len(actual) != len(expected):
            return False
        return all(_equal(a, e, options, abs_tol) for a, e in zip(actual, expected, strict=False))
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            return False
        return all(_equal(actual[k], expected[k], options, abs_tol) for k in expected)
    return bool(actual == expected)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float, complex)


def _numbers_equal(actual: Any, expected: Any, options: CompareOptions, abs_tol: float) -> bool:
    if type(expected) is int:  # tolerance is for float expectations only: ints are exact
        return bool(actual == expected)
    if type(actual) is complex or type(expected) is complex:
        return cmath.isclose(actual, expected, rel_tol=options.float_rel_tol, abs_tol=abs_tol)
    try:
        a, e = float(actual), float(expected)
    except OverflowError:  # an int too large for a float
        return bool(actual == expected)
    if math.isnan(a) or math.isnan(e):
        return math.isnan(a) and math.isnan(e)
    return math.isclose(a, e, rel_tol=options.float_rel_tol, abs_tol=abs_tol)


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


def stdout_equal(actual: str, expected: str, options: CompareOptions) -> bool:
    return normalize_stdout(actual, options) == normalize_stdout(expected, options)
