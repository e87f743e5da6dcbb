"""`perfcodegen optimize FILE::FUNCTION`: exit 0 when a verified faster version was found,
1 when none was, 2 on a usage error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perfcodegen.cli._app import app, console
from perfcodegen.cli._options import IsolationOpt, RepeatsOpt
from perfcodegen.cli._options import isolation_level as _isolation
from perfcodegen.errors import PerfCodegenError


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise PerfCodegenError(f"--sizes takes comma-separated integers, got {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise PerfCodegenError("--sizes needs positive integers")
    return sizes


@app.command("optimize")
def optimize_command(
    target: Annotated[str, typer.Argument(help="FILE::FUNCTION, e.g. src/stats.py::pair_sums")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="provider/model, e.g. openai/gpt-4o, ollama/llama3")
    ],
    tests: Annotated[
        list[Path] | None,
        typer.Option(
            "--tests", help="pytest file whose calls to the function are captured (repeatable)."
        ),
    ] = None,
    input_generator: Annotated[
        str | None,
        typer.Option(help="FILE::FUNCTION taking a size and returning one argument tuple."),
    ] = None,
    sizes: Annotated[
        str, typer.Option(help="Input sizes for timing and growth.")
    ] = "100,200,400,800,1600",
    rounds: Annotated[int, typer.Option(min=1, help="Model rounds.")] = 3,
    min_speedup: Annotated[
        float,
        typer.Option(help="Accept only candidates at least this much faster at the largest size."),
    ] = 1.1,
    repeats: RepeatsOpt = 5,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server URL (default: OPENAI_BASE_URL).")
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="API key (default: OPENAI_API_KEY).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for report.md and the patch (default: perfcodegen-optimize/)."),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="Write an accepted version into FILE (backup FILE.orig)."),
    ] = False,
    isolation: IsolationOpt = "full",
    domain: Annotated[
        list[str] | None,
        typer.Option(
            "--domain",
            help="NAME=LOW..HIGH (repeatable): draw hypothesis inputs of a numeric parameter "
            "from this range (default: the range its captured and doctest calls show).",
        ),
    ] = None,
) -> None:
    """Ask a model for a faster FUNCTION; accept it only if it behaves identically and is faster."""
    from perfcodegen.optimize.inputs import parse_domain
    from perfcodegen.optimize.loop import NoFasterVersion, OptimizeOptions, optimize_sync
    from perfcodegen.optimize.report import apply as write_back
    from perfcodegen.optimize.report import render_markdown, write_outputs
    from perfcodegen.optimize.target import load_target, parse_spec

    path, name = parse_spec(target)
    for test in tests or []:
        if not test.exists():
            raise PerfCodegenError(f"--tests: {test} does not exist")
    options = OptimizeOptions(
        model=model,
        base_url=base_url,
        api_key=api_key,
        tests=tuple(tests or ()),
        input_generator=input_generator,
        sizes=_sizes(sizes),
        rounds=rounds,
        min_speedup=min_speedup,
        repeats=repeats,
        isolation=_isolation(isolation),
        domains=tuple(parse_domain(text) for text in domain or ()),
    )
    with console.status("optimizing", spinner="dots") as status:  # each stage as it starts
        result = optimize_sync(load_target(path, name), options, status.update)
    report, patch = write_outputs(result, out or Path("perfcodegen-optimize"))
    console.print(render_markdown(result), markup=False, highlight=False)
    console.print(f"report: {report}" + (f"\npatch: {patch}" if patch else ""), highlight=False)
    if not result.found:
        raise NoFasterVersion(f"no verified faster version of {name} was found (see {report})")
    if apply:
        backup = write_back(result)
        console.print(f"applied to {path} (backup: {backup})", highlight=False)
