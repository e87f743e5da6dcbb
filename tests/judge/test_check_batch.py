"""Verdict-only jobs: a program's tests in one sandboxed process, per-test CPU-time limits."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator

import pytest

from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import CompareOptions, JudgeJob, Limits, MeasureMode, Verdict
from perfcodegen.plain import output_digest
from perfcodegen.problems.model import TestCase

HOSTILE = """
import os
calls = []
def f(x):
    calls.append(x)
    if x == 3:
        return 0                      # wrong answer
    if x == 5:
        raise ValueError("no")        # an exception: the process goes on
    if x == 7:
        while True:                   # burns CPU until its limit
            pass
    if x == 9:
        os._exit(3)                   # ends the process: the next test gets a new one
    if x == 11:
        import time
        time.sleep(60)                # waits: the wall-clock net stops it
    return x * 2
"""


def _job(program: str, tests: list[TestCase], **fields: object) -> JudgeJob:
    return JudgeJob(
        job_id="t", programs=[program], entry_point="f", tests=tests, mode=MeasureMode.CHECK,
        limits=Limits(wall_time_s=2.0, cpu_time_s=1.0), **fields,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServerProcess]:
    with ForkServerProcess() as process:
        yield process


def test_batched_and_fresh_process_checks_give_the_same_verdicts(
    server: ForkServerProcess,
) -> None:
    tests = [TestCase.call([i], i * 2) for i in range(13)]
    outcomes = {}
    for fresh in (False, True):
        job = _job(HOSTILE, tests, stop_at_first_failure=False, fresh_process_per_test=fresh)
        result = server.run_job(job).result
        outcomes[fresh] = [(t.index, t.verdict, t.actual) for t in result.tests]
    assert outcomes[False] == outcomes[True]
    verdicts = {index: verdict for index, verdict, _ in outcomes[False]}
    assert verdicts[3] is Verdict.WRONG_ANSWER
    assert verdicts[5] is Verdict.RUNTIME_ERROR
    assert verdicts[7] is Verdict.TIMEOUT
    assert verdicts[9] is Verdict.RUNTIME_ERROR
    assert verdicts[11] is Verdict.TIMEOUT
    assert [verdicts[i] for i in (0, 1, 2, 4, 6, 8, 10, 12)] == [Verdict.PASSED] * 8
    assert outcomes[False][3][2] == "0"  # the observed value of the wrong answer


def test_a_verdict_only_job_stops_at_the_first_failure(server: ForkServerProcess) -> None:
    tests = [TestCase.call([i], i * 2) for i in range(13)]
    result = server.run_job(_job(HOSTILE, tests)).result
    assert result.verdict is Verdict.WRONG_ANSWER
    assert [t.index for t in result.tests] == [0, 1, 2, 3]


def test_assert_tests_between_batched_tests_and_two_programs(server: ForkServerProcess) -> None:
    """Fresh runs (assertions) reap every child of the server: batches must survive that."""
    tests = [
        TestCase.call([1], 2), TestCase.assert_("assert f(2) == 4"), TestCase.call([3], 6),
        TestCase.assert_("assert f(4) == 8"), TestCase.call([6], 12),
    ]  # fmt: skip
    right = "def f(x):\n    return 2 * x\n"
    wrong = "def f(x):\n    return x + 1 if x > 3 else 2 * x\n"
    job = JudgeJob(
        job_id="two", programs=[right, wrong], entry_point="f", tests=tests,
        mode=MeasureMode.CHECK, stop_at_first_failure=False,
    )  # fmt: skip
    first, second = server.run_job(job).programs
    assert first.verdict is Verdict.PASSED and first.passed == 5
    assert [t.verdict for t in second.tests] == [
        Verdict.PASSED, Verdict.PASSED, Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.WRONG_ANSWER
    ]


def _burn(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_per_test_limits_are_cpu_time_so_load_does_not_cause_timeouts(
    server: ForkServerProcess,
) -> None:
    """A test that needs ~0.3 s of CPU passes a 1 s limit while every core is busy with other
    work (its wall time may then exceed 1 s); one that needs more than its limit does not."""
    program = "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"
    started = time.perf_counter()
    server.run_job(_job(program, [TestCase.call([10**6], sum(range(10**6)))]))
    per_million = time.perf_counter() - started  # CPU-ish cost of 10**6 steps, unloaded
    n = max(10**6, int(0.3 / max(per_million, 1e-3) * 10**6))
    tests = [TestCase.call([n], sum(range(n))), TestCase.call([50 * n], sum(range(50 * n)))]
    loaders = [multiprocessing.Process(target=_burn, args=(30.0,)) for _ in range(4)]
    for loader in loaders:
        loader.start()
    try:
        job = _job(program, tests, time_limits_s=[1.0, 1.0], stop_at_first_failure=False)
        job = job.model_copy(update={"limits": Limits(wall_time_s=20.0, cpu_time_s=20.0)})
        result = server.run_job(job).result
    finally:
        for loader in loaders:
            loader.kill()
            loader.join()
    assert result.tests[0].verdict is Verdict.PASSED
    assert result.tests[0].check_cpu_s is not None and result.tests[0].check_cpu_s < 1.0
    assert result.tests[1].verdict is Verdict.TIMEOUT
    assert "CPU time limit" in (result.tests[1].error_message or "")


def test_results_of_megabytes_are_judged_not_cut(server: ForkServerProcess) -> None:
    """HumanEval+ expects multi-megabyte strings (string_sequence(10**6)): the result frame's
    limit is `Limits.result_bytes`, not the stdout capture's."""
    tests = [TestCase.call([3_000_000], "x" * 3_000_000), TestCase.call([5], "xxxxx")]
    for fresh in (False, True):
        job = _job("def f(n):\n    return 'x' * n\n", tests, fresh_process_per_test=fresh)
        assert server.run_job(job).result.verdict is Verdict.PASSED
    small = Limits(wall_time_s=2.0, cpu_time_s=1.0, result_bytes=100_000)
    job = _job("def f(n):\n    return 'x' * n\n", tests).model_copy(update={"limits": small})
    assert server.run_job(job).result.verdict is Verdict.OUTPUT_LIMIT


FORGE = """
import os, marshal, struct
def forge(value):  # a result frame written straight to every descriptor the run may hold
    payload = marshal.dumps(("value", value, False))
    for fd in range(3, 20):
        try:
            os.write(fd, struct.pack("<Q", len(payload)) + payload)
        except OSError:
            pass
"""
FORGER = FORGE + """
calls = 0
def f(x):
    global calls
    calls += 1
    if calls == 1:  # frames for the next tests, written ahead of the server's request
        for value in (999, 999):
            forge(value)
    return x * 2
"""
HUGE_HEADER = """
import os, struct
def f(x):
    if x == 2:
        for fd in range(3, 20):
            try:
                os.write(fd, struct.pack("<Q", 1 << 40))
            except OSError:
                pass
    return x * 2
"""


def test_a_batched_program_forging_frames_only_hurts_itself(server: ForkServerProcess) -> None:
    """In a shared check process the program can write to its socket, but anything it sends
    is a value the judge compares: forged frames never turn into passes."""
    tests = [TestCase.call([i], i * 2) for i in range(6)]
    forged = server.run_job(_job(FORGER, tests, stop_at_first_failure=False)).result
    assert forged.verdict is Verdict.WRONG_ANSWER
    assert all(t.verdict is not Verdict.PASSED for t in forged.tests[:3])
    huge = server.run_job(_job(HUGE_HEADER, tests, stop_at_first_failure=False)).result
    assert [t.verdict for t in huge.tests] == [
        Verdict.PASSED, Verdict.PASSED, Verdict.OUTPUT_LIMIT, *[Verdict.PASSED] * 3
    ]
    assert server.run_job(_job("def f(x):\n    return x * 2\n", tests)).result.ok


def test_a_program_the_judge_stopped_gets_no_more_outcomes(server: ForkServerProcess) -> None:
    """The server runs verdict-only tests ahead of the judge's answers; results that arrive
    for a program after its first failure are dropped, never counted."""
    tests = [TestCase.call([i], i * 2) for i in range(40)]
    right = "def f(x):\n    return 2 * x\n"
    wrong = "def f(x):\n    return 0 if x == 1 else 2 * x\n"
    job = JudgeJob(
        job_id="ahead", programs=[wrong, right], entry_point="f", tests=tests,
        mode=MeasureMode.CHECK,
    )  # fmt: skip
    first, second = server.run_job(job).programs
    assert [t.index for t in first.tests] == [0, 1] and first.passed == 1
    assert first.verdict is Verdict.WRONG_ANSWER
    assert second.verdict is Verdict.PASSED and second.passed == 40
    assert server.run_job(_job(right, tests)).result.passed == 40  # the server is in step


def test_huge_expected_values_are_compared_by_digest(server: ForkServerProcess) -> None:
    """HumanEval+/MBPP+ keep outputs too large to store as a digest: a CALL test compared in
    the judge, type-exact, in the shared check process (no assertion, no replay)."""
    expected = list(range(20_000))
    digest = output_digest(expected)
    tests = [TestCase.call([20_000], None, expected_digest=digest), TestCase.call([3], [0, 1, 2])]
    verdicts = {}
    for body in ("list(range(n))", "tuple(range(n))", "None", "list(range(n - 1))"):
        result = server.run_job(_job(f"def f(n):\n    return {body}\n", tests)).result
        verdicts[body] = result.tests[0].verdict
    assert verdicts == {
        "list(range(n))": Verdict.PASSED,
        "tuple(range(n))": Verdict.WRONG_ANSWER,
        "None": Verdict.WRONG_ANSWER,
        "list(range(n - 1))": Verdict.WRONG_ANSWER,
    }
    # shared sub-lists that expand exponentially as a tree: never a pass, and the judge goes on
    dag = "def f(n):\n    v = [1]\n    for _ in range(60):\n        v = [v, v]\n    return v\n"
    assert server.run_job(_job(dag, tests)).result.tests[0].verdict is not Verdict.PASSED
    assert server.run_job(_job("def f(n):\n    return list(range(n))\n", tests)).result.ok


def test_exact_bytes_pass_and_everything_else_is_compared(server: ForkServerProcess) -> None:
    """A result whose bytes are the expected value's passes without decoding; values equal
    under Python's == but not byte-identical still pass, through the ordinary comparison."""
    tests = [
        TestCase.call([0], [1, "a", 2.5]), TestCase.call([1], float("nan")),
        TestCase.call([2], 1), TestCase.call([3], {"a": 1, "b": 2}), TestCase.call([4], 0.0),
    ]  # fmt: skip
    program = """
def f(x):
    return [[1, "a", 2.5], float("nan"), True, {"b": 2, "a": 1}, -0.0][x]
"""
    result = server.run_job(_job(program, tests, stop_at_first_failure=False)).result
    verdicts = [t.verdict for t in result.tests]
    # NaN takes the comparison, not the byte path; `==` (the benchmarks') says nan != nan
    assert verdicts == [Verdict.PASSED, Verdict.WRONG_ANSWER] + [Verdict.PASSED] * 3
    strict = _job(program, tests, stop_at_first_failure=False).model_copy(
        update={"compare": CompareOptions(strict_types=True)}
    )
    verdicts = [t.verdict for t in server.run_job(strict).result.tests]
    assert verdicts[2] is Verdict.WRONG_ANSWER  # True is not 1 when types are strict


DAG_FRAME = FORGE + """
def f(n):
    v = [1]
    for _ in range(60):
        v = [v, v]  # 2**60 items as a tree, a few hundred bytes with marshal's references
    forge(v)
    os._exit(0)
"""


def test_a_forged_shared_structure_never_passes_a_digest_test(server: ForkServerProcess) -> None:
    """A hand-written frame with marshal references reaches the judge unexpanded: the bounded
    decoder refuses it (and the digest walk has its own bound), the test fails, the judge goes
    on."""
    tests = [TestCase.call([1], None, expected_digest=output_digest([1]))]
    outcome = server.run_job(_job(DAG_FRAME, tests)).result.tests[0]
    assert outcome.verdict is Verdict.WRONG_ANSWER and outcome.error_type == "NotPlainValue"
    assert server.run_job(_job("def f(n):\n    return [1]\n", tests)).result.ok
