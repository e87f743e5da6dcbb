"""Render report tables on the terminal (rich), as GitHub Markdown, or as JSON data."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from perfcodegen.report.tables import Table

CELL_PADDING = 3
"""What rich adds around each cell: one space either side and a border."""
KEY_SHARE = 3
"""The first (key) column takes at most 1/KEY_SHARE of the width and wraps beyond it."""


def key_columns(table: Table) -> int:
    """How many leading columns name a row: the fewest (at most 3) that tell every row apart
    (Table I needs Method and k: 'Base' repeats once per k). Each part of a split table
    repeats them, so every part can be read on its own."""
    for count in range(1, min(3, len(table.columns) - 1) + 1):
        if len({tuple(row[:count]) for row in table.rows}) == len(table.rows):
            return count
    return 1


def column_groups(table: Table, width: int) -> list[list[int]]:
    """Split the non-key columns into groups that fit `width` beside the key columns: a wide
    table is stacked into several narrow ones instead of cutting every cell short."""
    natural = [
        max([len(column), *(len(row[index]) for row in table.rows if index < len(row))])
        for index, column in enumerate(table.columns)
    ]
    keys = key_columns(table)
    key = min(natural[0], max(12, width // KEY_SHARE)) + CELL_PADDING
    key += sum(natural[index] + CELL_PADDING for index in range(1, keys))
    budget = width - key - 1
    groups: list[list[int]] = []
    used = budget + 1
    for index in range(keys, len(table.columns)):
        needed = natural[index] + CELL_PADDING
        if used + needed > budget:
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += needed
    return groups or [[]]


def is_numeric_column(table: Table, index: int) -> bool:
    """Figures (numbers, intervals, z-tests, dashes) align right; words align left."""
    return all(not row[index] or row[index][0] in "0123456789+-–[z." for row in table.rows)


def print_tables(tables: Sequence[Table], console: Console) -> None:
    """Rich tables that fit the terminal: stacked into column groups when too wide; cells are
    plain text (no markup), so brackets in names and intervals print as they are."""
    for table in tables:
        groups = column_groups(table, console.width)
        for part, group in enumerate(groups, start=1):
            title = table.title if len(groups) == 1 else f"{table.title} ({part}/{len(groups)})"
            console.print(Text(title, style="italic"))  # above, not squeezed into the table
            rich_table = RichTable()
            key_width = max(12, console.width // KEY_SHARE)
            rich_table.add_column(Text(table.columns[0]), overflow="fold", max_width=key_width)
            group = [*range(1, key_columns(table)), *group]
            for index in group:
                rich_table.add_column(
                    Text(table.columns[index]),
                    justify="right" if is_numeric_column(table, index) else "left",
                    overflow="fold",
                )
            for row in table.rows:
                cells = [row[0], *(row[index] if index < len(row) else "" for index in group)]
                rich_table.add_row(*(Text(cell) for cell in cells))
            console.print(rich_table)
        for note in table.notes:
            console.print(Text(f"* {note}", style="dim"))


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
    if isinstance(report, dict):  # already plain data
        return _finite(report)
    return _finite(dataclasses.asdict(report))


def to_json(report: Any) -> str:
    return json.dumps(as_json_data(report), indent=2, ensure_ascii=False)
