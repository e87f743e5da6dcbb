"""`perfcodegen eval`: judge reference solutions, a samples file or a samples folder.

The same engine as `perfcodegen run` (method `given`): one run directory, resumable, and
readable by `report`, `compare` and `export`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from perfcodegen.cli._app import app, console, parse_options, print_json
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
from perfcodegen.cli._samples import AgainstOpt, JoinOpt, ShowFailuresOpt
from perfcodegen.cli.progress import plan_from_settings, run_with_progress
from perfcodegen.config import TIME_LIMIT_FACTOR, TIME_LIMIT_FLOOR_S
from perfcodegen.vocabulary import Measure


@app.command("eval")
def eval_command(
    benchmark: BenchmarkArg,
    solutions: Annotated[
        str,
        typer.Option(
            help="'reference', a JSONL file of {task_id, solution|completion} rows, or an "
            "EvalPlus samples folder (<task_id with / as _>/<n>.py)."
        ),
    ] = "reference",
    split: SplitOpt = None,
    variant: VariantOpt = None,
    data: DataOpt = None,
    repeats: RepeatsOpt = 12,
    rounds: RoundsOpt = None,
    measure: MeasureOpt = "paired",
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
    limit: LimitOpt = None,
    difficulty: DifficultyOpt = None,
    option: LoaderOptionOpt = None,
    problems: ProblemsOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run directory (default runs/eval-<benchmark>-<solutions>-<digest>)."),
    ] = None,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse the check results of the benchmark's own reference programs from "
            "earlier runs (candidates are always judged).",
        ),
    ] = True,
    as_json: JsonOpt = False,
    show_failures: ShowFailuresOpt = False,
    join: JoinOpt = "prompt",
    against: AgainstOpt = None,
) -> None:
    """Judge solutions: verdicts, pass@k, and time against the fastest reference."""
    from perfcodegen import api
    from perfcodegen.cli import _samples
    from perfcodegen.judge.sandbox import isolation_rank
    from perfcodegen.metrics.run import load_run
    from perfcodegen.metrics.samples import sample_summary
    from perfcodegen.store import RunStore

    settings = dict(
        split=split, variant=variant, data=str(data) if data else None, difficulty=difficulty,
        load_options=parse_options(option), limit=limit, problems=split_ids(problems),
        repeats=repeats, rounds=rounds, measure=measure, memory=memory, details=details,
        strict_types=strict_types, timing_tests=timing_tests,
        time_limit_floor_s=time_limit_floor, time_limit_factor=time_limit_factor, out=out,
        workers=workers, isolation=_isolation(isolation), show_progress=not as_json,
        backend=backend, ray_address=ray_address, judge0_url=judge0_url, judge0_key=judge0_key,
        cache=cache, solutions_join=join,
        **api.eval_settings(solutions),
    )  # fmt: skip
    plan = plan_from_settings(benchmark, settings, quiet=as_json)
    notes = [note] if (note := _samples.join_note(solutions, join, plan.problems)) else []
    summary, _ = run_with_progress(plan, enabled=not as_json)
    summary.notes.extend(notes)
    figures = sample_summary(load_run(summary.run_dir).outcomes)
    checks = _samples.checks_of(summary.run_dir)
    base, failing = _samples.base_rows(checks), _samples.failure_rows(checks)
    summary.notes.extend(_samples.diagnoses(checks))
    changed = _samples.flips_of(summary.run_dir, against)
    results = None if summary.errors else _samples.write_results_file(summary.run_dir, solutions)
    with RunStore(summary.run_dir) as store:
        levels = store.isolation_levels()
    weakest = min(levels, key=isolation_rank, default=None)
    if as_json:
        print_json({**figures.model_dump(), "base_pass_at_k": base, "run_dir": str(summary.run_dir),
                    "isolation": weakest, "notes": summary.notes, "errors": summary.errors,
                    **({"failures": failing} if show_failures else {}),
                    **({"against": dataclasses.asdict(changed)} if changed else {})})  # fmt: skip
    else:
        _print(benchmark, figures, weakest, base)
        if show_failures:
            _samples.print_failures(failing, console)
        if changed is not None and against is not None:
            _samples.print_flips(changed, against, console)
        for note in summary.notes + ([results] if results else []):
            console.print(f"note: {escape(note)}", highlight=False)
        console.print(f"run directory: {escape(str(summary.run_dir))}", highlight=False)
    if summary.errors:
        for problem_id, message in sorted(summary.errors.items()):
            console.print(f"[yellow]{escape(problem_id)}[/]: {escape(message)}", highlight=False)
        raise typer.Exit(code=1)


def _print(benchmark: str, figures: object, isolation: str | None,
           base: dict[str, float] | None = None) -> None:  # fmt: skip
    from perfcodegen.metrics.samples import SampleSummary

    assert isinstance(figures, SampleSummary)
    table = Table(title=f"{benchmark}: {figures.tasks} tasks, {figures.samples} samples")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in figures.pass_at_k.items():
        if base is not None and name in base:  # EvalPlus's two figures, side by side
            table.add_row(f"{name} base tests", f"{100 * base[name]:.2f}%")
            name = f"{name} base + plus"
        table.add_row(name, f"{100 * value:.2f}%")
    for verdict, count in figures.verdicts.items():
        table.add_row(f"verdict {verdict}", str(count))
    table.add_row("samples timed", str(figures.timed))
    if figures.timed:
        if figures.cost_unit == Measure.INSTRUCTIONS.unit:
            table.add_row("total instructions of timed samples", f"{figures.total_cost:,.0f}")
        else:
            table.add_row("total time of timed samples", f"{1000 * figures.total_cost:.3f} ms")
        table.add_row("timing tests", str(figures.timing_tests))
        for decision, count in figures.decisions.items():
            table.add_row(f"%Opt decision {decision}", str(count))
        if figures.timed_tests:
            table.add_row("timed tests", figures.timed_tests.removeprefix("Timed tests: "))
    if figures.cost_ratio_geomean is not None:
        table.add_row("cost / fastest reference (geomean)", f"{figures.cost_ratio_geomean:.3f}")
    if figures.speedup_ratio_of_sums is not None:
        table.add_row("speedup vs reference (ratio of sums)", f"{figures.speedup_ratio_of_sums:.3f}")
    if figures.memory_kb_mean is not None:
        table.add_row("peak memory, timed samples (mean)", f"{figures.memory_kb_mean:,.0f} KiB")
    if figures.reference_memory_kb_mean is not None:
        table.add_row("peak memory, references (mean)", f"{figures.reference_memory_kb_mean:,.0f} KiB")
    if isolation is not None:
        table.add_row("judge isolation", isolation)
    console.print(table)
