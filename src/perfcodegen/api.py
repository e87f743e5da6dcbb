"""The programmatic entry points behind the CLI: wire models, judge, store and pipeline."""

from __future__ import annotations

from perfcodegen.config import RunConfig, RuntimeOptions
from perfcodegen.efficiency import EfficiencyReport
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge import Judge, JudgeConfig
from perfcodegen.judge.model import Limits
from perfcodegen.llm.cache import ResponseCache
from perfcodegen.llm.model import ModelProvider
from perfcodegen.llm.registry import get_model
from perfcodegen.methods.judging import LocalJudgeService
from perfcodegen.pipeline import ProgressHook, RunSummary, run_method, select_problems
from perfcodegen.problems.model import Problem
from perfcodegen.problems.stress import STRESS_OUTPUT_BYTES, stress_level
from perfcodegen.store import RunStore


def open_model(spec: str, config: RunConfig, options: RuntimeOptions, cache: ResponseCache | None) -> ModelProvider:
    return get_model(
        spec,
        base_url=config.base_url,
        api_key=options.api_key,
        max_connections=options.max_connections,
        cache=cache,
    )


async def _almost_correct(problems: list[Problem], judge: LocalJudgeService) -> list[Problem]:
    from perfcodegen.methods.ecco_fix import almost_correct_inputs

    kept = await almost_correct_inputs(problems, judge)
    if not kept:
        raise PerfCodegenError(
            "--ecco-fix: none of the selected problems has an almost-correct input program "
            "(passing every public test, failing a private one); ECCO's and PIE's pairs start "
            "from accepted programs, so bring buggy inputs as a custom benchmark (input_program)"
        )
    return kept


async def with_stress_tests(
    problems: list[Problem], config: RunConfig, options: RuntimeOptions
) -> list[Problem]:
    """Stress tests for `--timing-tests stress|both` (and always for enamel, whose
    correctness includes them); other benchmarks borrow ENAMEL's generators by task id."""
    from pathlib import Path

    from perfcodegen.problems.enamel import with_enamel_generators
    from perfcodegen.problems.stress import attach_stress_tests_async

    if config.timing_tests == "given" and config.benchmark != "enamel":
        return problems
    if config.benchmark != "enamel":
        source = config.load_options.get("enamel")
        problems = with_enamel_generators(problems, Path(source) if source else None)
    return await attach_stress_tests_async(problems, isolation=options.isolation)


async def run_efficiency(config: RunConfig, options: RuntimeOptions) -> EfficiencyReport:
    """ENAMEL's eff@k (k = config.k) of a finished run's samples, re-timed on stress levels."""
    from perfcodegen.efficiency import run_efficiency as score

    problems = await with_stress_tests(select_problems(config), config, options)
    judge_config = JudgeConfig(workers=options.workers, isolation=options.isolation)
    with RunStore(options.out) as store:
        async with Judge(judge_config) as judge:
            return await score(judge, problems, store, config.k)


async def run(
    config: RunConfig,
    options: RuntimeOptions,
    *,
    problems: list[Problem] | None = None,
    progress: ProgressHook | None = None,
) -> RunSummary:
    """Run (or resume) `config` into `options.out`. Finished work is never redone."""
    chosen = problems if problems is not None else select_problems(config)
    chosen = await with_stress_tests(chosen, config, options)
    cache = ResponseCache(options.cache_path) if options.cache else None
    model = open_model(config.model, config, options, cache)
    refine = open_model(config.refine_model, config, options, cache) if config.refine_model else None
    store = RunStore(options.out)
    try:
        judge_config = JudgeConfig(
            workers=options.workers, repeats=config.repeats, isolation=options.isolation
        )
        if any(stress_level(t) is not None for p in chosen for t in p.tests):
            judge_config = judge_config.model_copy(
                update={"limits": Limits(output_bytes=STRESS_OUTPUT_BYTES)}
            )
        async with Judge(judge_config) as judge:
            service = LocalJudgeService(judge)
            if config.ecco_fix:
                chosen = await _almost_correct(chosen, service)
            return await run_method(
                config, chosen, store, model=model, refine_model=refine, judge=service,
                max_in_flight=options.max_problems_in_flight, progress=progress,
            )
    finally:
        await model.aclose()
        if refine is not None:
            await refine.aclose()
        if cache is not None:
            cache.close()
        store.close()
