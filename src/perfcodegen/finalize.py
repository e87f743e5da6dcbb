"""The end of a problem: judge every candidate on all tests, time the correct ones against
the references (and the input program) in one measurement session, and summarise.

Final figures come from one session per problem (paired mode by default: all programs
alternate in the same child per test), so candidates and references are timed under the
same machine conditions; that is what makes %Opt and speedups trustworthy on a noisy host.
"""

from __future__ import annotations

from collections.abc import Callable

from perfcodegen.judge.model import MeasureMode, ProgramResult
from perfcodegen.measuring import (
    Measured,
    Rounds,
    check_time_limits,
    correctness_tests,
    interval_fields,
    measure_programs,
    timing_tests,
    timing_tests_applied,
)
from perfcodegen.methods.registry import get_method_info
from perfcodegen.methods.session import ProblemSession
from perfcodegen.metrics.bestk import View, final_program
from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome
from perfcodegen.problems.registry import traits_of


async def finalize_problem(session: ProblemSession) -> ProblemOutcome:
    problem, config = session.problem, session.config
    all_tests = problem.tests
    # Verdicts on the benchmark's own tests only: stress tests borrowed for timing never
    # change pass@k (ENAMEL's own stress levels are its tests).
    always_stress = traits_of(config.selection.benchmark).always_stress
    verdict_tests = correctness_tests(all_tests, always_stress)

    # 1. The references that pass every test; the first one sets the time limits (EvalPlus).
    references: list[str] = []
    limits: list[float] | None = None
    for source in problem.references[: config.measurement.max_references]:
        checked = (await session.run_job([source], verdict_tests, MeasureMode.CHECK)).result
        if checked.ok:
            references.append(source)
            if limits is None:
                limits = check_time_limits(
                    checked, config.measurement.time_limit_floor_s, config.measurement.time_limit_factor
                )
    input_ok: bool | None = None
    if problem.input_program is not None:
        input_ok = (await session.run_job([problem.input_program], verdict_tests, MeasureMode.CHECK)).result.ok

    # 2. Final correctness on all tests (the private ones included).
    for candidate in session.candidates:
        result = await session.check(
            candidate, verdict_tests, stop_at_first_failure=not config.measurement.details, time_limits_s=limits
        )
        record = candidate.record
        record.verdict, record.passed, record.total = result.verdict, result.passed, result.total
        record.extra["failure"] = _failure(result)
        session.save(candidate)
    correct = [c for c in session.candidates if c.record.correct and c.code]

    # 3. One measurement session for every distinct correct program, on the timing tests.
    inputs = [problem.input_program] if input_ok and problem.input_program else []
    programs = [*references, *inputs, *(c.code for c in correct if c.code)]
    timing = timing_tests(all_tests, config.measurement.timing_tests)
    fixed = config.measurement.rounds == "fixed" or config.method.protocol is not None
    timed = await measure_programs(
        session.run_job, programs, timing, config.measurement.measure, config.measurement.memory,
        references=references,
        rounds=Rounds.fixed(config.measurement.repeats) if fixed else Rounds(),
    )  # fmt: skip
    cost = timed.get

    ref_costs = [(cost(s).cost, s) for s in references if cost(s).cost is not None]
    fastest_ref = min(ref_costs, key=lambda pair: pair[0] or 0.0)[1] if ref_costs else None
    spectrum_time, spectrum_memory, spectrum_source = _spectrum(session, references, cost)

    outcome = ProblemOutcome(
        problem_id=problem.id,
        reference_time_s=cost(fastest_ref).cost if fastest_ref else None,
        reference_per_test_s=cost(fastest_ref).per_test if fastest_ref else None,
        reference_memory_kb=cost(fastest_ref).memory_kb if fastest_ref else None,
        input_time_s=cost(problem.input_program).cost if input_ok else None,
        input_memory_kb=cost(problem.input_program).memory_kb if input_ok else None,
        input_correct=input_ok,
        spectrum_time_s=spectrum_time,
        spectrum_memory_kb=spectrum_memory,
        spectrum_source=spectrum_source,
        measure=config.measurement.measure,
        timing_tests=timing_tests_applied(all_tests, config.measurement.timing_tests),
        timing_test_count=len(timed.tests) if timed.tests else len(timing),
        timed_level=timed.level,
        resolution_s=timed.resolution_s,
        timing_cpu_s=timed.cpu_s if timed.programs else None,
        candidates=[
            CandidateOutcome(
                candidate_id=c.id,
                sample_index=c.sample_index,
                phase=c.record.phase,
                round=c.record.round,
                correct=c.record.correct,
                verdict=c.record.verdict,
                passed=c.record.passed,
                total=c.record.total,
                time_s=cost(c.code).cost if c.record.correct else None,
                per_test_s=cost(c.code).per_test if c.record.correct else None,
                memory_kb=cost(c.code).memory_kb if c.record.correct else None,
                **(interval_fields(cost(c.code)) if c.record.correct else {}),
            )
            for c in session.candidates
        ],
    )
    calls = session.store.calls(problem.id)
    outcome.model_calls = len(calls)
    outcome.prompt_tokens = sum(c.output.usage.prompt_tokens for c in calls)
    outcome.completion_tokens = sum(c.output.usage.completion_tokens for c in calls)
    rule = get_method_info(config.method.name).final_rule
    final = rule(outcome) if rule is not None else final_program(outcome, config.generation.k, View.METHOD)
    outcome.final_candidate_id = final.candidate_id if final else None
    return outcome


def _spectrum(
    session: ProblemSession, references: list[str], cost: Callable[[str | None], Measured]
) -> tuple[list[float] | None, list[float] | None, str | None]:
    """ECCO's spectrum of human solutions: re-measured here when the problem carries the
    solutions themselves (loader flag ``spectrum_references``), else the dataset's figures.
    A few reference programs (e.g. `fastest_code`) are not a spectrum and never replace it."""
    problem = session.problem
    selection = session.config.selection
    if traits_of(selection.benchmark).spectrum_paradigm != selection.paradigm:
        return None, None, None
    measured = [cost(s) for s in references]
    times = [t.cost for t in measured if t.cost is not None]
    if problem.metadata.extra.get("spectrum_references") and len(times) >= 2:
        memories = [float(t.memory_kb) for t in measured if t.memory_kb is not None]
        return times, memories or None, "measured"
    recorded = problem.metadata.extra.get("spectrum") or {}
    runtimes = recorded.get("runtimes") if isinstance(recorded, dict) else None
    recorded_memories = recorded.get("memories") if isinstance(recorded, dict) else None
    if runtimes:
        return (
            [float(x) for x in runtimes],
            [float(x) for x in recorded_memories or []] or None,
            "dataset",
        )
    return None, None, None


def _failure(result: ProgramResult) -> dict[str, object] | None:
    """What went wrong, for people reading the store: the first failing test, its verdict,
    the observed value (truncated by the judge) and the expected one."""
    if result.ok:
        return None
    failed = result.first_failure
    if failed is None:
        return {"verdict": result.verdict.value, "message": result.error_message}
    return {
        "test": failed.index, "verdict": failed.verdict.value, "message": failed.error_message,
        "actual": failed.actual, "expected": failed.expected,
    }  # fmt: skip
