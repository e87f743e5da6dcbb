"""`perfcodegen run` and `perfcodegen methods`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from perfcodegen.cli._app import app, console, err_console, parse_options, print_json
from perfcodegen.cli._options import (
    BackendOpt,
    BenchmarkArg,
    DataOpt,
    DetailsOpt,
    DifficultyOpt,
    IsolationOpt,
    JsonOpt,
    Judge0KeyOpt,
    Judge0UrlOpt,
    LimitOpt,
    LoaderOptionOpt,
    MeasureOpt,
    MemoryOpt,
    ProblemsOpt,
    RayAddressOpt,
    RepeatsOpt,
    RoundsOpt,
    SplitOpt,
    StrictTypesOpt,
    TimeLimitFactorOpt,
    TimeLimitFloorOpt,
    TimingTestsOpt,
    VariantOpt,
    WorkersOpt,
    split_ids,
)
from perfcodegen.cli._options import (
    isolation_level as _isolation,
)
from perfcodegen.cli.progress import plan_from_settings, run_with_progress
from perfcodegen.config import TIME_LIMIT_FACTOR, TIME_LIMIT_FLOOR_S


@app.command()
def run(
    benchmark: BenchmarkArg,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="provider/model, e.g. openai/gpt-4o, ollama/llama3, replay/FILE.jsonl, local "
            "(default without a key or server: local, where perfcodegen[local] is installed)",
        ),
    ] = None,
    method: Annotated[
        str, typer.Option(help="Method (see `perfcodegen methods`).")
    ] = "perfcodegen",
    k: Annotated[int, typer.Option("-k", "--samples", min=1, help="Samples per problem.")] = 8,
    split: SplitOpt = None,
    variant: VariantOpt = None,
    data: DataOpt = None,
    limit: LimitOpt = None,
    difficulty: DifficultyOpt = None,
    option: LoaderOptionOpt = None,
    problems: ProblemsOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run directory (default runs/<benchmark>-<method>-<model>-<digest>)."),
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
    temperature: Annotated[
        float | None,
        typer.Option(min=0.0, help="Sampling temperature (default: the protocol's, else 0.8)."),
    ] = None,
    top_p: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Nucleus top_p (default: the protocol's, else 0.95)."),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(min=1, help="Max tokens per reply (default: the protocol's, else 2048)."),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            help="Reproduction protocol: perfcodegen-paper, perfcodegen-code, ecco-paper, "
            "ecco-code (see docs/reproducing.md)."
        ),
    ] = None,
    system_prompt: Annotated[
        str | None, typer.Option(help="System turn before every conversation (default: protocol's).")
    ] = None,
    max_references: Annotated[
        int | None,
        typer.Option(min=0, help="Reference solutions timed per problem (default 10; 0: all of them)."),
    ] = None,
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
    iterations: Annotated[int, typer.Option(min=0, help="Refinement iterations (iterative methods).")] = 1,
    few_shot: Annotated[int, typer.Option(min=0, help="Demonstrations for few-shot methods.")] = 2,
    measure: MeasureOpt = "paired",
    repeats: RepeatsOpt = 12,
    rounds: RoundsOpt = None,
    memory: MemoryOpt = False,
    details: DetailsOpt = False,
    strict_types: StrictTypesOpt = False,
    timing_tests: TimingTestsOpt = None,
    time_limit_floor: TimeLimitFloorOpt = TIME_LIMIT_FLOOR_S,
    time_limit_factor: TimeLimitFactorOpt = TIME_LIMIT_FACTOR,
    workers: WorkersOpt = None,
    isolation: IsolationOpt = "full",
    backend: BackendOpt = "local",
    ray_address: RayAddressOpt = None,
    judge0_url: Judge0UrlOpt = None,
    judge0_key: Judge0KeyOpt = None,
    max_connections: Annotated[int, typer.Option(min=1, help="Concurrent model requests.")] = 16,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Use the persistent response cache.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Run a method on a benchmark; rerunning the same command resumes and costs nothing twice."""
    from perfcodegen import api
    from perfcodegen.report.summary import print_run_report

    if model is None:
        from perfcodegen.llm.gguf import default_model

        model, note = default_model(api_key=api_key, base_url=base_url)
        err_console.print(note, highlight=False)
    settings = dict(
        model=model, method=method, k=k, split=split, variant=variant,
        data=str(data) if data else None, limit=limit, difficulty=difficulty,
        load_options=parse_options(option), problems=split_ids(problems), paradigm=paradigm,
        refine_model=refine_model, temperature=temperature, top_p=top_p, max_tokens=max_tokens,
        protocol=protocol, system_prompt=system_prompt, max_references=max_references, seed=seed,
        feedback_tests=feedback_tests, correctness_feedback=correctness_feedback,
        ecco_fix=ecco_fix, iterations=iterations, few_shot=few_shot, measure=measure,
        repeats=repeats, rounds=rounds, memory=memory, details=details,
        strict_types=strict_types,
        timing_tests=timing_tests, time_limit_floor_s=time_limit_floor,
        time_limit_factor=time_limit_factor, out=out, workers=workers,
        isolation=_isolation(isolation), backend=backend, ray_address=ray_address,
        judge0_url=judge0_url, judge0_key=judge0_key, base_url=base_url, api_key=api_key,
        max_connections=max_connections, cache=cache, show_progress=not as_json,
    )  # fmt: skip
    plan = plan_from_settings(benchmark, settings, quiet=as_json)
    summary, progress = run_with_progress(plan, enabled=not as_json)
    print_run_report(summary.run_dir, as_json=as_json)
    if not as_json:
        console.print(escape(progress.closing_line()), highlight=False, soft_wrap=True)
    if plan.traits.post_run_metric == "effk" and not as_json:
        from perfcodegen.report.effk import summarize, write_effk

        report = asyncio.run(api.run_efficiency(plan.config, plan.options))
        effk = summarize(report, [1, plan.config.generation.k])
        write_effk(summary.run_dir, effk)  # `report` shows it, `--json` included
        console.print(f"ENAMEL (re-timed on its stress levels): {effk.line()}", highlight=False)
        for line in effk.left_out_lines():
            console.print(escape(line), highlight=False)
    if summary.errors:
        err_console.print(
            f"{len(summary.errors)} problem(s) ended in an error (listed in the report); "
            "rerun the same command to retry them",
            highlight=False,
        )
        raise typer.Exit(code=1)


@app.command()
def methods(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the methods with one line each."""
    from perfcodegen.methods.registry import method_infos

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
    # Two columns so that names (which you type) are never cut at 80 columns; the details
    # stack under each summary.
    table = Table(title="methods", show_lines=True)
    table.add_column("name", no_wrap=True, min_width=max(len(i.name) for i in infos))
    table.add_column("what it does", ratio=1)
    for i in infos:
        details = f"{i.family} · {', '.join(i.paradigms)} · model calls/problem: {i.call_budget}"
        table.add_row(Text(i.name, style="bold"), Text(i.summary + "\n") + Text(details, "dim"))
    console.print(table)
