"""The HTML report: one self-contained file (no script, no network) that reads like a paper's
appendix: a header with the run's setup, the tables, matplotlib figures inlined as SVG, and a
section per problem with its final program, lineage and conversation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2

from perfcodegen.metrics.bestk import OPT_FACTOR
from perfcodegen.metrics.run import RunData
from perfcodegen.report import figures
from perfcodegen.report.build import CompareReport, RunReport
from perfcodegen.report.details import ProblemDetail, RunDetails, run_details
from perfcodegen.report.render import is_numeric_column
from perfcodegen.report.tables import Table, compare_tables, run_tables

TEMPLATE = "template.html.j2"


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str


@dataclass(frozen=True)
class RunSection:
    """Everything the page shows about one run."""

    report: RunReport
    setup: list[tuple[str, str]]
    config: list[tuple[str, str]]
    tables: list[Table]
    figures: list[Figure]
    problems: list[ProblemDetail]
    code_html: dict[str, str] = field(default_factory=dict)
    """Problem id -> its final program, highlighted."""
    failures: list[list[str]] = field(default_factory=list)
    """Failing samples: sample, verdict, first failing input, expected, got, exception."""
    failures_note: str = ""


def _highlight(code: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return str(highlight(code, PythonLexer(), HtmlFormatter(cssclass="code")))


def _code_css() -> str:
    from pygments.formatters import HtmlFormatter

    return str(HtmlFormatter(style="friendly").get_style_defs(".code"))


def _run_figures(report: RunReport, details: RunDetails) -> list[Figure]:
    shown: list[Figure] = []
    if report.best_k:
        ks = [row.k for row in report.best_k]
        series = {
            "Base": {
                "%Correct": [row.base.correct_pct for row in report.best_k],
                "%Opt": [row.base.opt_pct for row in report.best_k],
            }
        }
        if all(row.method is not None for row in report.best_k):
            series[report.method] = {
                "%Correct": [row.method.correct_pct for row in report.best_k if row.method],
                "%Opt": [row.method.opt_pct for row in report.best_k if row.method],
            }
        shown.append(
            Figure(
                figures.k_curves(ks, series),
                "%Correct and %Opt against the sample budget k (Best@k; dashed: Base, the "
                "samples alone; solid: after the method's refinements).",
            )
        )
    speedups = [p.speedup for p in details.problems if p.solved and p.speedup is not None]
    if report.best_k or speedups:
        shown.append(
            Figure(
                figures.speedup_histogram({report.name: speedups}, 1 / OPT_FACTOR),
                "Distribution of per-problem speedups of the final program over the fastest "
                f"reference (k={report.samples}); right of the dotted line a problem counts "
                "as optimized (%Opt).",
            )
        )
        points = [
            (p.reference_time_s, p.final_time_s)
            for p in details.problems
            if p.solved and p.reference_time_s and p.final_time_s
        ]
        shown.append(
            Figure(
                figures.runtime_scatter(points, OPT_FACTOR),
                "Total runtime of each solved problem's final program against the fastest "
                "reference, timed in the same session; below the diagonal is faster.",
            )
        )
    return shown


def _setup(run: RunData, report: RunReport, details: RunDetails) -> list[tuple[str, str]]:
    config = run.config
    judged = f"{config.get('measure', '?')}, {config.get('repeats', '?')} timed runs per test"
    if config.get("rounds") == "adaptive" and not config.get("protocol"):
        judged = f"{config.get('measure', '?')}, paired rounds until each %Opt decision is made"
    return [
        ("Benchmark", f"{report.benchmark} ({config.get('split') or 'default split'})"),
        ("Model", report.model),
        ("Method", f"{report.method} ({report.paradigm})"),
        ("Samples per problem (k)", str(report.samples)),
        ("Problems", f"{report.problems} scored, {report.errored} errored"),
        ("Timing", judged),
        ("Judge isolation", ", ".join(details.isolation) or "not recorded"),
        ("Started", details.started or "unknown"),
        ("Run directory", report.path),
    ]


def _config_rows(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, str(value)) for key, value in sorted(config.items()) if value not in (None, "")]


FAILURE_COLUMNS = ["Sample", "Verdict", "First failing input", "Expected", "Got", "Exception"]
FAILURES_SHOWN = 200


def _failures(run: RunData) -> tuple[list[list[str]], str]:
    """Each failing sample's first failure (the table under 'Failing samples'), or why none
    is shown (the run's benchmark cannot be loaded here)."""
    from perfcodegen.errors import PerfCodegenError
    from perfcodegen.report.failures import failures, run_checks, shorten

    try:
        checks = run_checks(Path(run.path))[1]
    except PerfCodegenError as exc:
        return [], f"Failing samples are not shown: {exc}"
    rows = [
        [f"{check.problem.native_id}#{check.candidate.sample_index}", failure.verdict,
         *(shorten(text, 200) for text in (failure.input, failure.expected, failure.got, failure.message))]
        for check, failure in failures(checks)
    ]  # fmt: skip
    note = f"{len(rows)} of {len(checks)} samples failed."
    if len(rows) > FAILURES_SHOWN:
        note += f" The first {FAILURES_SHOWN} are shown; `perfcodegen export` writes them all."
    return rows[:FAILURES_SHOWN], note


def run_section(run: RunData, report: RunReport) -> RunSection:
    details = run_details(run)
    failing, failures_note = _failures(run)
    return RunSection(
        report=report,
        setup=_setup(run, report, details),
        config=_config_rows(run.config),
        tables=run_tables(report),
        figures=_run_figures(report, details),
        problems=details.problems,
        code_html={
            p.problem_id: _highlight(p.final_code) for p in details.problems if p.final_code
        },
        failures=failing,
        failures_note=failures_note,
    )


def _render(**context: Any) -> str:
    from perfcodegen import __version__

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("perfcodegen", "report"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template(TEMPLATE)
    generated = datetime.now(tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return template.render(
        failure_columns=FAILURE_COLUMNS,
        version=__version__,
        generated=generated,
        code_css=_code_css(),
        align=_alignments,
        **context,
    )


def _alignments(table: Table) -> list[str]:
    """'r' for columns of figures, 'l' for words (as on the terminal)."""
    return ["l"] + [
        "r" if is_numeric_column(table, i) else "l" for i in range(1, len(table.columns))
    ]


def write_run_html(runs: Sequence[RunData], reports: Sequence[RunReport], path: Path) -> None:
    sections = [run_section(run, report) for run, report in zip(runs, reports, strict=True)]
    title = "perfcodegen report: " + ", ".join(report.name for report in reports)
    path.write_text(_render(title=title, sections=sections, compare=None), encoding="utf-8")


@dataclass(frozen=True)
class CompareView:
    runs: list[tuple[str, str, str, str]]
    """(name, model, method, problems) per run."""
    tables: list[Table]
    figures: list[Figure]
    problem_columns: list[str]
    problem_rows: list[list[str]]


def _speedup_cell(detail: ProblemDetail | None) -> str:
    if detail is None:
        return "–"
    if detail.error:
        return "error"
    if not detail.solved:
        return "unsolved"
    return f"{detail.speedup:.2f}x" if detail.speedup is not None else "solved"


def compare_view(runs: Sequence[RunData], report: CompareReport) -> CompareView:
    details = {run.name: run_details(run) for run in runs}
    shown: list[Figure] = []
    for at_k in report.best_k:
        labels = [entry.run for entry in at_k.entries]
        metrics = {
            "%Opt": [
                (e.metrics.opt_pct, (e.opt_ci.low, e.opt_ci.high) if e.opt_ci else None)
                for e in at_k.entries
            ],
            "%Correct": [
                (
                    e.metrics.correct_pct,
                    (e.correct_ci.low, e.correct_ci.high) if e.correct_ci else None,
                )
                for e in at_k.entries
            ],
        }
        shown.append(
            Figure(
                figures.bars_with_ci(labels, metrics),
                f"Best@{at_k.k}: %Opt and %Correct per run with 95% bootstrap intervals.",
            )
        )
    speedups = {
        name: [p.speedup for p in d.problems if p.solved and p.speedup is not None]
        for name, d in details.items()
    }
    shown.append(
        Figure(
            figures.speedup_histogram(speedups, 1 / OPT_FACTOR),
            "Per-problem speedups over the fastest reference, one outline per run "
            "(each run's final programs at its full budget).",
        )
    )
    by_run = {name: {p.problem_id: p for p in d.problems} for name, d in details.items()}
    problem_ids = sorted({pid for problems in by_run.values() for pid in problems})
    rows = [
        [pid, *(_speedup_cell(by_run[run.name].get(pid)) for run in runs)] for pid in problem_ids
    ]
    return CompareView(
        runs=[
            (run.name, str(run.config.get("model", "")), run.method, str(len(run.outcomes)))
            for run in runs
        ],
        tables=compare_tables(report),
        figures=shown,
        problem_columns=["Problem", *(run.name for run in runs)],
        problem_rows=rows,
    )


def write_compare_html(runs: Sequence[RunData], report: CompareReport, path: Path) -> None:
    title = "perfcodegen compare: " + " vs ".join(report.runs)
    view = compare_view(runs, report)
    path.write_text(_render(title=title, sections=[], compare=view), encoding="utf-8")
