"""`perfcodegen export`: a run directory as human-eval / EvalPlus samples, EvalPlus results,
per-test JSONL and the store's tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perfcodegen.cli._app import app


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="Run directory (runs/<name>).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default <run>/export).")
    ] = None,
    formats: Annotated[
        str,
        typer.Option(
            "--format",
            help="Comma-separated: samples (samples.jsonl), evalplus (eval_results.json), "
            "tests (tests.jsonl), tables (the store as JSONL).",
        ),
    ] = "samples,evalplus,tests,tables",
) -> None:
    """Export a run (eval or run) in the formats human-eval, EvalPlus and notebooks read."""
    from perfcodegen.export import export_run

    chosen = tuple(part.strip() for part in formats.split(",") if part.strip())
    for path in export_run(run_dir, out, chosen):
        typer.echo(str(path))


@app.command()
def rescore(
    run_dir: Annotated[Path, typer.Argument(help="Run directory (runs/<name>).")],
) -> None:
    """Recompute every finished problem's outcome from the stored judge results (runs nothing)."""
    import asyncio

    from perfcodegen.rescore import rescore as rescore_run

    count = asyncio.run(rescore_run(run_dir))
    typer.echo(f"re-scored {count} problem(s) of {run_dir} from its stored judge results")
