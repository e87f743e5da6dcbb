"""The typer application shared by the command modules (each module adds its commands)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
"""`-h` as well as `--help`, on every command (click passes it down to subcommands)."""

app = typer.Typer(
    name="perfcodegen",
    help="Make LLM-written code correct first, then fast, and measure both honestly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=HELP_OPTIONS,
    # Click's own help layout (wraps, never truncates): rich's option tables cut long option
    # names ('--time-limit-f…') to fit 80 columns. Every command and group inherits it.
    rich_markup_mode=None,
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


@dataclass(frozen=True)
class ClickExceptions:
    """The click exception classes typer raises: recent typer bundles its own click
    (`typer._click`), older typer uses the `click` package; a plain install may lack either."""

    ClickException: type[Exception]
    NoArgsIsHelpError: type[Exception]


class _NeverRaised(Exception):
    pass


def click_exceptions() -> ClickExceptions:
    try:
        from typer._click import exceptions
    except ImportError:  # typer < 0.2x: the click package
        from click import exceptions  # type: ignore[no-redef]
    click_exception: type[Exception] = exceptions.ClickException
    # click < 8.2 has no NoArgsIsHelpError; a class nothing raises stands in for it.
    no_args: type[Exception] = getattr(exceptions, "NoArgsIsHelpError", _NeverRaised)
    return ClickExceptions(ClickException=click_exception, NoArgsIsHelpError=no_args)


def _print_version(value: bool) -> None:
    if value:
        from perfcodegen import __version__

        typer.echo(f"perfcodegen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Make LLM-written code correct first, then fast, and measure both honestly."""


@app.command()
def version() -> None:
    """Print the perfcodegen version."""
    _print_version(True)
