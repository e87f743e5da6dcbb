"""Standard containers that equal a plain value are accepted; look-alikes are not."""

from __future__ import annotations

import pytest

from perfcodegen.judge.model import MeasureMode, Verdict
from perfcodegen.plain import output_digest, to_plain
from perfcodegen.problems.model import TestCase

from .conftest import RunJob

COUNTER = "from collections import Counter\ndef f(xs):\n    return Counter(xs)\n"
NAMEDTUPLE = (
    "from collections import namedtuple\nPoint = namedtuple('Point', 'x y')\n"
    "def f(a, b):\n    return [Point(a, b)]\n"
)
LOOKALIKE = "class D(dict):\n    def __eq__(self, other):\n        return True\ndef f(xs):\n    return D()\n"


def test_counter_equals_the_expected_dict(run_job: RunJob) -> None:
    test = TestCase.call([[1, 1, 2]], {1: 2, 2: 1})
    assert run_job(COUNTER, [test]).result.verdict is Verdict.PASSED
    wrong = TestCase.call([[1, 1, 2]], {1: 1, 2: 1})
    assert run_job(COUNTER, [wrong]).result.verdict is Verdict.WRONG_ANSWER


def test_namedtuple_equals_the_expected_tuple(run_job: RunJob) -> None:
    test = TestCase.call([1, 2], [(1, 2)])
    assert run_job(NAMEDTUPLE, [test], mode=MeasureMode.WALL, repeats=3).result.ok


def test_dict_subclass_with_own_equality_is_rejected(run_job: RunJob) -> None:
    result = run_job(LOOKALIKE, [TestCase.call([[1]], {"anything": 1})]).result
    assert result.verdict is not Verdict.PASSED
    assert result.first_failure is not None
    assert result.first_failure.error_type == "NotPlainValue"


def test_to_plain_converts_only_known_containers() -> None:
    from collections import Counter, OrderedDict, defaultdict, deque

    assert type(to_plain(Counter("aab"))) is dict
    assert to_plain({"k": OrderedDict(a=1)}) == {"k": {"a": 1}}
    assert type(to_plain(defaultdict(int, a=1))) is dict
    nested = to_plain([(Counter("a"),)])
    assert type(nested[0][0]) is dict
    queue = deque([1])
    assert to_plain(queue) is queue  # deque([1]) != [1] in Python: left for is_plain to reject


def test_big_and_negative_ints_decode_exactly_and_bad_digits_are_refused() -> None:
    import marshal
    import struct

    from perfcodegen.judge.decode import UnsafeValue, decode_payload

    for value in (18 * 10**99_997, -(2**70), 2**15, -1, 0):
        assert decode_payload(marshal.dumps(("value", value, False))) == ("value", value, False)
    bad = b"l" + struct.pack("<i", 1) + struct.pack("<H", 0xFFFF)  # a digit above 2**15
    with pytest.raises(UnsafeValue):
        decode_payload(b")\x01" + bad)


def test_output_digest_is_type_exact_order_free_and_bounded() -> None:
    assert output_digest([1, 2]) != output_digest((1, 2))
    assert output_digest(1) != output_digest(True)
    assert output_digest({"a": 1, "b": {2, 3}}) == output_digest({"b": {3, 2}, "a": 1})
    # the digests HumanEval+/MBPP+ caches hold: the algorithm must never drift
    assert output_digest([1, 2, (3, "a")]).startswith("f3f11295507117c2")
    dag: list[object] = [1]
    for _ in range(60):  # a few hundred bytes that expand to 2**60 items as a tree
        dag = [dag, dag]
    with pytest.raises(ValueError, match="too large"):
        output_digest(dag, budget=10_000)
