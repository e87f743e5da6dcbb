"""Command-line interface: thin; parses, calls the API, prints."""

from __future__ import annotations

import sys

from perfcodegen.cli._app import app, err_console
from perfcodegen.errors import PerfCodegenError


def _register_commands() -> None:
    # Each module adds its commands to `app` at import (explicit list, in help order).
    from perfcodegen.cli import (  # noqa: F401
        cache,
        effk,
        eval,
        optimize,
        problems,
        report,
        run,
    )


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point. User errors print one line and exit non-zero."""
    _register_commands()
    try:
        app(args=argv, standalone_mode=False)
    except PerfCodegenError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except SystemExit as exc:  # typer/click exits (e.g. --help)
        return int(exc.code or 0)
    except KeyboardInterrupt:
        err_console.print("interrupted; finished work is kept in the run directory")
        return 130
    except Exception as exc:
        import click
        import pydantic

        if isinstance(exc, pydantic.ValidationError):  # an option value the config rejects
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                err_console.print(
                    f"[bold red]error:[/] --{where.replace('_', '-')}: {error['msg']}"
                )
            return 2

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return int(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
