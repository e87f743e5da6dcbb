"""From what a child observed to a verdict: the judge-side half of every execution."""

from __future__ import annotations

from typing import Any

from perfcodegen.judge.compare import stdout_equal, values_equal
from perfcodegen.judge.model import CompareOptions, TestOutcome, Verdict
from perfcodegen.problems.model import TestCase, TestKind

REPR_LIMIT = 1000

_STATUS_VERDICTS = {
    "timeout": Verdict.TIMEOUT,
    "output_limit": Verdict.OUTPUT_LIMIT,
    "crash": Verdict.RUNTIME_ERROR,
    "sandbox": Verdict.SANDBOX_ERROR,
}


def short_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:  # an int beyond Python's int-to-str digit limit
        text = f"<int of {value.bit_length()} bits>" if isinstance(value, int) else "<unprintable>"
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more chars]"


def expected_text(test: TestCase) -> str | None:
    if test.kind is TestKind.CALL:
        return short_repr(test.expected)
    if test.kind is TestKind.STDIO:
        return short_repr(test.expected_stdout or "")
    return None


def error_verdict(error: dict[str, Any], test: TestCase) -> Verdict:
    kind = error.get("type")
    if kind == "MemoryError":
        return Verdict.MEMORY_LIMIT
    if kind == "OutputLimitExceeded":
        return Verdict.OUTPUT_LIMIT
    if kind == "NotPlainValue":
        return Verdict.WRONG_ANSWER
    if kind == "AssertionError" and test.kind is TestKind.ASSERT and error.get("in_test"):
        return Verdict.WRONG_ANSWER
    return Verdict.RUNTIME_ERROR


def outcome_from_observation(
    index: int,
    test: TestCase,
    observed: dict[str, Any],
    options: CompareOptions,
    memory_baseline_kb: int | None = None,
) -> TestOutcome:
    """Build a TestOutcome: compare the observed value with the expected one."""
    status = observed.get("status")
    expected = expected_text(test)
    truncated = bool(observed.get("truncated"))
    if status == "value":
        value = observed.get("value")
        if _matches(value, test, options):
            timing_error = observed.get("timing_error")
            if timing_error:  # passed once, then failed while being timed (nondeterminism)
                return _error_outcome(index, test, timing_error, expected, truncated)
            peak = observed.get("maxrss_kb")
            return TestOutcome(
                index=index,
                verdict=Verdict.PASSED,
                times_s=list(observed.get("times") or []),
                cpu_s=observed.get("cpu"),
                peak_memory_kb=_peak(peak, memory_baseline_kb),
                output_truncated=truncated,
            )
        return TestOutcome(
            index=index,
            verdict=Verdict.WRONG_ANSWER,
            actual=short_repr(value),
            expected=expected,
            error_type="WrongAnswer",
            error_message="the output differs from the expected output",
            output_truncated=truncated,
        )
    if status == "error":
        return _error_outcome(index, test, observed.get("error") or {}, expected, truncated)
    verdict = _STATUS_VERDICTS.get(str(status), Verdict.SANDBOX_ERROR)
    error = observed.get("error") or {}
    return TestOutcome(
        index=index,
        verdict=verdict,
        error_type=str(error.get("type") or verdict.value),
        error_message=str(error.get("message") or observed.get("message") or ""),
        traceback_tail=error.get("traceback") or None,
        expected=expected,
        output_truncated=truncated or verdict is Verdict.OUTPUT_LIMIT,
    )


def _error_outcome(
    index: int, test: TestCase, error: dict[str, Any], expected: str | None, truncated: bool
) -> TestOutcome:
    verdict = error_verdict(error, test)
    return TestOutcome(
        index=index,
        verdict=verdict,
        error_type=str(error.get("type") or "Error"),
        error_message=str(error.get("message") or ""),
        traceback_tail=error.get("traceback") or None,
        expected=expected,
        output_truncated=truncated or verdict is Verdict.OUTPUT_LIMIT,
    )


def _matches(value: Any, test: TestCase, options: CompareOptions) -> bool:
    if test.kind is TestKind.ASSERT:
        return True  # the assertion ran and did not raise
    if test.kind is TestKind.STDIO:
        return isinstance(value, str) and stdout_equal(value, test.expected_stdout or "", options)
    return values_equal(value, test.expected, options, test.atol)


def _peak(maxrss_kb: int | None, baseline_kb: int | None) -> int | None:
    if maxrss_kb is None or baseline_kb is None:
        return None
    return max(0, int(maxrss_kb) - baseline_kb)


def program_verdict(outcomes: list[TestOutcome], total: int) -> Verdict:
    """The first non-passing verdict, or PASSED when every test ran and passed."""
    for outcome in outcomes:
        if outcome.verdict is not Verdict.PASSED:
            return outcome.verdict
    return Verdict.PASSED if len(outcomes) == total else Verdict.SANDBOX_ERROR
