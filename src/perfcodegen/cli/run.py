"""`perfcodegen run` and `perfcodegen methods`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from perfcodegen.cli._app import app, console, parse_options, print_json
from perfcodegen.cli._options import (
    BenchmarkArg,
    DataOpt,
    DifficultyOpt,
    IsolationOpt,
    JsonOpt,
    LimitOpt,
    LoaderOptionOpt,
    MeasureOpt,
    MemoryOpt,
    ProblemsOpt,
    RepeatsOpt,
    SplitOpt,
    VariantOpt,
    WorkersOpt,
    split_ids,
)
from perfcodegen.cli._options import (
    isolation_level as _isolation,
)
from perfcodegen.config import RunConfig, RuntimeOptions
from perfcodegen.pipeline import ProgressHook


@app.command()
def run(
    benchmark: BenchmarkArg,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="provider/model, e.g. openai/gpt-4o, ollama/llama3, replay/FILE.jsonl",
        ),
    ],
    method: Annotated[
        str, typer.Option(help="Method (see `perfcodegen methods`).")
    ] = "perfcodegen",
    k: Annotated[int, typer.Option("-k", "--samples", help="Samples per problem.")] = 8,
    split: SplitOpt = None,
    variant: VariantOpt = None,
    data: DataOpt = None,
    limit: LimitOpt = None,
    difficulty: DifficultyOpt = None,
    option: LoaderOptionOpt = None,
    problems: ProblemsOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Run directory (default runs/<benchmark>-<method>-<model>).")
    ] = None,
    paradigm: Annotated[
        str, typer.Option(help="nl2code or edit (history-based editing).")
    ] = "nl2code",
    refine_model: Annotated[
        str | None, typer.Option(help="Model for refinement turns (e.g. with a replay model).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server URL (default: OPENAI_BASE_URL).")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key (default: OPENAI_API_KEY); never saved in the run.")
    ] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature for samples.")] = 0.8,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling top_p.")] = 0.95,
    max_tokens: Annotated[int, typer.Option(help="Max tokens per reply.")] = 2048,
    seed: Annotated[int | None, typer.Option(help="Sampling seed passed to the server.")] = None,
    feedback_tests: Annotated[
        str, typer.Option(help="Tests the model may see: all or public.")
    ] = "all",
    correctness_feedback: Annotated[
        str, typer.Option(help="reflect (plan then refine), direct, or none.")
    ] = "reflect",
    ecco_fix: Annotated[
        bool,
        typer.Option(
            "--ecco-fix",
            help="Only almost-correct input programs (ECCO-FIX; with --paradigm edit).",
        ),
    ] = False,
    iterations: Annotated[int, typer.Option(help="Refinement iterations (iterative methods).")] = 1,
    few_shot: Annotated[int, typer.Option(help="Demonstrations for few-shot methods.")] = 2,
    measure: MeasureOpt = "paired",
    timing_tests: Annotated[
        str | None,
        typer.Option(
            help="Tests timed for feedback and final figures: given, stress (generated inputs "
            "at size levels; default for enamel) or both. Other benchmarks take ENAMEL's "
            "generators from --option enamel=PATH (its enamel.csv).",
        ),
    ] = None,
    repeats: RepeatsOpt = 12,
    memory: MemoryOpt = False,
    workers: WorkersOpt = None,
    isolation: IsolationOpt = "full",
    max_connections: Annotated[int, typer.Option(help="Concurrent model requests.")] = 16,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Use the persistent response cache.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Run a method on a benchmark; rerunning the same command resumes and costs nothing twice."""
    from perfcodegen import api
    from perfcodegen.report.summary import print_run_report

    name = out.name if out else f"{benchmark}-{method}-{model.replace('/', '_')}"
    config = RunConfig(
        name=name,
        benchmark=benchmark,
        split=split,
        variant=variant,
        data=str(data) if data else None,
        difficulty=difficulty,
        load_options=parse_options(option),
        problems=split_ids(problems),
        limit=limit,
        model=model,
        refine_model=refine_model,
        base_url=base_url,
        method=method,
        paradigm=paradigm,  # type: ignore[arg-type]
        k=k,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        seed=seed,
        feedback_tests=feedback_tests,  # type: ignore[arg-type]
        correctness_feedback=correctness_feedback,  # type: ignore[arg-type]
        iterations=iterations,
        ecco_fix=ecco_fix,
        few_shot=few_shot,
        measure=measure,  # type: ignore[arg-type]
        timing_tests=timing_tests or ("stress" if benchmark == "enamel" else "given"),  # type: ignore[arg-type]
        repeats=repeats,
        memory=memory,
    )
    options = RuntimeOptions(
        out=out or Path("runs") / name,
        workers=workers,
        isolation=_isolation(isolation),
        max_connections=max_connections,
        cache=cache,
        api_key=api_key,
        show_progress=not as_json,
    )
    with _progress(enabled=not as_json) as (hook, _):
        summary = asyncio.run(api.run(config, options, progress=hook))
    print_run_report(summary.run_dir, as_json=as_json)
    if benchmark == "enamel" and not as_json:
        report = asyncio.run(api.run_efficiency(config, options))
        line = ", ".join(
            f"{name}@{n} {value:.3f}"
            for n in sorted({1, config.k})
            for name in ("eff", "pass")
            if (value := report.metric(name, n)) is not None
        )
        console.print(f"ENAMEL (re-timed on its stress levels): {line or 'no problem scored'}")
    if summary.errors:
        for problem_id, message in sorted(summary.errors.items()):
            console.print(f"[yellow]{problem_id}[/]: {message}", highlight=False)
        raise typer.Exit(code=1)


class _progress:
    """A rich progress bar over problems (no-op when disabled)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not enabled,
        )

    def __enter__(self) -> tuple[ProgressHook, Progress]:
        self.bar.__enter__()
        started = self.bar.add_task("problems started", total=None)
        finished = self.bar.add_task("problems finished", total=None)

        def hook(event: str, problem_id: str) -> None:
            if event == "start":
                self.bar.advance(started)
            elif event in ("done", "skipped", "error"):
                self.bar.advance(finished)

        return hook, self.bar

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


@app.command()
def methods(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the methods with one line each."""
    from perfcodegen.methods.base import method_infos

    infos = method_infos()
    if as_json:
        print_json(
            [
                {
                    "name": i.name,
                    "family": i.family,
                    "paradigms": list(i.paradigms),
                    "call_budget": i.call_budget,
                    "summary": i.summary,
                }
                for i in infos
            ]
        )
        return
    table = Table(title="methods")
    for column in ("name", "family", "paradigms", "model calls / problem", "what it does"):
        table.add_column(column)
    for i in infos:
        table.add_row(i.name, i.family, ", ".join(i.paradigms), i.call_budget, i.summary)
    console.print(table)
