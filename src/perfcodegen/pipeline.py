"""Running a method over a benchmark: problems progress independently, model calls and judge
jobs overlap, every unit of work lands in the run store as it finishes.

CLI -> RunConfig -> method (asks llm and judge through a ProblemSession) -> store -> metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfcodegen.config import ProblemSelection, RunConfig, RuntimeOptions
from perfcodegen.errors import PerfCodegenError
from perfcodegen.finalize import finalize_problem
from perfcodegen.llm.model import ModelProvider
from perfcodegen.methods.base import Method
from perfcodegen.methods.judging import JudgeService
from perfcodegen.methods.prompts import template_digests
from perfcodegen.methods.registry import build_method, get_method_info
from perfcodegen.methods.session import ProblemSession
from perfcodegen.problems.registry import LoadOptions, load_benchmark, traits_of
from perfcodegen.store import ProblemRecord, RunStore
from perfcodegen.store.shared import SharedResults
from perfcodegen.vocabulary import Problem

ProgressHook = Callable[[str, str], None]
"""Called with (event, problem_id): 'start', 'done', 'skipped', 'error'."""


@dataclass
class RunSummary:
    run_dir: Path
    total: int = 0
    done: int = 0
    skipped: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    model_calls: int = 0
    notes: list[str] = field(default_factory=list)
    """What the user should know about the run (e.g. rows of unknown tasks not judged)."""


def select_problems(selection: ProblemSelection) -> list[Problem]:
    """Load the benchmark and keep the requested problems (native or full ids)."""
    return select(load_problems(selection), selection)


def load_problems(config: ProblemSelection) -> list[Problem]:
    """The benchmark as the selection loads it (its `limit` applies unless ids are given)."""
    options = LoadOptions(
        split=config.split,
        data=Path(config.data) if config.data else None,
        variant=config.variant or traits_of(config.benchmark).default_variant(config.paradigm),
        limit=None if config.problems else config.limit,
        difficulty=config.difficulty,
        extra=dict(config.load_options),
    )
    return load_benchmark(config.benchmark, options)


def select(problems: list[Problem], config: ProblemSelection) -> list[Problem]:
    """The problems the selection asks for, among `problems` (loaded by `load_problems`)."""
    if config.problems:
        wanted = set(config.problems)
        chosen = [p for p in problems if p.id in wanted or p.native_id in wanted]
        found = {p.id for p in chosen} | {p.native_id for p in chosen}
        missing = sorted(wanted - found)
        if missing:
            raise PerfCodegenError(
                f"unknown problem id(s) for {config.benchmark}: {', '.join(missing)} "
                f"(ids look like {problems[0].native_id!r} or {problems[0].id!r})"
            )
        problems = chosen[: config.limit] if config.limit else chosen
    return problems


async def run_method(
    config: RunConfig,
    problems: list[Problem],
    store: RunStore,
    *,
    model: ModelProvider,
    refine_model: ModelProvider | None,
    judge: JudgeService,
    max_in_flight: int = 8,
    progress: ProgressHook | None = None,
    session_details: dict[str, Any] | None = None,
    shared: SharedResults | None = None,
) -> RunSummary:
    """Run `config.method.name` on each problem not yet done in `store`."""
    store.save_config(saved_config(config))
    store.record_session(session_details or {})
    method = build_method(config)
    summary = RunSummary(run_dir=store.run_dir, total=len(problems))
    gate = asyncio.Semaphore(max_in_flight)
    notify = progress or (lambda event, pid: None)

    async def one(problem: Problem) -> None:
        existing = store.get_problem(problem.id)
        if existing is not None and existing.status == "done":
            summary.skipped += 1
            notify("skipped", problem.id)
            return
        async with gate:
            notify("start", problem.id)
            session = ProblemSession(
                problem=problem,
                config=config,
                store=store,
                model=model,
                refine_model=refine_model or model,
                judge=judge,
                method=config.method.name,
                shared=shared,
            )
            try:
                await solve_and_finalize(method, session)
            except PerfCodegenError:
                raise  # configuration/model errors stop the run; finished problems are kept
            except Exception as exc:  # a bug or a broken problem: record it, go on
                message = f"{type(exc).__name__}: {exc}"
                summary.errors[problem.id] = message
                store.put_problem(
                    ProblemRecord(problem_id=problem.id, status="error", error=message)
                )
                notify("error", problem.id)
                return
            summary.done += 1
            notify("done", problem.id)

    tasks = [asyncio.create_task(one(p)) for p in problems]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    summary.model_calls = len(store.calls())
    return summary


def saved_config(config: RunConfig) -> dict[str, Any]:
    """config.json: the config, perfcodegen's version (informational) and, for methods that
    ask a model, the digest of every prompt template (a changed prompt is a new run)."""
    from perfcodegen import __version__

    saved = config.model_dump(mode="json")
    saved["perfcodegen_version"] = __version__
    if get_method_info(config.method.name).needs_model:
        saved["templates"] = template_digests()
    return saved


async def solve_and_finalize(method: Method, session: ProblemSession) -> None:
    await method.solve(session)
    outcome = await finalize_problem(session)
    session.store.put_problem(
        ProblemRecord(
            problem_id=session.problem.id, status="done", result=outcome.model_dump(mode="json")
        )
    )


__all__ = ["RunSummary", "RuntimeOptions", "run_method", "select_problems"]
