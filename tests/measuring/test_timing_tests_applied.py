"""What a problem's figures say they were timed on is what was timed: a run set to time
stress inputs falls back to the given tests where a problem has none, and says so."""

from __future__ import annotations

from perfcodegen.measuring import timing_tests, timing_tests_applied
from perfcodegen.vocabulary import TestCase
from perfcodegen.vocabulary.stress import stress_test_name

GIVEN = [TestCase(kind="call", args=[1], expected=1), TestCase(kind="call", args=[2], expected=2)]
STRESS = [TestCase(kind="call", args=[1000], expected=0, name=stress_test_name(1, 0, 1000))]


def test_stress_without_stress_tests_times_and_reports_the_given_tests() -> None:
    assert timing_tests(GIVEN, "stress") == GIVEN
    assert timing_tests_applied(GIVEN, "stress") == "given"
    assert timing_tests_applied(GIVEN, "both") == "given"


def test_stress_with_stress_tests_reports_stress() -> None:
    tests = [*GIVEN, *STRESS]
    assert timing_tests(tests, "stress") == STRESS
    assert timing_tests_applied(tests, "stress") == "stress"
    assert timing_tests_applied(tests, "given") == "given"
