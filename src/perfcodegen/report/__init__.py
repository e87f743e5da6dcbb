"""perfcodegen.report: Table I/II and ECCO tables on the terminal, in Markdown, JSON and HTML.

The package is also callable: `perfcodegen.report(run_dir)` returns the run's figures as a
`perfcodegen.report.results.RunMetrics` (the package's name is that of the function, so the module
object itself answers the call)."""

import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from perfcodegen.report.build import (
    CompareReport,
    RunReport,
    build_compare_report,
    build_run_reports,
)
from perfcodegen.report.html import write_compare_html, write_run_html
from perfcodegen.report.render import markdown, print_tables, to_json
from perfcodegen.report.summary import print_run_report
from perfcodegen.report.tables import Table, compare_tables, run_tables

if TYPE_CHECKING:
    from perfcodegen.report.results import RunMetrics


class _CallableReport(ModuleType):
    def __call__(self, run_dir: str | Path, k: Sequence[int] | None = None) -> "RunMetrics":
        """The figures of a run directory: pass@k (base and plus), %Opt with its counts,
        Speedup, per k (`k`: Best@k budgets, default 1, 8, 20 up to the samples drawn)."""
        from perfcodegen.report.results import run_metrics

        return run_metrics(Path(run_dir), k)


sys.modules[__name__].__class__ = _CallableReport

__all__ = [
    "CompareReport",
    "RunReport",
    "Table",
    "build_compare_report",
    "build_run_reports",
    "compare_tables",
    "markdown",
    "print_run_report",
    "print_tables",
    "run_tables",
    "to_json",
    "write_compare_html",
    "write_run_html",
]
