"""perfcodegen.report: Table I/II and ECCO tables on the terminal, in Markdown, JSON and HTML."""

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
