"""The optimisation loop: ask a model for a faster function, accept it only when it behaves
like the original on every input and is measurably faster.

1. Inputs: captured from the user's tests, the docstring's examples, hypothesis examples
   from the type hints, and timing inputs at several sizes (`--input-generator`, or built
   from the hints). The original, run in the judge's sandbox, gives each one's expected
   value: its result and its arguments after the call (side effects count).
2. Each round the model proposes the function; the judge checks the candidate program on
   every input (differential testing). A difference is refused with its counter-example and
   fed back. A correct candidate is timed against the original in paired mode at every
   size; it is accepted when it is at least `min_speedup` faster at the largest size.
3. The next round feeds back the candidate's costliest input (PerfCodeGen's feedback).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from perfcodegen.config import Measurement
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge import Judge, MeasureMode
from perfcodegen.judge.observe import ValueObserver
from perfcodegen.llm.extract import extract_code
from perfcodegen.llm.model import ChatMessage, GenerateConfig, Purpose, RequestContext
from perfcodegen.llm.registry import get_model
from perfcodegen.methods.prompts import render
from perfcodegen.metrics.growth import GrowthFit, fit_growth
from perfcodegen.optimize import inputs as sources
from perfcodegen.optimize.target import OBSERVED, Target, function_from_program
from perfcodegen.plan import judge_config
from perfcodegen.vocabulary import Problem, TestCase

BASELINE_SIZE = 1
"""Timed too: its time (definitions, call, a trivial input) is subtracted before the growth
fit, which would otherwise flatten at small sizes."""


class NoFasterVersion(PerfCodegenError):
    """Exit status 1: the loop ran, no candidate was both verified and faster."""

    exit_code = 1


@dataclass(frozen=True)
class OptimizeOptions:
    model: str
    base_url: str | None = None
    api_key: str | None = None
    tests: tuple[Path, ...] = ()
    input_generator: str | None = None
    sizes: tuple[int, ...] = (100, 200, 400, 800, 1600)
    rounds: int = 3
    min_speedup: float = 1.1
    repeats: int = 5
    isolation: Literal["full", "partial", "none"] = "full"
    temperature: float = 0.2
    max_tokens: int = 2048
    domains: tuple[tuple[str, tuple[float, float]], ...] = ()
    """`--domain`: (parameter, (low, high)) bounds of hypothesis's numeric inputs."""


@dataclass(frozen=True)
class SizeTiming:
    label: str
    size: int | None
    original_s: float
    candidate_s: float

    @property
    def speedup(self) -> float:
        return self.original_s / self.candidate_s if self.candidate_s > 0 else float("inf")


@dataclass(frozen=True)
class Attempt:
    round: int
    outcome: str
    """accepted, wrong, not-faster, no-code."""
    detail: str = ""
    timings: tuple[SizeTiming, ...] = ()


@dataclass
class OptimizeResult:
    target: Target
    input_counts: dict[str, int]
    attempts: list[Attempt] = field(default_factory=list)
    function_source: str | None = None
    """The accepted function (None when no verified faster version was found)."""
    timings: tuple[SizeTiming, ...] = ()
    growth_original: GrowthFit | None = None
    growth_candidate: GrowthFit | None = None

    @property
    def found(self) -> bool:
        return self.function_source is not None

    @property
    def new_source(self) -> str | None:
        return (
            None
            if self.function_source is None
            else self.target.with_function(self.function_source)
        )


@dataclass(frozen=True)
class LabelledInput:
    label: str
    args: list[Any]
    size: int | None = None


def collect_inputs(
    target: Target, options: OptimizeOptions
) -> tuple[list[LabelledInput], list[LabelledInput]]:
    """(checking inputs, timing inputs); every timing input is a checking input too."""
    captured = sources.captured_inputs(target, options.tests)
    checking = [LabelledInput("captured", a) for a in captured]
    checking += [LabelledInput("doctest", a) for a in sources.doctest_inputs(target)]
    seen = [c.args for c in checking]  # the function's domain, as its calls show it
    drawn = sources.hypothesis_inputs(target, seen=seen, domains=options.domains)
    checking += [LabelledInput("hypothesis", a) for a in drawn]
    sizes = (BASELINE_SIZE, *(n for n in options.sizes if n != BASELINE_SIZE))
    if options.input_generator:
        sized = sources.generated_inputs(options.input_generator, sizes)
    else:
        sized = sources.sized_inputs(target, sizes, captured[0] if captured else None)
    timing = [LabelledInput(f"n={n}", a, n) for n, a in zip(sizes, sized, strict=False)]
    if not timing:
        timing = [LabelledInput(f"captured #{i}", x.args) for i, x in enumerate(checking[:10])]
    return checking + [t for t in timing if t.size is not None], timing


def build_tests(target: Target, inputs: Sequence[LabelledInput], isolation: str) -> list[TestCase]:
    """CALL tests of the observing wrapper, expected values from the original in the sandbox;
    inputs on which the original itself fails are dropped."""
    with ValueObserver(isolation) as observer:
        observed = observer.call(target.judged_program(), OBSERVED, [i.args for i in inputs])
    return [
        TestCase.call(item.args, result.value, name=item.label)
        for item, result in zip(inputs, observed, strict=True)
        if result.ok
    ]


def first_prompt(target: Target) -> str:
    return render(
        "optimize/first", module=target.path.name, source=target.source, function=target.function
    )


async def optimize_target(
    target: Target, options: OptimizeOptions, stage: Callable[[str], None] | None = None
) -> OptimizeResult:
    """`stage`: told what is being done now (the CLI's status line), at each step."""
    say = stage or (lambda _text: None)
    say("collecting inputs (running your tests to capture calls)" if options.tests else "collecting inputs")
    checking, timing = collect_inputs(target, options)
    say(f"computing the original's outputs on {len(checking)} inputs")
    tests = build_tests(target, checking, options.isolation)
    timing_tests = [t for t in tests if t.name in {x.label for x in timing}]
    counts: dict[str, int] = {}
    for test in tests:
        kind = "sized" if (test.name or "").startswith("n=") else (test.name or "").split(" ")[0]
        counts[kind] = counts.get(kind, 0) + 1
    if not tests:
        raise PerfCodegenError("no inputs: pass --tests, add type hints, or --input-generator")
    result = OptimizeResult(target=target, input_counts=counts)
    problem = Problem(
        id=f"optimize/{target.path.name}::{target.function}",
        benchmark="optimize",
        native_id=target.function,
        statement=f"optimise {target.function}",
        prompt=target.source,
        entry_point=OBSERVED,
        references=[target.judged_program()],
        tests=tests,
    )
    model = get_model(options.model, base_url=options.base_url, api_key=options.api_key)
    messages = [
        ChatMessage(role="system", content=render("optimize/system")),
        ChatMessage(role="user", content=first_prompt(target)),
    ]
    config = judge_config(
        Measurement(repeats=options.repeats), workers=1, isolation=options.isolation
    )
    best_speedup = 0.0
    try:
        async with Judge(config) as judge:
            for round_index in range(options.rounds):
                say(f"round {round_index + 1}/{options.rounds}: asking {options.model} for a faster version")
                reply = await model.generate(
                    messages,
                    GenerateConfig(temperature=options.temperature, max_tokens=options.max_tokens),
                    RequestContext(task_id=problem.id, sample_index=0, purpose=Purpose.OPTIMIZE),
                )
                messages.append(ChatMessage(role="assistant", content=reply.text))
                say(f"round {round_index + 1}/{options.rounds}: checking and timing the candidate")
                attempt, feedback, function = await _judge_reply(
                    judge, problem, target, reply.text, timing_tests, options, round_index
                )
                result.attempts.append(attempt)
                if attempt.outcome == "accepted" and function is not None:
                    speedup = attempt.timings[-1].speedup
                    if speedup > best_speedup:
                        best_speedup, result.function_source, result.timings = (
                            speedup,
                            function,
                            attempt.timings,
                        )
                messages.append(ChatMessage(role="user", content=feedback))
    finally:
        await model.aclose()
    result.growth_original, result.growth_candidate = growth_fits(result.timings)
    return result


def growth_fits(timings: Sequence[SizeTiming]) -> tuple[GrowthFit | None, GrowthFit | None]:
    """Original's and candidate's growth over the sizes, above the baseline input's time."""
    base = next((t for t in timings if t.size == BASELINE_SIZE), None)
    sized = [t for t in timings if t.size and t.size != BASELINE_SIZE]
    if base is None or len(sized) < 2:
        return None, None
    fits = []
    for times, floor in (
        ([t.original_s for t in sized], base.original_s),
        ([t.candidate_s for t in sized], base.candidate_s),
    ):
        above = [max(t - floor, 1e-7) for t in times]
        fits.append(fit_growth([float(t.size or 0) for t in sized], above))
    return fits[0], fits[1]


async def _judge_reply(
    judge: Judge,
    problem: Problem,
    target: Target,
    reply: str,
    timing_tests: list[TestCase],
    options: OptimizeOptions,
    round_index: int,
) -> tuple[Attempt, str, str | None]:
    """One candidate: (what happened, the feedback for the model, its function source)."""
    extracted = extract_code(reply, prompt=None, entry_point=target.function)
    function = (
        function_from_program(extracted.code, target.function, target.source)
        if extracted.code
        else None
    )
    if function is None:
        return (
            Attempt(round_index, "no-code", extracted.reason or "no function"),
            render("optimize/no_code", function=target.function),
            None,
        )
    program = target.judged_program(target.with_function(function))
    checked = await judge.check(program, problem, stop_at_first_failure=True)
    if not checked.ok:
        failure = checked.first_failure
        if failure is None:
            detail = f"{checked.error_type}: {checked.error_message}"
        else:
            test = problem.tests[failure.index]
            shown = ", ".join(repr(a) for a in test.args or [])
            got = failure.actual or f"{failure.error_type}: {failure.error_message or ''}"
            detail = (
                f"[{test.name}] {target.function}({_cut(shown)}): expected [result, args after] = "
                f"{_cut(failure.expected or '')}, got {_cut(got)}"
            )
        return (
            Attempt(round_index, "wrong", detail),
            render("optimize/wrong", detail=detail),
            None,
        )
    timed = await judge.run(
        judge.make_job([problem.references[0], program], problem, MeasureMode.PAIRED, timing_tests)
    )
    timings = tuple(
        SizeTiming(
            test.name or "", _size(test.name), o.trimmed_mean_s or 0.0, c.trimmed_mean_s or 0.0
        )
        for test, o, c in zip(
            timing_tests, timed.programs[0].tests, timed.programs[1].tests, strict=False
        )
    )
    if not timings or not all(p.ok for p in timed.programs):
        return (
            Attempt(round_index, "wrong", "it failed while being timed"),
            render("optimize/timing_failed"),
            None,
        )
    last = timings[-1]
    if last.speedup < options.min_speedup:
        return (
            Attempt(
                round_index, "not-faster", f"speedup {last.speedup:.2f}x at {last.label}", timings
            ),
            render("optimize/not_faster", speedup=f"{last.speedup:.2f}", label=last.label),
            None,
        )
    costliest = max(timings, key=lambda t: t.candidate_s)
    feedback = render(
        "optimize/accepted", speedup=f"{last.speedup:.2f}", label=last.label,
        costliest=costliest.label, costliest_ms=f"{1000 * costliest.candidate_s:.3f}",
    )  # fmt: skip
    return (
        Attempt(round_index, "accepted", f"speedup {last.speedup:.2f}x at {last.label}", timings),
        feedback,
        function,
    )


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _size(label: str | None) -> int | None:
    return int(label[2:]) if label and label.startswith("n=") and label[2:].isdigit() else None


def optimize_sync(
    target: Target, options: OptimizeOptions, stage: Callable[[str], None] | None = None
) -> OptimizeResult:
    return asyncio.run(optimize_target(target, options, stage))
