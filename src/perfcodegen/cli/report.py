"""`perfcodegen report` and `perfcodegen compare`: score finished runs and print tables."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from perfcodegen.cli._app import app, console, err_console
from perfcodegen.errors import PerfCodegenError
from perfcodegen.metrics.run import RunData, load_run
from perfcodegen.metrics.stats import DEFAULT_RESAMPLES
from perfcodegen.report import (
    build_compare_report,
    build_run_reports,
    compare_tables,
    markdown,
    print_tables,
    run_tables,
    to_json,
    write_compare_html,
    write_run_html,
)
from perfcodegen.report.tables import Table

RunsArg = Annotated[list[Path], typer.Argument(help="Run directories (runs/<name>).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
MarkdownOpt = Annotated[bool, typer.Option("--markdown", help="Print GitHub Markdown tables.")]
HtmlOpt = Annotated[
    Path | None, typer.Option("--html", help="Also write an HTML report with plots to FILE.")
]
KOpt = Annotated[
    str | None,
    typer.Option("--k", help="Budgets for Best@k, e.g. '1,8' (default: 1, 8, 20 up to k)."),
]
SubsetOpt = Annotated[
    bool,
    typer.Option(
        "--common-subset",
        help="%Opt and Speedup only on problems every run (and view) solved, as the paper does.",
    ),
]


def parse_ks(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise PerfCodegenError(
            f"--k takes comma-separated integers, e.g. '1,8' (got {text!r})"
        ) from None


def load_runs(paths: list[Path]) -> list[RunData]:
    """Load every run; runs sharing a name are told apart by their directory."""
    runs = [load_run(path) for path in paths]
    repeated = {name for name, count in Counter(r.name for r in runs).items() if count > 1}
    return [dataclasses.replace(r, name=str(r.path)) if r.name in repeated else r for r in runs]


def _emit(
    data: Any,
    tables: Callable[[], list[Table]],
    html: Path | None,
    json_output: bool,
    markdown_output: bool,
) -> None:
    """Say where the HTML went, then print JSON, markdown or rich tables."""
    if html is not None:
        err_console.print(f"wrote {escape(str(html))}", highlight=False)
    if json_output:
        typer.echo(to_json(data))
    elif markdown_output:
        typer.echo(markdown(tables()), nl=False)
    else:
        print_tables(tables(), console)


@app.command()
def report(
    runs: RunsArg,
    json_output: JsonOpt = False,
    markdown_output: MarkdownOpt = False,
    html: HtmlOpt = None,
    k: KOpt = None,
    common_subset: SubsetOpt = False,
) -> None:
    """Table I (Base vs the method per k) and/or ECCO tables for each run, with costs."""
    from perfcodegen.report.render import as_json_data

    loaded = load_runs(runs)
    reports = build_run_reports(loaded, parse_ks(k), common_subset)
    if html is not None:
        write_run_html(loaded, reports, html)
    extras = [_extras(run) for run in loaded]
    data = as_json_data(list(reports))
    for entry, (fields, _) in zip(data, extras, strict=True):
        entry.update(fields)
    _emit(
        data,
        lambda: [
            t for r, (_, more) in zip(reports, extras, strict=True) for t in [*run_tables(r), *more]
        ],
        html,
        json_output,
        markdown_output,
    )


def _extras(run: RunData) -> tuple[dict[str, Any], list[Table]]:
    """What a run's report adds to Table I: ENAMEL's eff@k (kept by `run`), and on EvalPlus's
    variants pass@k on the base tests beside base + plus."""
    from perfcodegen.metrics.samples import sample_summary
    from perfcodegen.report.effk import read_effk
    from perfcodegen.report.failures import base_pass_at_k, run_checks

    fields: dict[str, Any] = {}
    tables: list[Table] = []
    if (effk := read_effk(run.path)) is not None:
        fields["eff_at_k"] = dataclasses.asdict(effk)
        tables.append(effk.table(run.name))
    if "plus" in str(run.config.get("variant") or ""):
        try:
            base = base_pass_at_k(run_checks(run.path)[1])
        except PerfCodegenError:  # the benchmark cannot be loaded here
            base = None
        if base is not None:
            plus = sample_summary(run.outcomes).pass_at_k
            fields["base_pass_at_k"] = base
            rows = [[name, f"{100 * value:.2f}", f"{100 * plus[name]:.2f}"]
                    for name, value in base.items() if name in plus]  # fmt: skip
            tables.append(Table(f"{run.name}: pass@k (EvalPlus)", ["pass@k", "base tests", "base + plus"], rows))
    return fields, tables


@app.command()
def compare(
    runs: RunsArg,
    json_output: JsonOpt = False,
    markdown_output: MarkdownOpt = False,
    html: HtmlOpt = None,
    k: KOpt = None,
    common_subset: SubsetOpt = False,
    resamples: Annotated[
        int, typer.Option("--resamples", min=1, help="Bootstrap resamples.")
    ] = DEFAULT_RESAMPLES,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    intersect: Annotated[
        bool,
        typer.Option(
            "--intersect",
            help="Compare runs over different problem sets on the problems they share "
            "(refused otherwise).",
        ),
    ] = False,
) -> None:
    """Table II style (%Opt, delta vs the first run, Speedup) and ECCO tables, with z-tests
    against the first run and bootstrap confidence intervals."""
    from perfcodegen.report.coverage import shared_problems

    loaded, coverage = shared_problems(load_runs(runs), intersect)
    result = build_compare_report(loaded, parse_ks(k), common_subset, resamples, seed)
    result = dataclasses.replace(result, notes=[coverage, *result.notes])
    if html is not None:
        write_compare_html(loaded, result, html)
    _emit(result, lambda: compare_tables(result), html, json_output, markdown_output)
