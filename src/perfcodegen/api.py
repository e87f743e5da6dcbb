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
from typing import TYPE_CHECKING, Any

from perfcodegen.config import ProblemSelection, RunConfig, RuntimeOptions
from perfcodegen.efficiency import EfficiencyReport
from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.cache import ResponseCache
from perfcodegen.llm.mock import MockModel
from perfcodegen.llm.model import ModelProvider, check_reachable
from perfcodegen.llm.registry import get_model
from perfcodegen.methods.judging import JudgeService
from perfcodegen.methods.registry import get_method_info
from perfcodegen.pipeline import (
    ProgressHook,
    RunSummary,
    load_problems,
    run_method,
    saved_config,
    select,
)
from perfcodegen.plan import RunPlan, aplan_run, selected_problems
from perfcodegen.settings import GIVEN_METHOD, refuse_other_run
from perfcodegen.settings import default_run_dir as default_run_dir
from perfcodegen.settings import settings_to_config as settings_to_config
from perfcodegen.solutions import REFERENCE, SolutionSet
from perfcodegen.store import RunStore
from perfcodegen.store.provenance import machine_details
from perfcodegen.store.shared import SharedResults
from perfcodegen.vocabulary import Problem

if TYPE_CHECKING:
    from perfcodegen.report.results import RunMetrics


def load(benchmark: str, **selection: Any) -> list[Problem]:
    """A benchmark's problems, e.g. `load("mbpp", split="sanitized", limit=10)`.

    `selection`: split, variant, data, limit, difficulty, problems (ids), load_options."""
    from pydantic import ValidationError

    from perfcodegen.errors import SettingError

    try:
        chosen = ProblemSelection(benchmark=benchmark, **selection)
    except ValidationError as exc:  # a user error naming the setting, not a pydantic error
        raise SettingError.first_of([dict(e) for e in exc.errors()]) from None
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


def evaluate(benchmark: str, solutions: str | Path = REFERENCE, **settings: Any) -> RunMetrics:
    """Judge existing programs: 'reference', a JSONL samples file or an EvalPlus samples
    folder (`perfcodegen.solutions`); the run's figures (`perfcodegen.report.results`)."""
    return asyncio.run(aevaluate(benchmark, solutions, **settings))


async def aevaluate(
    benchmark: str, solutions: str | Path = REFERENCE, **settings: Any
) -> RunMetrics:
    from perfcodegen.report.results import run_metrics

    config, options = settings_to_config(benchmark, dict(settings, **eval_settings(str(solutions))))
    summary = await run_config(config, options)
    return await asyncio.to_thread(run_metrics, summary.run_dir, notes=summary.notes,
                                   done=summary.done, errors=summary.errors)  # fmt: skip


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
    plan_ = await aplan_run(config, options, problems=problems)
    return await run_plan(plan_, progress=progress, model=model)


async def run_plan(
    plan_: RunPlan, *, progress: ProgressHook | None = None, model: ModelProvider | None = None
) -> RunSummary:
    """Run (or resume) a planned run (`perfcodegen.plan.plan_run`). Everything that can
    refuse the run (its backend, the model's endpoint, a folder holding another run) is
    checked before the run folder is written."""
    config, options, problems = plan_.config, plan_.options, plan_.problems
    refuse_other_run(options.out, config, saved_config(config))
    backend = plan_.open_backend()
    needs_model = get_method_info(config.method.name).needs_model
    given_model = model
    cache = (
        ResponseCache(options.cache_path)
        if options.cache and needs_model and given_model is None
        else None
    )
    refine: ModelProvider | None = None
    store: RunStore | None = None
    shared: SharedResults | None = None
    judging = False  # from then on the judge owns (and closes) the backend
    try:
        if model is None:
            model = _open_model(config.generation.model, options, cache) if needs_model else MockModel([])
        if config.generation.refine_model:
            refine = _open_model(config.generation.refine_model, options, cache)
        if not options.out.exists():  # a new run: a wrong endpoint leaves no folder behind
            for provider in (model, refine):
                if provider is not None and provider is not given_model:
                    await check_reachable(provider)
        store = RunStore(options.out)
        if options.cache:
            shared = SharedResults(options.reference_cache_path, at_least=options.isolation)
        judging = True
        async with plan_.judge(backend) as judge:
            if config.method.ecco_fix:
                problems = await _almost_correct(problems, judge)
            summary = await run_method(
                config, problems, store, model=model, refine_model=refine, judge=judge,
                max_in_flight=options.max_problems_in_flight, progress=progress,
                session_details={**machine_details(), "isolation": options.isolation},
                shared=shared,
            )  # fmt: skip
            summary.notes.extend(plan_.notes)
            return summary
    finally:
        if not judging:
            await backend.aclose()
        if given_model is None and model is not None:
            await model.aclose()
        if refine is not None:
            await refine.aclose()
        if cache is not None:
            cache.close()
        if shared is not None:
            shared.close()
        if store is not None:
            store.close()


def plan(config: RunConfig) -> tuple[list[Problem], list[str]]:
    """The problems a run will work on, and what the user should know about the selection
    (`perfcodegen.plan.selected_problems`; `plan_run` adds their stress tests)."""
    return selected_problems(config)


async def run_efficiency(config: RunConfig, options: RuntimeOptions) -> EfficiencyReport:
    """ENAMEL's eff@k (k = config.generation.k) of a finished run's samples, re-timed on
    stress levels, on the run's own problems, judge configuration and backend."""
    from perfcodegen.efficiency import run_efficiency as score

    plan_ = await aplan_run(config, options, stored=True)
    with RunStore(options.out) as store:
        async with plan_.judge() as judge:
            return await score(judge, plan_.problems, store, config.generation.k)


def _open_model(spec: str, options: RuntimeOptions, cache: ResponseCache | None) -> ModelProvider:
    return get_model(
        spec, base_url=options.base_url, api_key=options.api_key,
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
