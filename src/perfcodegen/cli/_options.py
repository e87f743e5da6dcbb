"""Command-line options shared by several commands (one definition each)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

BenchmarkArg = Annotated[str, typer.Argument(help="Benchmark name (see `perfcodegen benchmarks`).")]
SplitOpt = Annotated[
    str | None, typer.Option("--split", help="Benchmark split (default: its own).")
]
VariantOpt = Annotated[
    str | None, typer.Option("--variant", help="Benchmark variant, e.g. 'plus' (EvalPlus tests).")
]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Local file or folder instead of the default source.")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N problems.")]
ProblemsOpt = Annotated[
    str | None,
    typer.Option(
        "--problems", help="Comma-separated problem ids (native like HumanEval/0, or full)."
    ),
]
DifficultyOpt = Annotated[
    str | None, typer.Option("--difficulty", help="Difficulty filter (e.g. APPS: introductory).")
]
LoaderOptionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--option", help="Loader option KEY=VALUE (repeatable), e.g. descriptions=PATH for pie."
    ),
]
RepeatsOpt = Annotated[int, typer.Option("--repeats", min=1, help="Timed runs per test (E).")]
MeasureOpt = Annotated[str, typer.Option("--measure", help="Timing: paired, wall or instructions.")]
MemoryOpt = Annotated[
    bool, typer.Option("--memory/--no-memory", help="Also measure peak memory (separate pass).")
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", help="Judge workers (default: cores).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def split_ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
