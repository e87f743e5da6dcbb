"""Tiny hand-made problems for end-to-end tests."""

from __future__ import annotations

from perfcodegen.problems.model import Problem, TestCase

SLOW_REFERENCE = """
def sum_squares(n):
    total = 0
    for i in range(n + 1):
        total += i * i
    return total
"""


def sum_squares_problem() -> Problem:
    """Sum of squares 0..n: a loop reference, so a closed form is clearly faster."""
    tests = [
        TestCase.call([10], 385, public=True),
        TestCase.call([1000], 333833500),
        TestCase.call([60000], sum(i * i for i in range(60001))),
    ]
    prompt = 'def sum_squares(n):\n    """Return 0*0 + 1*1 + ... + n*n."""\n'
    return Problem(
        id="toy/sum_squares",
        benchmark="toy",
        native_id="sum_squares",
        statement="Return the sum of i*i for i from 0 to n.",
        prompt=prompt,
        entry_point="sum_squares",
        starter_code=prompt,
        references=[SLOW_REFERENCE],
        tests=tests,
    )
