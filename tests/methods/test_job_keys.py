"""Job keys are content addresses: equal tests give equal keys in every process."""

from __future__ import annotations

import json
import subprocess
import sys

from perfcodegen.methods.session import tests_digest_of as digest_of
from perfcodegen.problems.model import TestCase

_DIGEST = """
import json, sys
from perfcodegen.methods.session import tests_digest_of
from perfcodegen.problems.model import TestCase
tests = [TestCase.model_validate(t) for t in json.loads(sys.stdin.read())]
print(tests_digest_of(tests))
"""


def _tests() -> list[TestCase]:
    return [
        TestCase.call([{"alpha", "beta", "gamma"}, frozenset({"x", "y"})], {"k": {"q", "r"}}),
        TestCase.call(["identifier_like"], "identifier_like", name="base"),
        TestCase.call([10**5000], 2.5, atol=1e-6),
        TestCase.call([3], None, expected_digest="ab" * 32),
        TestCase.assert_("assert f(1) == 2"),
        TestCase.stdio("1 2\n", "3\n"),
    ]


def test_tests_digest_is_the_same_in_every_process_and_hash_seed() -> None:
    tests = _tests()
    payload = json.dumps([t.model_dump(mode="json") for t in tests])
    digests = {
        subprocess.run(
            [sys.executable, "-c", _DIGEST], input=payload, capture_output=True, text=True,
            check=True, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }  # fmt: skip
    assert digests == {digest_of(tests)}  # strings read from JSON are not interned


def test_tests_digest_changes_with_any_field() -> None:
    tests = _tests()
    base = digest_of(tests)
    changed = [
        [tests[0].model_copy(update={"public": True}), *tests[1:]],
        [tests[0], tests[1].model_copy(update={"expected": "identifier_lik"}), *tests[2:]],
        [*tests[:2], tests[2].model_copy(update={"atol": 1e-5}), *tests[3:]],
        [*tests[:3], tests[3].model_copy(update={"expected_digest": "cd" * 32}), *tests[4:]],
        [*tests[:5], tests[5].model_copy(update={"expected_stdout": "4\n"})],
        tests[:-1],
    ]
    assert len({base, *(digest_of(t) for t in changed)}) == len(changed) + 1
