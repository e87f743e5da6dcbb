"""Command-line options shared by several commands (one definition each)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from perfcodegen.errors import PerfCodegenError

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
RoundsOpt = Annotated[
    str | None,
    typer.Option(
        "--rounds",
        help="adaptive: paired rounds until each %Opt interval clears 0.9 or a budget is "
        "spent (the default); fixed: --repeats rounds (the paper protocols always use fixed).",
    ),
]
MeasureOpt = Annotated[
    str, typer.Option("--measure", help="Timing: paired, wall, instructions, or none (verdicts only).")
]
DetailsOpt = Annotated[
    bool,
    typer.Option(
        "--details/--no-details",
        help="Run every test of every candidate (per-test details) instead of stopping at its "
        "first failing test.",
    ),
]
StrictTypesOpt = Annotated[
    bool,
    typer.Option(
        "--strict-types/--python-equality",
        help="Type-strict output comparison (a bool is not an int); default: Python's ==, as "
        "the benchmarks' own harnesses compare.",
    ),
]
TimingTestsOpt = Annotated[
    str | None,
    typer.Option(
        "--timing-tests",
        help="Tests timed for feedback and final figures: given (the benchmark's own, without "
        "EvalPlus's generated inputs; a protocol's default), all (with them), stress (generated "
        "inputs at size levels where a generator exists, else given; the default) or both. "
        "Correctness always uses the benchmark's own tests.",
    ),
]
TimeLimitFloorOpt = Annotated[
    float,
    typer.Option("--time-limit-floor", min=0.001, help="Per-test time limit floor, CPU seconds (EvalPlus: 1)."),
]
TimeLimitFactorOpt = Annotated[
    float,
    typer.Option(
        "--time-limit-factor", min=0.001,
        help="Per-test time limit = max(floor, factor x the reference's time) (EvalPlus: 4).",
    ),
]
MemoryOpt = Annotated[
    bool, typer.Option("--memory/--no-memory", help="Also measure peak memory (separate pass).")
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", min=1, help="Judge workers (default: cores).")
]
IsolationOpt = Annotated[
    str,
    typer.Option(
        "--isolation",
        help="Weakest judge sandbox accepted: full (default), partial or none "
        "(see docs/judge.md). Below it, nothing runs.",
    ),
]
BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend", help="Where the judge runs: local (default), ray or judge0 (docs/scale-out.md)."
    ),
]
RayAddressOpt = Annotated[
    str | None,
    typer.Option("--ray-address", help="Ray cluster to join, host:port (default: start one here)."),
]
Judge0UrlOpt = Annotated[
    str | None, typer.Option("--judge0-url", help="Judge0 server URL (with --backend judge0).")
]
Judge0KeyOpt = Annotated[
    str | None, typer.Option("--judge0-key", help="Judge0 auth token (X-Auth-Token); never saved.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def split_ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def isolation_level(value: str) -> Literal["full", "partial", "none"]:
    """Validate --isolation (a clear one-line error rather than a traceback)."""
    if value not in ("full", "partial", "none"):
        raise PerfCodegenError(f"--isolation must be full, partial or none, not {value!r}")
    return value  # type: ignore[return-value]
