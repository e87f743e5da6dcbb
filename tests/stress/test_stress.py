"""Stress inputs: drawn in the sandbox, deterministic, cached, expected values from the reference."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from perfcodegen.judge.observe import ValueObserver
from perfcodegen.measuring import timing_tests
from perfcodegen.problems.model import Problem, TestCase
from perfcodegen.problems.stress import (
    StressSpec,
    attach_stress_tests,
    cached_stress_tests,
    draw_inputs,
)
from perfcodegen.vocabulary.stress import stress_level, stress_size

GENERATOR = """
def generate_input(size, lid, cid):
    return [random.randint(-10**9, 10**9) for _ in range(size)],
"""
SPEC = StressSpec(generator=GENERATOR, sizes=(3, 50), cases=(2, 1), stream=7, seed=12345)


def make_problem(spec: StressSpec = SPEC) -> Problem:
    return Problem(
        id="t/sum",
        benchmark="t",
        native_id="sum",
        statement="sum",
        prompt="def total(xs):\n",
        entry_point="total",
        references=["def total(xs):\n    return sum(xs)\n"],
        tests=[TestCase.call([[1, 2]], 3, public=True)],
        metadata={"extra": {"stress": spec.to_extra()}},
    )


def expected_input(spec: StressSpec, level: int, case: int) -> list[int]:
    rng = random.Random(spec.seed ^ spec.stream ^ (sum(spec.cases[:level]) + case))
    return [rng.randint(-(10**9), 10**9) for _ in range(spec.sizes[level])]


def test_inputs_follow_the_documented_seed_and_expected_values_the_reference(
    tmp_path: Path,
) -> None:
    [problem] = attach_stress_tests([make_problem()], cache_dir=tmp_path)
    stress = [t for t in problem.tests if stress_level(t) is not None]
    assert [t.name for t in stress] == ["stress/L0/C0/n=3", "stress/L0/C1/n=3", "stress/L1/C0/n=50"]
    for test in stress:
        level, case = stress_level(test), int((test.name or "").split("/")[2][1:])
        assert level is not None
        args = expected_input(SPEC, level, case)
        assert test.args == [args]
        assert test.expected == sum(args)
    assert stress_size(stress[-1]) == 50
    assert problem.tests[0] == make_problem().tests[0]  # the given test is kept, first


def test_same_spec_same_tests_and_the_cache_is_used(tmp_path: Path) -> None:
    first = attach_stress_tests([make_problem()], cache_dir=tmp_path / "a")
    second = attach_stress_tests([make_problem()], cache_dir=tmp_path / "b")
    assert first == second
    [entry] = list((tmp_path / "a" / "stress").glob("*.json"))
    entry.write_text('[{"kind": "call", "args": [[1]], "expected": 1, "name": "stress/L0/C0/n=1"}]')
    cached = attach_stress_tests([make_problem()], cache_dir=tmp_path / "a")
    assert cached[0].tests[-1].args == [[1]]  # read back from the cache, not redrawn
    other = attach_stress_tests(
        [make_problem(StressSpec(**{**SPEC.to_extra(), "seed": 1}))], cache_dir=tmp_path
    )
    assert other[0].tests[1].args != first[0].tests[1].args


def test_generator_runs_in_the_sandbox(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("42")
    leaky = StressSpec(
        generator=f"def generate_input(size, lid, cid):\n    return open({str(secret)!r}).read(),\n",
        sizes=(1,),
        cases=(1,),
    )
    readable = StressSpec(
        **{
            **leaky.to_extra(),
            "generator": "def generate_input(size, lid, cid):\n    return 'x',\n",
        }
    )
    with ValueObserver() as observer:
        assert draw_inputs(leaky, observer) == []  # the checkout's files are not visible there
        assert [i.args for i in draw_inputs(readable, observer)] == [["x"]]


def test_checker_kinds_give_exact_tolerant_or_assert_tests(tmp_path: Path) -> None:
    base = SPEC.to_extra() | {"sizes": (2,), "cases": (1,)}
    tolerant = StressSpec(
        **base
        | {
            "checker": "def __check(input, answer, output):\n    return type(output) in (int, float) and abs(answer - output) < 1e-4\n"
        }
    )
    custom = StressSpec(
        **base
        | {"checker": "def __check(input, answer, output):\n    return output % 2 == answer % 2\n"}
    )
    with ValueObserver() as observer:
        [loose] = cached_stress_tests(make_problem(tolerant), tolerant, observer, tmp_path)
        [checked] = cached_stress_tests(make_problem(custom), custom, observer, tmp_path)
    assert loose.atol == 1e-4
    assert checked.kind.value == "assert" and "__check(_input" in (checked.assertion or "")


def test_timing_tests_choice() -> None:
    given = TestCase.call([1], 1)
    stressed = TestCase.call([2], 2, name="stress/L1/C0/n=10")
    assert timing_tests([given, stressed], "given") == [given]
    assert timing_tests([given, stressed], "stress") == [stressed]
    assert timing_tests([given, stressed], "both") == [given, stressed]
    assert timing_tests([given], "stress") == [given]


@pytest.mark.shared_data
def test_enamel_generators_draw_inputs(shared_data: Path, tmp_path: Path) -> None:
    from perfcodegen.problems.registry import LoadOptions, load_benchmark

    problems = load_benchmark("enamel", LoadOptions(data=shared_data / "enamel" / "enamel.csv"))
    chosen = [p for p in problems if p.native_id in ("HumanEval/1", "HumanEval/31")]
    attached = attach_stress_tests(chosen, cache_dir=tmp_path)
    for problem in attached:
        stress = [t for t in problem.tests if stress_level(t) is not None]
        assert len(stress) == 20, problem.id  # 8 + 4 + 4 + 4, every generator call succeeded
