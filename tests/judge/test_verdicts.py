"""Verdicts, feedback fields and measurement modes of the fork-server judge."""

from __future__ import annotations

import os
import signal
import time

import pytest

from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import CompareOptions, JudgeJob, Limits, MeasureMode, Verdict
from perfcodegen.problems.model import TestCase

from .conftest import RunJob

ADD = "def f(a, b):\n    return a + b\n"


def test_call_tests_pass_and_fail(run_job: RunJob) -> None:
    tests = [TestCase.call([1, 2], 3), TestCase.call([2, 2], 5), TestCase.call([0, 0], 0)]
    result = run_job(ADD, tests, stop_at_first_failure=False).result
    assert [t.verdict for t in result.tests] == [
        Verdict.PASSED,
        Verdict.WRONG_ANSWER,
        Verdict.PASSED,
    ]
    assert result.verdict is Verdict.WRONG_ANSWER
    assert (result.passed, result.total) == (2, 3)
    wrong = result.first_failure
    assert wrong is not None and (wrong.actual, wrong.expected) == ("4", "5")


def test_stop_at_first_failure_skips_the_rest(run_job: RunJob) -> None:
    tests = [TestCase.call([2, 2], 5), TestCase.call([1, 2], 3)]
    result = run_job(ADD, tests).result
    assert len(result.tests) == 1 and result.verdict is Verdict.WRONG_ANSWER


def test_runtime_error_carries_type_message_and_candidate_traceback(run_job: RunJob) -> None:
    program = "def f(x):\n    helper = {}\n    return helper[x]\n"
    outcome = run_job(program, [TestCase.call(["k"], 1)]).result.tests[0]
    assert outcome.verdict is Verdict.RUNTIME_ERROR
    assert outcome.error_type == "KeyError" and outcome.error_message == "'k'"
    assert outcome.traceback_tail is not None
    assert "return helper[x]" in outcome.traceback_tail
    assert "child.py" not in outcome.traceback_tail and "measure.py" not in outcome.traceback_tail


def test_syntax_error(run_job: RunJob) -> None:
    result = run_job("def f(:\n  pass", [TestCase.call([], None)]).result
    assert result.verdict is Verdict.SYNTAX_ERROR and result.error_type == "SyntaxError"


def test_missing_entry_point_is_a_runtime_error(run_job: RunJob) -> None:
    result = run_job("def g():\n    return 1\n", [TestCase.call([], 1)]).result
    assert result.verdict is Verdict.RUNTIME_ERROR and result.error_type == "NameError"


def test_assert_tests_use_setup_and_candidate(run_job: RunJob) -> None:
    setup = "def check(c):\n    assert c(2, 3) == 5\n"
    tests = [TestCase.assert_("check(candidate)"), TestCase.assert_("assert f(1, 1) == 3")]
    result = run_job(ADD, tests, test_setup=setup, stop_at_first_failure=False).result
    assert [t.verdict for t in result.tests] == [Verdict.PASSED, Verdict.WRONG_ANSWER]
    assert result.tests[1].error_type == "AssertionError"


def test_arguments_are_copied_between_runs(run_job: RunJob) -> None:
    program = "def f(xs):\n    xs.append(1)\n    return len(xs)\n"
    result = run_job(program, [TestCase.call([[0]], 2)], mode=MeasureMode.WALL, repeats=5).result
    assert result.ok and len(result.tests[0].times_s) == 5


def _verdicts(run_job: RunJob, values: list[str], tests: list[TestCase], **kw: object) -> list[Verdict]:
    program = f"def f():\n    return [{', '.join(values)}][n]\n"
    return [
        run_job(program.replace("n]", f"{i}]"), [t], **kw).result.verdict
        for i, t in enumerate(tests)
    ]


def test_default_equality_is_python_equality_and_tolerance_is_the_tests(run_job: RunJob) -> None:
    """As HumanEval's check(), MBPP's asserts and EvalPlus compare: 0 == False (GPT-4's
    HumanEval/147 returns 0 where the reference returns False), a tuple is not a list, and a
    float is exact unless the test carries a tolerance (EvalPlus's atol)."""
    tests = [
        TestCase.call([], False, name="int vs bool"),
        TestCase.call([], 0.3, name="exact float"),
        TestCase.call([], 0.3, atol=1e-6, name="float with the test's tolerance"),
        TestCase.call([], (1, 2), name="tuple vs list"),
        TestCase.call([], 10**20 + 1, name="float for a big int"),
    ]
    values = ["0", "0.1 + 0.2", "0.1 + 0.2", "[1, 2]", "1e20"]
    assert _verdicts(run_job, values, tests) == [
        Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.PASSED, Verdict.WRONG_ANSWER,
        Verdict.WRONG_ANSWER,
    ]


def test_strict_types_tell_bool_from_int(run_job: RunJob) -> None:
    tests = [
        TestCase.call([], 1, name="bool vs int"),
        TestCase.call([], 0.30000001, atol=1e-6, name="float"),
        TestCase.call([], (1, 2), name="tuple vs list"),
    ]
    strict = CompareOptions(strict_types=True)
    assert _verdicts(run_job, ["True", "0.1 + 0.2", "[1, 2]"], tests, compare=strict) == [
        Verdict.WRONG_ANSWER, Verdict.PASSED, Verdict.WRONG_ANSWER
    ]


def test_stdio_programs(run_job: RunJob) -> None:
    program = "import sys\nn = int(input())\nprint(n * 2, end='  \\n\\n')\nsys.exit(0)\n"
    tests = [TestCase.stdio("21\n", "42\n"), TestCase.stdio("1\n", "3")]
    result = run_job(program, tests, entry_point=None, stop_at_first_failure=False).result
    assert [t.verdict for t in result.tests] == [Verdict.PASSED, Verdict.WRONG_ANSWER]
    assert result.tests[1].actual == "2  \n\n"


def test_stdio_nonzero_exit_is_a_runtime_error(run_job: RunJob) -> None:
    result = run_job("raise SystemExit(3)", [TestCase.stdio("", "")], entry_point=None).result
    assert result.verdict is Verdict.RUNTIME_ERROR and result.error_type == "SystemExit"


def test_stdio_output_limit(run_job: RunJob) -> None:
    limits = Limits(wall_time_s=5, output_bytes=1000)
    program = "for i in range(10**6):\n    print(i)\n"
    outcome = run_job(program, [TestCase.stdio("", "0")], entry_point=None, limits=limits)
    assert outcome.result.verdict is Verdict.OUTPUT_LIMIT
    assert outcome.result.tests[0].output_truncated


def test_memory_error_is_memory_limit(run_job: RunJob) -> None:
    program = "def f():\n    return len(bytearray(2 * 1024**3))\n"
    assert run_job(program, [TestCase.call([], 0)]).result.verdict is Verdict.MEMORY_LIMIT


def test_timeout(run_job: RunJob) -> None:
    limits = Limits(wall_time_s=0.5, cpu_time_s=5)
    result = run_job("def f():\n    while True: pass\n", [TestCase.call([], 0)], limits=limits)
    assert result.result.verdict is Verdict.TIMEOUT


def test_cpu_limit_is_a_timeout(run_job: RunJob) -> None:
    limits = Limits(wall_time_s=10, cpu_time_s=1)
    result = run_job("def f():\n    while True: pass\n", [TestCase.call([], 0)], limits=limits)
    assert result.result.verdict is Verdict.TIMEOUT
    assert "CPU" in (result.result.error_message or "")


def test_wall_mode_reports_repeats_and_cpu(run_job: RunJob) -> None:
    program = "def f(n):\n    return sum(range(n))\n"
    tests = [TestCase.call([10], 45), TestCase.call([100000], 4999950000)]
    result = run_job(program, tests, mode=MeasureMode.WALL, repeats=7).result
    assert result.ok
    for outcome in result.tests:
        assert len(outcome.times_s) == 7 and outcome.cpu_s is not None
    assert result.tests[1].trimmed_mean_s > result.tests[0].trimmed_mean_s  # type: ignore[operator]


def test_timed_repeats_stop_before_the_wall_limit(run_job: RunJob) -> None:
    program = "import time\ndef f():\n    time.sleep(0.3)\n    return 1\n"
    limits = Limits(wall_time_s=1.0)
    result = run_job(program, [TestCase.call([], 1)], mode=MeasureMode.WALL, limits=limits)
    assert result.result.ok
    assert 1 <= len(result.result.tests[0].times_s) < 12


def test_paired_mode_gives_per_test_ratios(run_job: RunJob) -> None:
    slow = "def f(n):\n    return sum([i for i in range(n)])\n"
    fast = "def f(n):\n    return n * (n - 1) // 2\n"
    tests = [TestCase.call([20000], 199990000), TestCase.call([40000], 799980000)]
    result = run_job([slow, fast], tests, mode=MeasureMode.PAIRED, repeats=5)
    assert all(p.ok for p in result.programs)
    assert result.paired_ratios is not None and len(result.paired_ratios) == 2
    assert all(ratio > 5 for ratio in result.paired_ratios)
    assert all(len(t.times_s) == 5 for p in result.programs for t in p.tests)


def test_paired_mode_with_a_wrong_program(run_job: RunJob) -> None:
    wrong = "def f(n):\n    return 0\n"
    right = "def f(n):\n    return n\n"
    result = run_job([right, wrong], [TestCase.call([3], 3)], mode=MeasureMode.PAIRED)
    assert [p.verdict for p in result.programs] == [Verdict.PASSED, Verdict.WRONG_ANSWER]
    assert result.paired_ratios is None


def test_memory_mode_measures_peak_above_baseline(run_job: RunJob) -> None:
    program = "def f(n):\n    data = bytearray(n * 1024 * 1024)\n    data[::4096] = b'x' * len(data[::4096])\n    return len(data)\n"
    tests = [TestCase.call([1], 1024 * 1024), TestCase.call([64], 64 * 1024 * 1024)]
    result = run_job(program, tests, mode=MeasureMode.MEMORY).result
    assert result.ok
    small, big = (t.peak_memory_kb for t in result.tests)
    assert small is not None and big is not None
    assert small < 8 * 1024 and 60 * 1024 < big < 80 * 1024


@pytest.mark.parametrize("value", ["abc", b"\x00", {1: (2, 3.5)}, {frozenset({1})}, 2j, None])
def test_plain_values_round_trip(run_job: RunJob, value: object) -> None:
    program = f"def f():\n    return {value!r}\n"
    assert run_job(program, [TestCase.call([], value)]).result.ok


def test_candidates_can_import_the_standard_library(run_job: RunJob) -> None:
    program = "import fractions, decimal, json, threading\ndef f():\n    return str(fractions.Fraction(1, 3))\n"
    assert run_job(program, [TestCase.call([], "1/3")]).result.ok


def test_a_dead_fork_server_is_restarted() -> None:
    job = JudgeJob(job_id="r", programs=[ADD], entry_point="f", tests=[TestCase.call([1, 1], 2)])
    with ForkServerProcess() as server:
        first_pid = server.server_pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        while server.alive:
            time.sleep(0.01)
        assert server.run_job(job).result.ok
        assert server.server_pid != first_pid
