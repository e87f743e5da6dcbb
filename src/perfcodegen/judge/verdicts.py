"""From what a child observed to a verdict: the judge-side half of every execution."""

from __future__ import annotations

import marshal
import re
from typing import Any

from perfcodegen.judge import runproc
from perfcodegen.judge.compare import stdout_equal, values_equal
from perfcodegen.judge.decode import UnsafeValue, decode_payload
from perfcodegen.judge.model import CompareOptions, TestOutcome, Verdict, trimmed_mean
from perfcodegen.judge.stats import spread
from perfcodegen.plain import bounded_repr, output_digest
from perfcodegen.vocabulary import TestCase, TestKind

REPR_LIMIT = 1000
RESOLUTION_S = 1e-6
"""Net run times are stored no lower than this (never zero or negative). Tests whose net time
is within the harness's measured spread are marked unresolved and left out of ratios
(`judge.stats.resolution`, docs/judge.md): the floor is never divided by."""

_STATUS_VERDICTS = {
    "timeout": Verdict.TIMEOUT,
    "output_limit": Verdict.OUTPUT_LIMIT,
    "crash": Verdict.RUNTIME_ERROR,
    "sandbox": Verdict.SANDBOX_ERROR,
}


def short_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    """repr, cut at `limit` characters (bounded even for hostile shared structures)."""
    text = value[: limit + 1] if isinstance(value, str) else bounded_repr(value, limit + 1)
    if len(text) <= limit:
        return text
    return text[:limit] + "... [cut]"


def observation_from_run(run: dict[str, Any]) -> dict[str, Any]:
    """What a run process observed, decoded safely (see `decode`), in the form
    `outcome_from_observation` takes. Only the value (or error) comes from the candidate."""
    ending = run.get("ending")
    if ending:
        return {"status": str(ending), "message": str(run.get("message") or "")}
    payload = run.get("payload")
    try:
        decoded = decode_payload(payload if isinstance(payload, bytes) else b"")
    except UnsafeValue as exc:
        return {"status": "error", "error": _not_plain(str(exc))}
    if not (isinstance(decoded, tuple) and len(decoded) == 3 and decoded[0] in ("value", "error")):
        return {"status": "error", "error": _not_plain("the result frame has the wrong shape")}
    status, value, truncated = decoded
    if status == "error":
        error = value if isinstance(value, dict) else {}
        safe: dict[str, Any] = {
            k: str(error.get(k) or "")[:4000] for k in ("type", "message", "traceback")
        }
        safe["in_test"] = error.get("in_test") is True
        return {"status": "error", "error": safe, "truncated": truncated is True}
    return {"status": "value", "value": value, "truncated": truncated is True}


def _not_plain(message: str) -> dict[str, Any]:
    return {"type": "NotPlainValue", "message": message, "traceback": "", "in_test": False}


def outcome_from_run(
    index: int,
    test: TestCase,
    run: dict[str, Any],
    options: CompareOptions,
    baseline_kb: int | None,
) -> TestOutcome:
    """The check run's outcome: verdict, observed value when wrong, peak memory."""
    payload = run.get("payload")
    if not run.get("ending") and isinstance(payload, bytes) and payload == expected_payload(test):
        # The bytes of the expected value itself: passed, with nothing to decode or compare.
        outcome = TestOutcome(
            index=index,
            verdict=Verdict.PASSED,
            peak_memory_kb=_peak(run.get("maxrss_kb"), baseline_kb),
        )
    else:
        observed = {**observation_from_run(run), "maxrss_kb": run.get("maxrss_kb")}
        outcome = outcome_from_observation(index, test, observed, options, baseline_kb)
    cpu_ns = run.get("cpu_ns")
    if isinstance(cpu_ns, int) and outcome.verdict is Verdict.PASSED:
        outcome.check_cpu_s = cpu_ns / 1e9
    return outcome


def expected_payload(test: TestCase) -> bytes | None:
    """The result frame an exact right answer to a CALL test sends (`runproc.encode_result`),
    or None where byte equality is not the whole answer: no CALL test, a digest test, a value
    marshal cannot write, or one that may hold a NaN (how NaNs compare is the comparison's
    rule, so they take it; any double whose exponent bits are all set is treated so, and a
    string or int that merely looks like one only costs the ordinary comparison)."""
    if test.kind is not TestKind.CALL or test.expected_digest:
        return None
    try:
        data = marshal.dumps(("value", test.expected, False), runproc.RESULT_FORMAT)
    except (ValueError, TypeError):
        return None
    floats = b"g" in data or b"y" in data  # marshal's binary float and complex codes
    return None if floats and _MAYBE_NAN.search(data) else data


_MAYBE_NAN = re.compile(rb"[\xf0-\xff][\x7f\xff]", re.DOTALL)
"""The last two bytes of a little-endian double whose exponent is all ones (inf or NaN)."""


def recorded_calls(run: dict[str, Any]) -> list[Any]:
    """The calls an assertion test's run recorded (its observed value; see `assertions`)."""
    value = observation_from_run(run).get("value")
    return value if isinstance(value, list) else []


def replayed_outcome(checked: TestOutcome, replay: dict[str, Any]) -> TestOutcome:
    """An assertion test passes only if it also holds when replayed without the program.

    Any error of the replay fails the test, a NameError too: the verdict never goes back to
    the candidate's own process (the replay has the problem's setup, the standard-library
    modules the program imported and the assertion names, and the recorded results)."""
    observed = observation_from_run(replay)
    if observed["status"] == "value":
        return checked
    error = observed.get("error") or {}
    detail = error.get("message") or observed.get("message") or observed["status"]
    return checked.model_copy(
        update={
            "verdict": Verdict.WRONG_ANSWER,
            "error_type": str(error.get("type") or "WrongAnswer"),
            "error_message": "the assertion does not hold for the values the program returned "
            f"(checked again without the program's code): {detail}",
            "traceback_tail": error.get("traceback") or None,
        }
    )


def timed_outcome(
    checked: TestOutcome,
    test: TestCase,
    runs: dict[str, Any],
    null: dict[str, Any],
    options: CompareOptions,
) -> TestOutcome:
    """Add the timed runs to a passed check outcome; a run whose output changed is judged again.

    Times are net of the harness: each run's wall (and CPU) time minus the trimmed mean of
    the null program's runs in the same rounds (docs/judge.md, "The time of one run")."""
    changed = runs.get("changed")
    if changed is not None:
        again = outcome_from_run(checked.index, test, changed, options, None)
        if again.verdict is not Verdict.PASSED:
            note = "while being timed, a fresh run of the same test "
            return again.model_copy(
                update={
                    "error_message": note + (again.error_message or again.verdict.value),
                    "peak_memory_kb": checked.peak_memory_kb,
                }
            )
    times, overhead = _net(runs.get("cpu_ns", []), null.get("cpu_ns", []))
    walls, _ = _net(runs.get("wall_ns", []), null.get("wall_ns", []))
    return checked.model_copy(
        update={
            "times_s": times,
            "cpu_s": trimmed_mean(times),
            "wall_s": trimmed_mean(walls),
            "overhead_s": overhead if times else None,
            "overhead_spread_s": spread([n / 1e9 for n in null.get("cpu_ns", []) if n is not None]),
        }
    )


def _net(runs_ns: list[int | None], null_ns: list[int | None]) -> tuple[list[float], float]:
    """Each run's figure minus the null program's trimmed mean, in seconds (and that mean)."""
    overhead = trimmed_mean([n / 1e9 for n in null_ns if n is not None]) or 0.0
    return [max(RESOLUTION_S, r / 1e9 - overhead) for r in runs_ns if r is not None], overhead


def expected_text(test: TestCase) -> str | None:
    if test.kind is TestKind.CALL:
        if test.expected_digest:
            return f"a value of sha256 digest {test.expected_digest}"
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
        expected = test.expected_stdout or ""
        return isinstance(value, str) and stdout_equal(value, expected, options, test.stdout_rule)
    return call_matches(value, test, options)


def call_matches(value: Any, test: TestCase, options: CompareOptions) -> bool:
    """A CALL test's comparison: the expected value's, or its digest's (`expected_digest`)."""
    if test.expected_digest:
        try:
            return output_digest(value) == test.expected_digest
        except (ValueError, RecursionError):  # past the walk's budget: not the expected value
            return False
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
