"""Each sample's final check, read from a run's store: its verdict, whether it passed the
benchmark's base tests and EvalPlus's plus tests, and its first failure (the input, the
expected and the observed value, the exception line). What `eval --show-failures`, the HTML
report, `export` and the harness-compatible results files show."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcodegen.config import RunConfig
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import JudgeResult, MeasureMode, ProgramResult, TestOutcome, Verdict
from perfcodegen.measuring import PLUS_TEST
from perfcodegen.metrics.correctness import pass_at_k
from perfcodegen.metrics.records import SAMPLE_PHASE
from perfcodegen.metrics.samples import PASS_AT
from perfcodegen.plan import stored_plan
from perfcodegen.store import CandidateRecord, RunStore
from perfcodegen.vocabulary import Problem, TestCase, TestKind, stress_level

WRONG_VALUE = "WrongAnswer"
"""The judge's own error type for a wrong value (not an exception the program raised)."""
SHOWN_CHARS = 100
"""Inputs and values in a failure table are cut to this many characters."""


@dataclass(frozen=True)
class Failure:
    """The first thing a sample got wrong."""

    verdict: str
    test_index: int | None
    """None: the program failed before any test (syntax error, crash at import)."""
    input: str
    expected: str
    got: str
    message: str
    """The exception line ('AssertionError', 'NameError: name 'math' is not defined'), or
    the judge's own words for a wrong value."""


@dataclass(frozen=True)
class SampleCheck:
    """One sample of one problem and its check on every test of the problem."""

    problem: Problem
    candidate: CandidateRecord
    runs: list[tuple[dict[str, Any], JudgeResult]]
    """The problem's judge jobs and results (read once for all its samples)."""
    check: ProgramResult | None

    @property
    def verdict(self) -> str:
        return _text(self.candidate.verdict) or "not judged"

    @property
    def has_plus(self) -> bool:
        return any(t.name == PLUS_TEST for t in self.problem.tests)

    def status(self, label: str) -> tuple[bool, list[int]]:
        """(passed, failing test indices) on the 'base' or 'plus' tests, as EvalPlus reports
        each: a test the check never reached (it stops at the first failure) counts as failed."""
        check = self.check
        indices = [
            i for i, t in enumerate(self.problem.tests)
            if (t.name == PLUS_TEST) == (label == PLUS_TEST) and stress_level(t) is None
        ]  # fmt: skip
        if check is None:
            return False, []
        outcomes = {o.index: o for o in check.tests}
        failing = [i for i in indices if i in outcomes and outcomes[i].verdict is not Verdict.PASSED]
        reached = all(i in outcomes for i in indices) and check.verdict is not Verdict.SYNTAX_ERROR
        return reached and not failing, failing

    @property
    def failure(self) -> Failure | None:
        check = self.check
        if check is None or check.verdict is Verdict.PASSED:
            return None
        first = check.first_failure
        if first is None:  # failed before any test ran
            message = _exception_line(check.error_type, check.error_message, None)
            return Failure(check.verdict.value, None, "", "", "", message)
        test = self.problem.tests[first.index] if first.index < len(self.problem.tests) else None
        return Failure(
            verdict=first.verdict.value,
            test_index=first.index,
            input=describe_input(test, self.problem.entry_point) if test else "",
            expected=first.expected or "",
            got=first.actual or "",
            message=exception_line(first),
        )


def _text(value: object) -> str:
    """An enum's value, a string as is ('wrong_answer', never 'Verdict.WRONG_ANSWER')."""
    return str(getattr(value, "value", value) or "")


def exception_line(outcome: TestOutcome) -> str:
    """A failed test's exception as Python prints its last line ('AssertionError',
    'ZeroDivisionError: division by zero'), or the judge's message for a wrong value."""
    return _exception_line(outcome.error_type, outcome.error_message, outcome.traceback_tail)


def _exception_line(kind: str | None, message: str | None, tail: str | None) -> str:
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if len(lines) > 1:  # a formatted syntax error: 'File "<candidate>", line 19', ..., the error
        where = re.search(r"line (\d+)", lines[0])
        last = lines[-1] if not kind or lines[-1].startswith(kind) else f"{kind}: {lines[-1]}"
        return last + (f" (line {where.group(1)})" if where else "")
    if kind and kind != WRONG_VALUE:
        return f"{kind}: {message}" if message else kind
    if message:
        return message
    lines = [line for line in (tail or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def describe_input(test: TestCase, entry_point: str | None) -> str:
    """The test's input as a call (`f(1, [2])`), the assertion, or the program's stdin."""
    entry_point = entry_point or "candidate"
    if test.kind is TestKind.CALL:
        return f"{entry_point}({', '.join(repr(a) for a in test.args or [])})"
    if test.kind is TestKind.ASSERT:
        return (test.assertion or "").strip().replace("candidate(", f"{entry_point}(")
    return repr(test.stdin or "")


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """One line of at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def sample_checks(store: RunStore, problems: dict[str, Problem]) -> Iterator[SampleCheck]:
    """Samples of the finished problems, in benchmark order, then sample order."""
    finished = {record.problem_id for record in store.problems() if record.status == "done"}
    for problem in problems.values():
        if problem.id not in finished:
            continue
        runs = store.judge_runs(problem.id)
        samples = [c for c in store.candidates(problem.id) if c.phase == SAMPLE_PHASE]
        for candidate in sorted(samples, key=lambda c: c.sample_index):
            yield SampleCheck(problem, candidate, runs, final_check(candidate, problem, runs))


def run_checks(run_dir: Path) -> tuple[RunConfig, list[SampleCheck]]:
    """A run's config and every sample's final check (problems not finished yet left out);
    the benchmark is loaded as the run's config says."""
    with RunStore(Path(run_dir)) as store:
        plan = stored_plan(store, run_dir)
        config = plan.config
        problems = {p.id: p for p in plan.problems}  # with their stress tests, as judged
        finished = {record.problem_id for record in store.problems()}
        missing = sorted(finished - set(problems))
        if missing:
            raise PerfCodegenError(f"{missing[0]} is not in the run's benchmark any more")
        return config, list(sample_checks(store, problems))


def final_check(candidate: CandidateRecord, problem: Problem,
                runs: list[tuple[dict[str, Any], JudgeResult]]) -> ProgramResult | None:  # fmt: skip
    """The candidate's check on every test of the problem (the last one, if several)."""
    found = None
    for job, result in runs:
        if (job.get("mode") == MeasureMode.CHECK.value and job.get("programs") == [candidate.code]
                and job.get("test_count") == len(problem.tests)):  # fmt: skip
            found = result.result
    return found


def failures(checks: list[SampleCheck]) -> list[tuple[SampleCheck, Failure]]:
    """The samples that failed, with their first failure."""
    return [(check, failure) for check in checks if (failure := check.failure) is not None]


def base_pass_at_k(checks: list[SampleCheck]) -> dict[str, float] | None:
    """pass@k on the benchmark's base tests alone (EvalPlus's 'base'), for each k of
    `PASS_AT` that every problem has samples for; None when no problem has plus tests (then
    the run's pass@k is the base figure)."""
    if not any(check.has_plus for check in checks):
        return None
    by_problem: dict[str, list[bool]] = {}
    for check in checks:
        by_problem.setdefault(check.problem.id, []).append(check.status("base")[0])
    least = min(len(rows) for rows in by_problem.values())
    return {
        f"pass@{k}": statistics.fmean(pass_at_k(len(rows), sum(rows), k) for rows in by_problem.values())
        for k in PASS_AT
        if k <= least
    }


_UNDEFINED = re.compile(r"^NameError: name '(\w+)' is not defined")
_NO_ENTRY = re.compile(r"^NameError: the program does not define a function named '(\w+)'")
SYSTEMATIC_SHARE = 0.2
"""A cause is named when it explains at least this share of the failing samples."""


def diagnoses(checks: list[SampleCheck]) -> list[str]:
    """One line per systematic cause of failure (a share of the failing samples): modules
    used but never imported, an entry point the samples never define."""
    import sys

    failing = failures(checks)
    modules: dict[str, int] = {}
    missing_entry = 0
    for check, failure in failing:
        match = _UNDEFINED.match(failure.message) or _NO_ENTRY.match(failure.message)
        if match is None:
            continue
        if match.group(1) == check.problem.entry_point:
            missing_entry += 1
        elif match.group(1) in sys.stdlib_module_names:
            modules[match.group(1)] = modules.get(match.group(1), 0) + 1
    lines = []
    least = max(1, SYSTEMATIC_SHARE * len(failing))
    if sum(modules.values()) >= least:
        named = ", ".join(f"{name} x{count}" for name, count in sorted(modules.items(), key=lambda i: -i[1]))
        lines.append(
            f"{sum(modules.values())} of {len(failing)} failing samples use a module they never "
            f"import ({named}): the samples lack their import lines"
        )
    if missing_entry >= least:
        lines.append(
            f"{missing_entry} of {len(failing)} failing samples never define the function the "
            "tests call (the problem's entry point): they name it differently"
        )
    return lines
