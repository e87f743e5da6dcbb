"""ECCO's raw execution feedback (Fig. 9): run a candidate on the public tests and say how it did.

Exec-refine and NL+exec-refine see only the public tests (ECCO §4.2, footnote 5): per test
PASSED/FAILED, run time and peak memory, and the error log of each failed test. Every public
test is checked first (CHECK, none skipped, so each gets its verdict); when at least one passes,
the program is also timed (WALL) and measured (MEMORY), which gives the passed tests their
figures, as ECCO's released code reports them for partly correct programs too.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import MeasureMode, ProgramResult, TestOutcome, Verdict
from perfcodegen.methods.feedback import describe_outcome
from perfcodegen.methods.prompts import render
from perfcodegen.methods.session import Candidate, Conversation, ProblemSession
from perfcodegen.store import CandidateRecord
from perfcodegen.vocabulary import Problem, TestCase

NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class TestStats:
    """One public test as the model reads it."""

    __test__ = False  # not a pytest class
    index: int
    passed: bool
    time_s: float | None = None
    memory_kb: float | None = None
    error: str | None = None

    @property
    def run_time(self) -> str:
        return NOT_MEASURED if self.time_s is None else f"{self.time_s:.6f} s"

    @property
    def memory(self) -> str:
        return NOT_MEASURED if self.memory_kb is None else f"{self.memory_kb:.1f} KB"


@dataclass(frozen=True)
class ExecutionReport:
    correct: bool
    tests: tuple[TestStats, ...]

    def verbalise(self) -> str:
        failures = [t for t in self.tests if not t.passed]
        return render(
            "ecco_exec_feedback", correct=self.correct, tests=self.tests, failures=failures
        )


def execution_tests(session: ProblemSession) -> list[TestCase]:
    """The public tests; a problem without any falls back to the run's feedback-test policy."""
    return session.problem.public_tests or session.feedback_tests


async def execute_on_public_tests(session: ProblemSession, candidate: Candidate) -> ExecutionReport:
    tests = execution_tests(session)
    if candidate.code is None:
        reason = f"NoCode: {candidate.record.parse_error or 'the reply contains no program'}"
        return ExecutionReport(
            False, tuple(TestStats(i, False, error=reason) for i in range(len(tests)))
        )
    code = [candidate.code]
    checked = await session.run_job(
        code, tests, MeasureMode.CHECK, candidate_id=candidate.id, stop_at_first_failure=False
    )
    if checked.result.passed == 0:
        return _report(checked.result, len(tests), timed=None, memory=None)
    timed = await session.run_job(code, tests, MeasureMode.WALL, candidate_id=candidate.id)
    memory = await session.run_job(code, tests, MeasureMode.MEMORY, candidate_id=candidate.id)
    return _report(checked.result, len(tests), timed=timed.result, memory=memory.result)


def _report(
    checked: ProgramResult, count: int, *, timed: ProgramResult | None, memory: ProgramResult | None
) -> ExecutionReport:
    by_index = _outcomes(checked)
    times = _outcomes(timed)
    peaks = _outcomes(memory)
    program_error = (
        f"{checked.error_type or checked.verdict.value}: {checked.error_message or ''}".strip()
    )
    stats = []
    for index in range(count):
        outcome = by_index.get(index)
        passed = outcome is not None and outcome.verdict is Verdict.PASSED
        error = None
        if not passed:
            error = _error_log(outcome) if outcome is not None else program_error
        stats.append(
            TestStats(
                index=index,
                passed=passed,
                time_s=_time_of(times.get(index) or outcome),
                memory_kb=_memory_of(peaks.get(index) or outcome),
                error=error,
            )
        )
    return ExecutionReport(correct=checked.ok, tests=tuple(stats))


def _error_log(outcome: TestOutcome) -> str:
    """ECCO's log of a failed test; a wrong answer shows the output and the expected one."""
    if outcome.verdict is Verdict.WRONG_ANSWER and outcome.expected is not None:
        return f"Wrong Answer:\n{(outcome.actual or '').rstrip()}\nExpected Answer:\n{outcome.expected.rstrip()}"
    return describe_outcome(outcome)


def _outcomes(result: ProgramResult | None) -> dict[int, TestOutcome]:
    return {} if result is None else {t.index: t for t in result.tests}


def _time_of(outcome: TestOutcome | None) -> float | None:
    return None if outcome is None else outcome.trimmed_mean_s


def _memory_of(outcome: TestOutcome | None) -> float | None:
    if outcome is None or outcome.peak_memory_kb is None:
        return None
    return float(outcome.peak_memory_kb)


INPUT_PHASE = "input"


def input_candidate(problem: Problem) -> Candidate:
    """The problem's input program as a candidate that the judge can run (never recorded)."""
    if problem.input_program is None:
        raise PerfCodegenError(f"{problem.id} has no input program to execute")
    record = CandidateRecord(
        id=f"{problem.id}#input",
        problem_id=problem.id,
        sample_index=0,
        phase=INPUT_PHASE,
        method="finetune-exec",
        code=problem.input_program,
    )
    return Candidate(record=record, conversation=Conversation())
