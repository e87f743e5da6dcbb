"""Render report tables on the terminal (rich), as GitHub Markdown, or as JSON data."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

from perfcodegen.report.tables import Table


def print_tables(tables: Sequence[Table], console: Console) -> None:
    for table in tables:
        rich_table = RichTable(title=table.title, title_justify="left")
        for index, column in enumerate(table.columns):
            rich_table.add_column(column, justify="left" if index == 0 else "right")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
        for note in table.notes:
            console.print(f"[dim]* {note}[/]", highlight=False)


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def markdown(tables: Sequence[Table]) -> str:
    """GitHub-flavoured Markdown: one heading and pipe table per table, notes as a list."""
    parts: list[str] = []
    for table in tables:
        lines = [f"### {table.title}", ""]
        lines.append("| " + " | ".join(_escape(c) for c in table.columns) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(table.columns) - 1)) + "|")
        lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in table.rows]
        if table.notes:
            lines.append("")
            lines += [f"- {note}" for note in table.notes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _finite(value: Any) -> Any:
    """JSON has no inf/nan: such floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def as_json_data(report: Any) -> Any:
    """A report dataclass (or a list of them) as plain JSON-ready data."""
    if isinstance(report, list):
        return [as_json_data(item) for item in report]
    return _finite(dataclasses.asdict(report))


def to_json(report: Any) -> str:
    return json.dumps(as_json_data(report), indent=2, ensure_ascii=False)
