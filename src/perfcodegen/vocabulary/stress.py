"""How stress tests are named: ``stress/L<level>/C<case>/n=<size>``.

The naming is vocabulary (timing, metrics and reports read a test's level and size from its
name); building stress tests (running generators and references in the sandbox) is the job
of `perfcodegen.problems.stress`.
"""

from __future__ import annotations

import re

from perfcodegen.vocabulary.problem import TestCase

DEFAULT_CASES_PER_LEVEL: tuple[int, ...] = (8, 4, 4, 4)
"""ENAMEL's default number of inputs at each size level."""

_NAME = re.compile(r"^stress/L(\d+)/C(\d+)/n=(\d+)$")


def stress_test_name(level: int, case: int, size: int) -> str:
    return f"stress/L{level}/C{case}/n={size}"


def stress_level(test: TestCase) -> int | None:
    """The size level of a stress test; None for a given test."""
    match = _NAME.match(test.name or "")
    return int(match.group(1)) if match else None


def stress_size(test: TestCase) -> int | None:
    """The input size of a stress test; None for a given test."""
    match = _NAME.match(test.name or "")
    return int(match.group(3)) if match else None
