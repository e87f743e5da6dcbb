"""The HTML report: the same tables as the terminal, plus inline SVG plots (one template)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2

from perfcodegen.metrics.bestk import OPT_FACTOR
from perfcodegen.report.build import CompareReport, RunReport
from perfcodegen.report.svg import bar_chart, distribution_chart, line_chart
from perfcodegen.report.tables import Table, compare_tables, run_tables

TEMPLATE = "template.html.j2"


def _render(title: str, tables: Sequence[Table], plots: Sequence[str]) -> str:
    from perfcodegen import __version__

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("perfcodegen", "report"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template(TEMPLATE)
    return template.render(title=title, tables=tables, plots=plots, version=__version__)


def run_plots(report: RunReport) -> list[str]:
    plots = []
    if len(report.best_k) > 1:
        ks = [row.k for row in report.best_k]
        series = {"Base": [row.base.opt_pct for row in report.best_k]}
        if all(row.method is not None for row in report.best_k):
            series[report.method] = [row.method.opt_pct for row in report.best_k if row.method]
        plots.append(line_chart(f"{report.name}: %Opt vs k", ks, series, "%Opt"))
    if report.best_k:
        top_k = report.best_k[-1].k
        plots.append(
            distribution_chart(
                f"{report.name}: per-problem speedup over the reference (k={top_k})",
                report.speedups,
                threshold=1 / OPT_FACTOR,
            )
        )
    return plots


def compare_plots(report: CompareReport) -> list[str]:
    plots = []
    for at_k in report.best_k:
        labels = [e.run for e in at_k.entries]
        values = [e.metrics.opt_pct for e in at_k.entries]
        intervals = [(e.opt_ci.low, e.opt_ci.high) if e.opt_ci else None for e in at_k.entries]
        plots.append(bar_chart(f"%Opt at k={at_k.k} (95% CI)", labels, values, intervals, "%Opt"))
    return plots


def write_run_html(reports: Sequence[RunReport], path: Path) -> None:
    tables = [table for report in reports for table in run_tables(report)]
    plots = [plot for report in reports for plot in run_plots(report)]
    title = "perfcodegen report: " + ", ".join(report.name for report in reports)
    path.write_text(_render(title, tables, plots), encoding="utf-8")


def write_compare_html(report: CompareReport, path: Path) -> None:
    title = "perfcodegen compare: " + " vs ".join(report.runs)
    path.write_text(_render(title, compare_tables(report), compare_plots(report)), encoding="utf-8")
