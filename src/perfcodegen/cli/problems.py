"""`perfcodegen benchmarks` and `perfcodegen problems list|show` (thin: load, then print)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from perfcodegen.cli._app import app, console, err_console, parse_options, print_json
from perfcodegen.cli._options import (
    BenchmarkArg,
    DataOpt,
    DifficultyOpt,
    JsonOpt,
    LoaderOptionOpt,
    SplitOpt,
    VariantOpt,
)
from perfcodegen.errors import DataError
from perfcodegen.problems.registry import LoadOptions, benchmarks, get_benchmark, load_benchmark
from perfcodegen.vocabulary import Problem

problems_app = typer.Typer(
    help="List and inspect the problems of a benchmark.", no_args_is_help=True
)
app.add_typer(problems_app, name="problems")

COUNT_TIMEOUT_S = 300
"""Budget for counting every benchmark's problems in the offline child process."""


_COUNT_CHILD = r"""
import json, sys
from pathlib import Path
from perfcodegen.errors import PerfCodegenError
from perfcodegen.problems.registry import LoadOptions, benchmarks, load_benchmark
data = json.loads(sys.argv[1])
counts = {}
for info in benchmarks():
    path = Path(data[info.name]) if info.name in data else None
    splits = [None] + (["all"] if "all" in info.splits and info.default_split != "all" else [])
    found = {}
    for split in splits:
        try:
            found[split or "default"] = len(load_benchmark(info.name, LoadOptions(split=split, data=path)))
        except (PerfCodegenError, OSError) as exc:
            found[split or "default"] = None
    counts[info.name] = found
print(json.dumps(counts))
"""


def offline_counts(data: dict[str, str]) -> dict[str, dict[str, int | None]]:
    """Problem counts per benchmark, loaded in a child with the hub switched to offline mode.

    A child keeps the offline switch (environment variables read by `datasets`) out of this
    process; benchmarks that would need the network count as unknown instead of waiting.
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _COUNT_CHILD, json.dumps(data)],
            capture_output=True,
            text=True,
            env=env,
            timeout=COUNT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return {}
    if proc.returncode != 0 or not proc.stdout.strip():
        return {}
    result: dict[str, dict[str, int | None]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _parse_data_pairs(pairs: list[str]) -> dict[str, str]:
    data = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise DataError(f"--data expects NAME=PATH, got {pair!r}")
        get_benchmark(name)  # unknown names list the known ones
        data[name] = str(Path(path).expanduser())
    return data


def _count_text(found: dict[str, int | None] | None) -> str:
    if not found:
        return "-"
    parts = [
        f"{n} {'' if k == 'default' else k}".strip() for k, n in found.items() if n is not None
    ]
    return ", ".join(parts) if parts else "-"


@app.command("benchmarks")
def benchmarks_command(
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="NAME=PATH: count NAME from a local file/folder."),
    ] = None,
    count: Annotated[bool, typer.Option(help="Count problems (offline sources only).")] = True,
    as_json: JsonOpt = False,
) -> None:
    """List the benchmarks, their splits, sources and (offline-loadable) problem counts."""
    counts = offline_counts(_parse_data_pairs(data or [])) if count else {}
    infos = benchmarks()
    if as_json:
        print_json(
            [
                {
                    "name": i.name,
                    "description": i.description,
                    "splits": list(i.splits),
                    "default_split": i.default_split,
                    "source": i.source,
                    "problems": counts.get(i.name),
                }
                for i in infos
            ]
        )
        return
    # One block per benchmark (name, counts and splits on its first line; description and
    # source as wrapped paragraphs): a five-column table splits words at 80 columns.
    for info in infos:
        splits = ", ".join(
            f"[bold]{s}[/]" if s == info.default_split else escape(s) for s in info.splits
        )
        console.print(
            f"[bold cyan]{info.name}[/]  problems: {_count_text(counts.get(info.name))}"
            + (f"  splits: {splits}" if splits else ""),
            highlight=False,
        )
        console.print(Padding(escape(info.description), (0, 0, 0, 2), expand=False), highlight=False)
        source = f"[dim]source:[/] {escape(info.source)}"
        console.print(Padding(source, (0, 0, 0, 2), expand=False), highlight=False)
    if count:
        console.print("[dim]problems: '-' = not loadable offline; pass --data NAME=PATH[/]")


def _loaded(benchmark: str, options: LoadOptions, quiet: bool) -> list[Problem]:
    """The benchmark's problems, under a spinner unless `quiet`: a first load of EvalPlus's
    variants computes every expected output, which takes a while."""
    if quiet:
        return load_benchmark(benchmark, options)
    with err_console.status(f"loading {benchmark}{f' ({options.variant})' if options.variant else ''}"):
        return load_benchmark(benchmark, options)


def _options(
    split: str | None,
    variant: str | None,
    data: Path | None,
    difficulty: str | None = None,
    option: list[str] | None = None,
) -> LoadOptions:
    return LoadOptions(
        split=split,
        variant=variant,
        data=data.expanduser() if data else None,
        difficulty=difficulty,
        extra=parse_options(option),
    )


def _summary(problem: Problem) -> dict[str, Any]:
    return {
        "id": problem.id,
        "native_id": problem.native_id,
        "entry_point": problem.entry_point,
        "split": problem.metadata.split,
        "tests": len(problem.tests),
        "public_tests": len(problem.public_tests),
        "statement": problem.statement.strip().splitlines()[0] if problem.statement.strip() else "",
    }


@problems_app.command("list")
def list_command(
    benchmark: BenchmarkArg,
    split: SplitOpt = None,
    variant: VariantOpt = None,
    data: DataOpt = None,
    difficulty: DifficultyOpt = None,
    option: LoaderOptionOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Show at most N.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List a benchmark's problems."""
    problems = _loaded(benchmark, _options(split, variant, data, difficulty, option), as_json)
    shown = problems[:limit] if limit else problems
    if as_json:
        print_json([_summary(p) for p in shown])
        return
    # The statement's first line stacks under the id: at 80 columns a separate statement
    # column would shrink to one character.
    table = Table(title=f"{benchmark}: {len(problems)} problems", show_lines=True)
    longest_id = max((len(p.id) for p in shown), default=2)
    table.add_column("id / statement", ratio=1, min_width=min(longest_id, 40), overflow="fold")
    table.add_column("entry point", overflow="fold", max_width=24)
    table.add_column("split", no_wrap=True)
    table.add_column("tests (public)", no_wrap=True, justify="right")
    for problem in shown:
        row = _summary(problem)
        statement = row["statement"][:100] + ("…" if len(row["statement"]) > 100 else "")
        table.add_row(
            Text(row["id"], style="bold") + Text("\n" + statement, style="dim"),
            Text(row["entry_point"] or "(stdin)"),
            Text(row["split"] or ""),
            f"{row['tests']} ({row['public_tests']})",
        )
    console.print(table)
    console.print(f"{len(problems)} problems" + (f", {len(shown)} shown" if limit else ""))


def find_problem(benchmark: str, native_id: str, options: LoadOptions) -> Problem:
    """The problem, searched in the given split, else the default one, else 'all'."""
    info = get_benchmark(benchmark)
    splits: list[str | None] = [options.split]
    if options.split is None and "all" in info.splits:
        splits.append("all")
    wanted = {native_id, f"{benchmark}/{native_id}"}
    examples: list[str] = []
    for split in splits:
        chosen = LoadOptions(split=split, data=options.data, variant=options.variant)
        problems = _loaded(benchmark, chosen, quiet=False)
        match = next((p for p in problems if p.native_id in wanted or p.id in wanted), None)
        if match is not None:
            return match
        examples = [p.id for p in problems[:3]]
    raise DataError(
        f"no problem {native_id!r} in benchmark {benchmark!r}; ids look like {', '.join(examples)}"
    )


def _split_id(problem_id: str, native_id: str | None) -> tuple[str, str]:
    """(benchmark, native id) from 'humaneval/HumanEval/0', 'humaneval HumanEval/0', or a
    bare native id whose prefix names a benchmark ('HumanEval/0', 'Mbpp/2'), as eval takes."""
    if native_id is not None:
        return problem_id, native_id
    prefix, sep, rest = problem_id.partition("/")
    if not sep or not rest:
        raise DataError(
            f"expected an id like 'humaneval/HumanEval/0' or 'BENCH ID', got {problem_id!r}"
        )
    known = {info.name for info in benchmarks()}
    if prefix not in known and prefix.lower() in known:
        return prefix.lower(), problem_id
    return prefix, rest


@problems_app.command("show")
def show_command(
    problem_id: Annotated[str, typer.Argument(help="Full id (humaneval/HumanEval/0) or BENCH.")],
    native_id: Annotated[str | None, typer.Argument(help="The benchmark's own id.")] = None,
    split: SplitOpt = None,
    variant: VariantOpt = None,
    data: DataOpt = None,
    option: LoaderOptionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one problem: statement, tests and references."""
    benchmark, native = _split_id(problem_id, native_id)
    problem = find_problem(benchmark, native, _options(split, variant, data, option=option))
    if as_json:
        print_json(problem.model_dump(mode="json"))
        return
    meta = f"split {problem.metadata.split} · entry point {problem.entry_point or '(stdin/stdout)'}"
    console.print(Panel(escape(problem.statement), title=escape(problem.id), subtitle=escape(meta)))
    if problem.test_setup:
        console.print(Panel(Syntax(problem.test_setup, "python"), title="test setup"))
    table = Table(title=f"{len(problem.tests)} tests ({len(problem.public_tests)} public)")
    for column in ("#", "kind", "public", "name", "test"):
        table.add_column(column, overflow="fold")
    for index, test in enumerate(problem.tests):
        table.add_row(
            str(index),
            test.kind.value,
            "yes" if test.public else "",
            escape(test.name or ""),
            escape(test.describe(problem.entry_point, limit=300)),
        )
    console.print(table)
    for index, reference in enumerate(problem.references):
        console.print(Panel(Syntax(reference, "python"), title=f"reference {index}"))
