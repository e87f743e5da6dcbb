"""`perfcodegen serve` on loopback in a background thread, and a small corpus of judge jobs
with known verdicts (call, assert and stdin/stdout tests; right, wrong, crashing, broken)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from perfcodegen.judge.model import JudgeJob, Limits, MeasureMode, Verdict
from perfcodegen.problems.model import TestCase
from perfcodegen.serve import ServiceSettings
from perfcodegen.serve.background import RunningService, serve_in_background

LIMITS = Limits(wall_time_s=20.0, cpu_time_s=10.0, memory_mb=512)
"""Generous: these tests check verdicts on a loaded machine, not timeouts."""


def running_service(
    backend_factory: Any, settings: ServiceSettings | None = None
) -> AbstractContextManager[RunningService]:
    """The service on an ephemeral loopback port (generous limits unless `settings` says)."""
    return serve_in_background(backend_factory, settings or ServiceSettings(limits=LIMITS))


SQUARE = "def f(x):\n    return x * x\n"
WRONG = "def f(x):\n    return x + x\n"
CRASH = "def f(x):\n    return 1 // 0\n"
BROKEN = "def f(x) return x\n"
ECHO = "print(int(input()) * 2)\n"

CALL_TESTS = [TestCase.call([3], 9), TestCase.call([5], 25), TestCase.call([2.5], 6.25)]
ASSERT_TESTS = [TestCase.assert_("assert candidate(4) == 16"), TestCase.assert_("assert f(0) == 0")]
STDIO_TESTS = [TestCase.stdio("2\n", "4\n"), TestCase.stdio("21\n", "42\n")]


def corpus(mode: MeasureMode = MeasureMode.CHECK) -> list[tuple[JudgeJob, Verdict]]:
    """Jobs and the verdict each must get on any backend."""
    cases = [
        ("square-call", [SQUARE], "f", CALL_TESTS, Verdict.PASSED),
        ("square-assert", [SQUARE], "f", ASSERT_TESTS, Verdict.PASSED),
        ("wrong-call", [WRONG], "f", CALL_TESTS, Verdict.WRONG_ANSWER),
        ("wrong-assert", [WRONG], "f", ASSERT_TESTS, Verdict.WRONG_ANSWER),
        ("crash", [CRASH], "f", CALL_TESTS, Verdict.RUNTIME_ERROR),
        ("broken", [BROKEN], "f", CALL_TESTS, Verdict.SYNTAX_ERROR),
        ("echo", [ECHO], None, STDIO_TESTS, Verdict.PASSED),
        ("echo-wrong", ["print(int(input()) * 3)\n"], None, STDIO_TESTS, Verdict.WRONG_ANSWER),
    ]
    return [
        (
            JudgeJob(
                job_id=name, programs=programs, entry_point=entry, tests=tests, mode=mode,
                repeats=3, limits=LIMITS,
            ),
            verdict,
        )
        for name, programs, entry, tests, verdict in cases
    ]
