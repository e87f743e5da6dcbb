"""`perfcodegen cache info|clear`: the persistent model-response cache."""

from __future__ import annotations

from pathlib import Path

import typer

from perfcodegen.cli._app import app, console, print_json
from perfcodegen.llm.cache import ResponseCache, default_cache_path

cache_app = typer.Typer(help="Inspect or clear the model-response cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")

PathOption = typer.Option(None, "--path", help=f"Cache file (default {default_cache_path()}).")


@cache_app.command("info")
def info(
    path: Path | None = PathOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show where the cache is, how big it is and what it holds."""
    cache = ResponseCache(path)
    try:
        summary = cache.info()
    finally:
        cache.close()
    if as_json:
        print_json(
            {
                "path": str(summary.path),
                "entries": summary.entries,
                "size_bytes": summary.size_bytes,
                "by_model": summary.by_model,
            }
        )
        return
    console.print(f"cache: {summary.path}", highlight=False)
    console.print(f"entries: {summary.entries}  size: {summary.size_bytes / 1e6:.2f} MB")
    for model, count in summary.by_model.items():
        console.print(f"  {model}: {count}", highlight=False)


@cache_app.command("clear")
def clear(
    path: Path | None = PathOption,
    model: str | None = typer.Option(None, "--model", help="Only this model's entries."),
) -> None:
    """Delete cached responses (all, or one model's)."""
    cache = ResponseCache(path)
    try:
        removed = cache.clear(model)
    finally:
        cache.close()
    console.print(f"removed {removed} cached responses from {cache.path}", highlight=False)
