"""The plan of a run: the one place where a run's problems (with their stress tests), its
judge configuration and its backend are derived from (RunConfig, RuntimeOptions).

Every entry point goes through `plan_run`: the Python API and `perfcodegen run`/`eval`,
`rescore` and `export` (which must find the run's own jobs and tests again), ENAMEL's eff@k,
fine-tuning's execution data and `optimize` (`judge_config`). A figure then never depends on
which door a run came in by.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from perfcodegen.backends import open_backend
from perfcodegen.config import Measurement, RunConfig, RuntimeOptions, config_from_saved
from perfcodegen.errors import DataError, PerfCodegenError
from perfcodegen.judge import CompareOptions, Judge, JudgeConfig, Limits
from perfcodegen.judge.backend import Backend, require_mode
from perfcodegen.pipeline import load_problems, select
from perfcodegen.problems.info import BenchmarkTraits
from perfcodegen.problems.registry import traits_of
from perfcodegen.problems.stress import STRESS_OUTPUT_BYTES
from perfcodegen.settings import GIVEN_METHOD
from perfcodegen.solutions import REFERENCE, SolutionSet
from perfcodegen.store import RunStore
from perfcodegen.vocabulary import Problem
from perfcodegen.vocabulary.stress import stress_level

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunPlan:
    """What a run works on and how it is judged."""

    config: RunConfig
    options: RuntimeOptions
    traits: BenchmarkTraits
    """The benchmark's traits (`problems.info.BenchmarkTraits`)."""
    problems: list[Problem]
    """The selected problems, stress tests appended where the run times or checks them."""
    judge_config: JudgeConfig
    notes: list[str] = field(default_factory=list)
    """What the user should know about the selection (rows of unknown tasks, ...)."""

    def open_backend(self) -> Backend:
        """The run's backend, not yet started; one that cannot take the run's figures is
        refused here, before any job (`--backend judge0 --measure instructions`)."""
        options = self.options
        backend = open_backend(
            options.backend, workers=options.workers, isolation=options.isolation,
            ray_address=options.ray_address, judge0_url=options.judge0_url,
            judge0_key=options.judge0_key,
        )  # fmt: skip
        mode = self.config.measurement.measure.mode
        if mode is not None:
            require_mode(backend, mode)
        return backend

    def judge(self, backend: Backend | None = None) -> Judge:
        """The run's judge on its backend (`open_backend` unless given); use it as
        `async with plan.judge() as judge`."""
        return Judge(self.judge_config, backend=backend or self.open_backend())


def stored_plan(store: RunStore, run_dir: Path) -> RunPlan:
    """The plan of a run already in its store (rescore, failure tables): its saved config,
    and the selection's problems with their stress tests, as they were judged."""
    saved = store.load_config()
    if not saved:
        raise PerfCodegenError(f"{run_dir} is not a perfcodegen run (no config.json)")
    return plan_run(config_from_saved(saved), RuntimeOptions(out=Path(run_dir)), stored=True)


def plan_run(
    config: RunConfig,
    options: RuntimeOptions,
    *,
    problems: list[Problem] | None = None,
    stored: bool = False,
) -> RunPlan:
    """The run's plan. `problems`: the problems to work on instead of the selection's (their
    stress tests are still added). `stored`: the run is already in its store (rescore,
    export): the given programs are not read again, only the selection is."""
    notes: list[str] = []
    if problems is None:
        problems, notes = selected_problems(config, check_solutions=not stored)
    problems = with_stress_tests(problems, config, options.isolation)
    stress = any(stress_level(t) is not None for p in problems for t in p.tests)
    judge = judge_config(
        config.measurement, workers=options.workers, isolation=options.isolation, stress=stress
    )
    return RunPlan(config, options, traits_of(config.selection.benchmark), problems, judge, notes)


async def aplan_run(
    config: RunConfig,
    options: RuntimeOptions,
    *,
    problems: list[Problem] | None = None,
    stored: bool = False,
) -> RunPlan:
    """`plan_run` off the event loop (loading data and drawing stress inputs block)."""
    return await asyncio.to_thread(plan_run, config, options, problems=problems, stored=stored)


def judge_config(
    measurement: Measurement, *, workers: int | None, isolation: str, stress: bool = False
) -> JudgeConfig:
    """The one builder of a run's `JudgeConfig`: its repeats and comparison rules, and room
    for the large values of stress tests when there are any (these enter every job's key)."""
    return JudgeConfig(
        workers=workers,
        repeats=measurement.repeats,
        isolation=isolation,  # type: ignore[arg-type]
        compare=CompareOptions(strict_types=measurement.strict_types),
        limits=Limits(output_bytes=STRESS_OUTPUT_BYTES) if stress else Limits(),
    )


def selected_problems(
    config: RunConfig, *, check_solutions: bool = True
) -> tuple[list[Problem], list[str]]:
    """The problems a run will work on, and what the user should know about the selection
    (for `given`: rows of unknown tasks, problems without a given program)."""
    every = load_problems(config.selection)
    problems = select(every, config.selection)
    if config.method.name == GIVEN_METHOD and check_solutions:
        return _with_solutions(every, problems, config)
    return problems, []


def with_stress_tests(problems: list[Problem], config: RunConfig, isolation: str) -> list[Problem]:
    """Stress tests for `--timing-tests stress|both` (and always for a benchmark whose
    correctness includes them, ENAMEL); HumanEval's tasks borrow ENAMEL's generators."""
    from perfcodegen.problems.enamel import with_enamel_generators
    from perfcodegen.problems.stress import attach_stress_tests

    always = traits_of(config.selection.benchmark).always_stress
    if config.measurement.timing_tests in ("given", "all") and not always:
        return problems
    if not always:
        if not any(p.native_id.startswith("HumanEval/") for p in problems):
            return problems  # ENAMEL's generators cover HumanEval's tasks only: given tests
        source = config.selection.load_options.get("enamel")
        try:
            problems = with_enamel_generators(problems, Path(source) if source else None)
        except PerfCodegenError as exc:  # no copy of ENAMEL here: time the given tests
            log.warning("no stress inputs (%s); timing the given tests", exc)
            return problems
    return attach_stress_tests(problems, isolation=isolation)


def _with_solutions(
    every: list[Problem], chosen: list[Problem], config: RunConfig
) -> tuple[list[Problem], list[str]]:
    """The chosen problems that have given programs, and what the user should know."""
    source = SolutionSet.load(config.method.solutions or REFERENCE, config.method.solutions_join)
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
