"""The summary printed at the end of `perfcodegen run`: the same report as `perfcodegen report`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from perfcodegen.metrics.run import load_run
from perfcodegen.report.build import build_run_reports
from perfcodegen.report.render import print_tables, to_json
from perfcodegen.report.tables import run_tables


def print_run_report(run_dir: Path, as_json: bool = False, console: Console | None = None) -> None:
    """Print one run's tables (or its JSON report) at the default budgets."""
    reports = build_run_reports([load_run(run_dir)])
    if as_json:
        typer.echo(to_json(reports))
        return
    print_tables([t for report in reports for t in run_tables(report)], console or Console())
