"""Command-line interface: thin; parses, calls the API, prints."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from perfcodegen.cli._app import app, click_exceptions, err_console
from perfcodegen.errors import Interrupted, PerfCodegenError, SettingError

INTERRUPTED_EXIT = 130
"""128 + SIGINT, what shells report for a command stopped by Ctrl-C."""
INTERRUPTED_LINE = (
    "[yellow]interrupted:[/] finished work is kept in the output directory; "
    "rerun the same command to resume"
)


def _register_commands() -> None:
    # Each module adds its commands to `app` at import (explicit list, in help order).
    from perfcodegen.cli import (  # noqa: F401
        cache,
        effk,
        eval,
        export,
        finetune,
        optimize,
        problems,
        report,
        run,
        serve,
    )


def _usage_error(exc: Exception) -> int:
    """A click usage error (unknown option, missing argument, bad value) as one line."""
    exceptions = click_exceptions()
    if isinstance(exc, exceptions.NoArgsIsHelpError):
        exc.show()  # type: ignore[attr-defined]  # the command's help, as `-h` prints it
        return 2
    context = getattr(exc, "ctx", None)
    hint = f" (see '{context.command_path} -h')" if context is not None else ""
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    err_console.print(f"[bold red]error:[/] {escape(message)}{escape(hint)}", highlight=False)
    return int(getattr(exc, "exit_code", 2))


def _validation_error(exc: Exception) -> int:
    """An option value the config rejects (pydantic), one line per offending option."""
    import pydantic

    assert isinstance(exc, pydantic.ValidationError)
    for error in exc.errors():
        where = str(error["loc"][-1] if error["loc"] else "").replace("_", "-")  # '--measure'
        err_console.print(f"[bold red]error:[/] --{escape(where)}: {escape(error['msg'])}")
    return 2


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: returns the exit code (user errors: one line, exit 2;
    Ctrl-C: 130; a run whose problems errored: 1)."""
    _register_commands()
    exceptions = click_exceptions()
    try:
        result = app(args=argv, standalone_mode=False, prog_name="perfcodegen")
    except Interrupted as exc:
        err_console.print(f"[yellow]interrupted:[/] {escape(str(exc))}", highlight=False)
        return INTERRUPTED_EXIT
    except SettingError as exc:  # named as the option is spelled ('--measure')
        option = "--" + exc.setting.replace("_", "-")
        err_console.print(f"[bold red]error:[/] {escape(option)}: {escape(exc.reason)}", highlight=False)
        return exc.exit_code
    except PerfCodegenError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print(INTERRUPTED_LINE, highlight=False)
        return INTERRUPTED_EXIT
    except typer.Abort:  # end of input at a prompt
        return 1
    except exceptions.ClickException as exc:
        return _usage_error(exc)
    except Exception as exc:
        import pydantic

        if isinstance(exc, pydantic.ValidationError):
            return _validation_error(exc)
        raise
    # Without standalone mode, typer returns the exit code of `typer.Exit`; it turns Ctrl-C in
    # a command that does not report it itself into Exit(130).
    if result == INTERRUPTED_EXIT:
        err_console.print(INTERRUPTED_LINE, highlight=False)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
