"""The Python API: what the command line does, callable from a script or a notebook.

    import perfcodegen

    problems = perfcodegen.load("humaneval", limit=5)
    summary = perfcodegen.evaluate("humaneval", solutions="samples.jsonl", out="runs/mine")
    summary = perfcodegen.run("humaneval", model="openai/gpt-4o", method="perfcodegen", k=4)
    print(perfcodegen.report(summary.run_dir))

`run` and `evaluate` are synchronous (they start their own event loop); inside a running loop
(a Jupyter cell with `await`, an async service) use `arun` and `aevaluate`. Both write a run
directory and resume it when called again with the same settings. Settings are the fields of
`RunConfig` (what determines results) and `RuntimeOptions` (how to run), by name.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from perfcodegen.backends import open_backend
from perfcodegen.config import SETTING_NAMES, ProblemSelection, RunConfig, RuntimeOptions
from perfcodegen.efficiency import EfficiencyReport
from perfcodegen.errors import DataError, PerfCodegenError
from perfcodegen.judge import CompareOptions, Judge, JudgeConfig
from perfcodegen.judge.model import Limits
from perfcodegen.llm.cache import ResponseCache
from perfcodegen.llm.mock import MockModel
from perfcodegen.llm.model import ModelProvider
from perfcodegen.llm.registry import get_model
from perfcodegen.methods.judging import JudgeService
from perfcodegen.methods.registry import get_method_info
from perfcodegen.pipeline import (
    ProgressHook,
    RunSummary,
    load_problems,
    run_method,
    select,
    select_problems,
)
from perfcodegen.problems.model import Problem
from perfcodegen.problems.stress import STRESS_OUTPUT_BYTES, stress_level
from perfcodegen.protocols import get_protocol, run_settings
from perfcodegen.solutions import REFERENCE, SolutionSet
from perfcodegen.store import RunStore
from perfcodegen.store.provenance import machine_details
from perfcodegen.store.shared import SharedResults

GIVEN_METHOD = "given"


def load(benchmark: str, **selection: Any) -> list[Problem]:
    """A benchmark's problems, e.g. `load("mbpp", split="sanitized", limit=10)`.

    `selection`: split, variant, data, limit, difficulty, problems (ids), load_options."""
    chosen = ProblemSelection(benchmark=benchmark, **selection)
    return select(load_problems(chosen), chosen)


def run(
    benchmark: str, *, model: str | ModelProvider, method: str = "perfcodegen", **settings: Any
) -> RunSummary:
    """Run `method` with `model` on `benchmark` (see the module docstring). `model` is a
    'provider/model' string or a provider object (e.g. `perfcodegen.MockModel(...)`)."""
    return asyncio.run(arun(benchmark, model=model, method=method, **settings))


async def arun(
    benchmark: str, *, model: str | ModelProvider, method: str = "perfcodegen", **settings: Any
) -> RunSummary:
    spec = model if isinstance(model, str) else model.name
    config, options = settings_to_config(benchmark, dict(settings, model=spec, method=method))
    provider = None if isinstance(model, str) else model
    return await run_config(config, options, model=provider)


def evaluate(benchmark: str, solutions: str | Path = REFERENCE, **settings: Any) -> RunSummary:
    """Judge existing programs: 'reference', a JSONL samples file or an EvalPlus samples
    folder (`perfcodegen.solutions`)."""
    return asyncio.run(aevaluate(benchmark, solutions, **settings))


async def aevaluate(
    benchmark: str, solutions: str | Path = REFERENCE, **settings: Any
) -> RunSummary:
    config, options = settings_to_config(benchmark, dict(settings, **eval_settings(str(solutions))))
    return await run_config(config, options)


def eval_settings(solutions: str) -> dict[str, Any]:
    """The config fields that make a run judge given programs."""
    source = SolutionSet.load(solutions)
    return {
        "method": GIVEN_METHOD,
        "model": "none",
        "solutions": source.source if source.source == REFERENCE else str(Path(solutions).resolve()),
        "solutions_sha256": source.digest,
        "k": 0,
    }


def default_run_dir(config: RunConfig) -> Path:
    if config.method.name == GIVEN_METHOD:
        stem = Path(config.method.solutions).stem if config.method.solutions else REFERENCE
        tag = f"-{config.method.solutions_sha256[:8]}" if config.method.solutions_sha256 else ""
        return Path("runs") / f"eval-{config.selection.benchmark}-{stem}{tag}"
    return Path("runs") / f"{config.selection.benchmark}-{config.method.name}-{config.generation.model.replace('/', '_')}"


async def run_config(
    config: RunConfig,
    options: RuntimeOptions,
    *,
    problems: list[Problem] | None = None,
    progress: ProgressHook | None = None,
    model: ModelProvider | None = None,
) -> RunSummary:
    """Run (or resume) `config` into `options.out`. Finished work is never redone.

    `model`: a provider object to use instead of opening `config.generation.model` (it is not closed)."""
    notes: list[str] = []
    if problems is None:
        problems, notes = plan(config)
    problems = await with_stress_tests(problems, config, options)
    needs_model = get_method_info(config.method.name).needs_model
    given_model = model
    cache = (
        ResponseCache(options.cache_path)
        if options.cache and needs_model and given_model is None
        else None
    )
    if model is None:
        model = _open_model(config.generation.model, config, options, cache) if needs_model else MockModel([])
    refine = _open_model(config.generation.refine_model, config, options, cache) if config.generation.refine_model else None
    store = RunStore(options.out)
    shared = (
        SharedResults(options.reference_cache_path, at_least=options.isolation)
        if options.cache
        else None
    )
    try:
        judge_config = JudgeConfig(
            workers=options.workers,
            repeats=config.measurement.repeats,
            isolation=options.isolation,
            compare=CompareOptions(strict_types=config.measurement.strict_types),
        )
        if any(stress_level(t) is not None for p in problems for t in p.tests):
            judge_config = judge_config.model_copy(
                update={"limits": Limits(output_bytes=STRESS_OUTPUT_BYTES)}
            )
        backend = open_backend(
            options.backend, workers=options.workers, isolation=options.isolation,
            ray_address=options.ray_address, judge0_url=options.judge0_url,
            judge0_key=options.judge0_key,
        )  # fmt: skip
        async with Judge(judge_config, backend=backend) as judge:
            if config.method.ecco_fix:
                problems = await _almost_correct(problems, judge)
            summary = await run_method(
                config, problems, store, model=model, refine_model=refine, judge=judge,
                max_in_flight=options.max_problems_in_flight, progress=progress,
                session_details={**machine_details(), "isolation": options.isolation},
                shared=shared,
            )  # fmt: skip
            summary.notes.extend(notes)
            return summary
    finally:
        if given_model is None:
            await model.aclose()
        if refine is not None:
            await refine.aclose()
        if cache is not None:
            cache.close()
        if shared is not None:
            shared.close()
        store.close()


def plan(config: RunConfig) -> tuple[list[Problem], list[str]]:
    """The problems a run will work on, and what the user should know about the selection
    (for `given`: rows of unknown tasks, problems without a given program)."""
    every = load_problems(config.selection)
    problems = select(every, config.selection)
    if config.method.name == GIVEN_METHOD:
        return _with_solutions(every, problems, config)
    return problems, []


async def with_stress_tests(
    problems: list[Problem], config: RunConfig, options: RuntimeOptions
) -> list[Problem]:
    """Stress tests for `--timing-tests stress|both` (and always for enamel, whose
    correctness includes them); other benchmarks borrow ENAMEL's generators by task id."""
    from perfcodegen.problems.enamel import with_enamel_generators
    from perfcodegen.problems.stress import attach_stress_tests_async

    if config.measurement.timing_tests in ("given", "all") and config.selection.benchmark != "enamel":
        return problems
    if config.selection.benchmark != "enamel":
        source = config.selection.load_options.get("enamel")
        problems = with_enamel_generators(problems, Path(source) if source else None)
    return await attach_stress_tests_async(problems, isolation=options.isolation)


async def run_efficiency(config: RunConfig, options: RuntimeOptions) -> EfficiencyReport:
    """ENAMEL's eff@k (k = config.generation.k) of a finished run's samples, re-timed on stress levels."""
    from perfcodegen.efficiency import run_efficiency as score

    problems = await with_stress_tests(select_problems(config.selection), config, options)
    judge_config = JudgeConfig(workers=options.workers, isolation=options.isolation)
    with RunStore(options.out) as store:
        async with Judge(judge_config) as judge:
            return await score(judge, problems, store, config.generation.k)


def settings_to_config(benchmark: str, settings: dict[str, Any]) -> tuple[RunConfig, RuntimeOptions]:
    """Keyword settings -> (RunConfig, RuntimeOptions); an unknown name is a user error."""
    run_fields, option_fields = SETTING_NAMES, set(RuntimeOptions.model_fields)
    unknown = sorted(set(settings) - run_fields - option_fields)
    if unknown:
        raise PerfCodegenError(f"unknown setting(s): {', '.join(unknown)}")
    values = {k: v for k, v in settings.items() if k in run_fields}
    values.setdefault("name", "")
    values.update(_protocol_settings(benchmark, values))
    config = RunConfig(benchmark=benchmark, **values)
    runtime = {k: v for k, v in settings.items() if k in option_fields}
    out = Path(runtime.pop("out", None) or default_run_dir(config))
    if not config.name:
        config = config.with_overrides(name=out.name)
    return config, RuntimeOptions(out=out, **runtime)


PROTOCOL_KEYS = ("split", "variant", "load_options", "temperature", "top_p", "max_tokens",
                 "system_prompt", "max_references")  # fmt: skip


def _protocol_settings(benchmark: str, values: dict[str, Any]) -> dict[str, Any]:
    """What `protocol` (if any) and the method's family set, under what the caller gave."""
    name = values.get("protocol")
    family = get_method_info(str(values.get("method", "perfcodegen"))).family
    explicit = {key: values.get(key) for key in PROTOCOL_KEYS}
    return run_settings(get_protocol(name) if name else None, benchmark, explicit, family)


def _with_solutions(
    every: list[Problem], chosen: list[Problem], config: RunConfig
) -> tuple[list[Problem], list[str]]:
    """The chosen problems that have given programs, and what the user should know."""
    source = SolutionSet.load(config.method.solutions or REFERENCE)
    if source.digest != config.method.solutions_sha256:
        raise PerfCodegenError(f"{source.source} changed while the run was being set up")
    kept = [p for p in chosen if source.programs_for(p)]
    notes = []
    if source.source != REFERENCE:
        unknown = source.unknown_tasks(every)
        if unknown and config.selection.limit is None:
            shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            notes.append(
                f"{len(unknown)} task id(s) in {source.source} are not {config.selection.benchmark} "
                f"problems and were not judged: {shown}"
            )
        if len(kept) < len(chosen):
            notes.append(f"{len(chosen) - len(kept)} selected problem(s) have no given program")
    if not kept:
        raise DataError(f"{source.source}: no programs for the selected {config.selection.benchmark} problems")
    return kept, notes


def _open_model(
    spec: str, config: RunConfig, options: RuntimeOptions, cache: ResponseCache | None
) -> ModelProvider:
    return get_model(
        spec, base_url=config.generation.base_url, api_key=options.api_key,
        max_connections=options.max_connections, cache=cache,
    )  # fmt: skip


async def _almost_correct(problems: list[Problem], judge: JudgeService) -> list[Problem]:
    from perfcodegen.methods.ecco_fix import almost_correct_inputs

    kept = await almost_correct_inputs(problems, judge)
    if not kept:
        raise PerfCodegenError(
            "--ecco-fix: none of the selected problems has an almost-correct input program "
            "(passing every public test, failing a private one); ECCO's and PIE's pairs start "
            "from accepted programs, so bring buggy inputs as a custom benchmark (input_program)"
        )
    return kept
