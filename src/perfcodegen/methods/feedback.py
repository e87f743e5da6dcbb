"""Turning judge results into the words a model reads."""

from __future__ import annotations

from perfcodegen.judge.model import ProgramResult, TestOutcome, Verdict
from perfcodegen.vocabulary import Problem, TestCase

_VERDICT_WORDS = {
    Verdict.TIMEOUT: "Time limit exceeded: the program did not finish in time.",
    Verdict.MEMORY_LIMIT: "Memory limit exceeded.",
    Verdict.OUTPUT_LIMIT: "Output limit exceeded: the program printed too much.",
}


def failing_test(problem: Problem, tests: list[TestCase], result: ProgramResult) -> TestCase:
    """The test to show for a failed program (the first failing one, else the first test)."""
    failure = result.first_failure
    if failure is not None and 0 <= failure.index < len(tests):
        return tests[failure.index]
    return tests[0]


def describe_error(result: ProgramResult) -> str:
    """The 'error message' of PerfCodeGen's correctness prompt (Fig. 2)."""
    failure = result.first_failure
    if failure is None:
        # Program-level failure: syntax error, no code, crash on import.
        return f"{result.error_type or result.verdict.value}: {result.error_message or ''}".strip()
    return describe_outcome(failure)


def describe_outcome(outcome: TestOutcome) -> str:
    if outcome.verdict in _VERDICT_WORDS:
        return _VERDICT_WORDS[outcome.verdict]
    if outcome.verdict is Verdict.WRONG_ANSWER and outcome.actual is not None:
        return f"Wrong answer. Expected: {outcome.expected}; got: {outcome.actual}"
    parts = [f"{outcome.error_type or outcome.verdict.value}: {outcome.error_message or ''}".strip()]
    if outcome.traceback_tail:
        parts.append(outcome.traceback_tail.strip())
    return "\n".join(parts)
