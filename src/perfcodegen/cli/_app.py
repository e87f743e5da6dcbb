"""The typer application shared by the command modules (each module adds its commands)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(
    name="perfcodegen",
    help="Make LLM-written code correct first, then fast, and measure both honestly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # errors stay on one line


def parse_options(pairs: list[str] | None) -> dict[str, str]:
    """`--option KEY=VALUE` pairs (loader-specific options) as a dict."""
    from perfcodegen.errors import PerfCodegenError

    options: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PerfCodegenError(f"--option takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value.strip()
    return options


def print_json(data: Any) -> None:
    """Print JSON to stdout, unstyled (machine-readable)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@app.command()
def version() -> None:
    """Print the perfcodegen version."""
    from perfcodegen import __version__

    typer.echo(__version__)
