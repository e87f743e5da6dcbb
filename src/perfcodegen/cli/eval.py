"""`perfcodegen eval`: judge reference solutions or a samples file on a benchmark."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from perfcodegen.cli._app import app, console, parse_options, print_json
from perfcodegen.cli._options import (
    BackendOpt,
    BenchmarkArg,
    DataOpt,
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
    SplitOpt,
    VariantOpt,
    WorkersOpt,
    split_ids,
)
from perfcodegen.cli._options import (
    isolation_level as _isolation,
)
from perfcodegen.errors import PerfCodegenError


@app.command("eval")
def eval_command(
    benchmark: BenchmarkArg,
    solutions: Annotated[
        str,
        typer.Option(help="'reference' or a JSONL file of {task_id, solution|completion} rows."),
    ] = "reference",
    split: SplitOpt = None,
    variant: VariantOpt = None,
    data: DataOpt = None,
    repeats: RepeatsOpt = 12,
    measure: MeasureOpt = "paired",
    memory: MemoryOpt = False,
    workers: WorkersOpt = None,
    isolation: IsolationOpt = "full",
    backend: BackendOpt = "local",
    ray_address: RayAddressOpt = None,
    judge0_url: Judge0UrlOpt = None,
    judge0_key: Judge0KeyOpt = None,
    limit: LimitOpt = None,
    difficulty: DifficultyOpt = None,
    option: LoaderOptionOpt = None,
    problems: ProblemsOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Output directory (default runs/eval-<benchmark>).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Judge solutions: verdicts, tests passed, per-test timings, pass@k and runtime ratios."""
    from perfcodegen.backends import open_backend
    from perfcodegen.config import RunConfig
    from perfcodegen.evaluate import (
        EvalSettings,
        evaluate,
        load_solutions,
        summarize,
        write_summary,
    )
    from perfcodegen.judge import Judge, JudgeConfig
    from perfcodegen.methods.judging import LocalJudgeService
    from perfcodegen.pipeline import select_problems

    if measure not in ("wall", "paired", "instructions"):
        raise PerfCodegenError(f"--measure must be wall, paired or instructions, not {measure!r}")
    selection = RunConfig(
        name="eval",
        benchmark=benchmark,
        split=split,
        variant=variant,
        data=str(data) if data else None,
        difficulty=difficulty,
        load_options=parse_options(option),
        limit=limit,
        model="none/none",
        problems=split_ids(problems),
    )
    chosen = select_problems(selection)
    if solutions == "reference":
        samples = {p.id: p.references[:1] for p in chosen if p.references}
    else:
        samples = load_solutions(Path(solutions), chosen)
    if not samples:
        raise PerfCodegenError("no solutions to evaluate for the selected problems")
    target = out or Path("runs") / f"eval-{benchmark}"
    settings = EvalSettings(measure=measure, repeats=repeats, memory=memory)

    async def go() -> list:  # type: ignore[type-arg]
        with Progress(
            TextColumn("judging"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as bar:
            task = bar.add_task("judging", total=len(samples))
            config = JudgeConfig(workers=workers, repeats=repeats, isolation=_isolation(isolation))
            judge_backend = open_backend(
                backend, workers=workers, isolation=_isolation(isolation),
                ray_address=ray_address, judge0_url=judge0_url, judge0_key=judge0_key,
            )
            async with Judge(config, backend=judge_backend) as judge:
                return await evaluate(
                    chosen,
                    samples,
                    LocalJudgeService(judge),
                    target,
                    settings,
                    on_done=lambda _: bar.advance(task),
                )

    results = asyncio.run(go())
    summary = summarize(results)
    write_summary(target, summary)
    if as_json:
        print_json(summary.model_dump())
        return
    table = Table(title=f"{benchmark}: {summary.tasks} tasks, {summary.samples} samples")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in summary.pass_at_k.items():
        table.add_row(name, f"{100 * value:.2f}%")
    for verdict, count in sorted(summary.verdicts.items()):
        table.add_row(f"verdict {verdict}", str(count))
    table.add_row("samples timed", str(summary.timed))
    table.add_row("total time of timed samples", f"{1000 * summary.total_time_s:.3f} ms")
    if summary.runtime_ratio_geomean is not None:
        table.add_row(
            "runtime / fastest reference (geomean)", f"{summary.runtime_ratio_geomean:.3f}"
        )
    if summary.total_time_ratio is not None:
        table.add_row("speedup vs reference (ratio of sums)", f"{summary.total_time_ratio:.3f}")
    if summary.isolation is not None:
        table.add_row("judge isolation", summary.isolation)
    console.print(table)
    console.print(f"results: {target / 'results.jsonl'}")
