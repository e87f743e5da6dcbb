"""`perfcodegen effk`: ENAMEL's eff@k and pass@k of solutions against the expert references."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from perfcodegen.cli._app import app, console, print_json
from perfcodegen.cli._options import (
    DataOpt,
    IsolationOpt,
    JsonOpt,
    LimitOpt,
    ProblemsOpt,
    SplitOpt,
    WorkersOpt,
    split_ids,
)
from perfcodegen.cli._options import isolation_level as _isolation
from perfcodegen.errors import PerfCodegenError
from perfcodegen.metrics.growth import GrowthFit


def _slope(fit: GrowthFit | None) -> list[float] | None:
    return None if fit is None else [fit.slope, fit.low, fit.high]


def _ks(text: str) -> list[int]:
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise PerfCodegenError(f"-k takes comma-separated integers, got {text!r}") from None
    if not values or values[0] < 1:
        raise PerfCodegenError("-k needs positive integers")
    return values


@app.command("effk")
def effk_command(
    solutions: Annotated[
        str,
        typer.Option(
            help="'canonical' (HumanEval's canonical solutions), 'reference' (ENAMEL's own "
            "experts: about 1 by construction) or a JSONL file of {task_id, solution|completion}."
        ),
    ] = "canonical",
    data: DataOpt = None,
    split: SplitOpt = None,
    limit: LimitOpt = None,
    problems: ProblemsOpt = None,
    k: Annotated[str, typer.Option("-k", help="Comma-separated k values.")] = "1",
    workers: WorkersOpt = None,
    isolation: IsolationOpt = "full",
    save: Annotated[
        Path | None, typer.Option(help="Append one JSON line per problem as it is scored.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """ENAMEL's eff@k: stress levels drawn in the sandbox, time-outs at 2x the expert's time."""
    from perfcodegen.efficiency import ProblemEfficiency, evaluate_efficiency
    from perfcodegen.plan import plan_run, selected_problems
    from perfcodegen.problems.humaneval import load_base
    from perfcodegen.settings import settings_to_config
    from perfcodegen.solutions import SolutionSet
    from perfcodegen.vocabulary import Problem

    ks = _ks(k)
    config, options = settings_to_config("enamel", dict(
        split=split, data=str(data) if data else None, limit=limit, problems=split_ids(problems),
        model="none", method="given", k=max(ks), workers=workers, isolation=_isolation(isolation),
        out=Path("."),
    ))  # fmt: skip
    chosen, _ = selected_problems(config, check_solutions=False)
    if solutions == "reference":
        samples = {p.id: p.references[:1] for p in chosen}
    elif solutions == "canonical":
        canonical = {p.native_id: p.references for p in load_base(None)}
        samples = {p.id: canonical[p.native_id][:1] for p in chosen if p.native_id in canonical}
    else:
        given = SolutionSet.load(solutions)
        samples = {p.id: programs for p in chosen if (programs := given.programs_for(p))}
    if not samples:
        raise PerfCodegenError("no solutions for the selected ENAMEL problems")
    with console.status("drawing stress inputs in the sandbox", spinner="dots"):
        plan = plan_run(config, options, problems=[p for p in chosen if p.id in samples])

    async def go() -> object:
        async with plan.judge() as judge:
            return await evaluate_efficiency(judge, plan.problems, samples, on_done=record)

    def record(outcome: ProblemEfficiency | str, problem: Problem) -> None:
        if save is None:
            return
        if isinstance(outcome, str):
            row: dict[str, object] = {"problem_id": problem.id, "skipped": outcome}
        else:
            row = {
                "problem_id": problem.id,
                "reference_levels_s": outcome.reference_levels_s,
                "scores": [s.score for s in outcome.samples],
                "levels": [list(s.level_scores) for s in outcome.samples],
                "correct": [s.correct for s in outcome.samples],
                "growth_reference": _slope(outcome.reference_growth),
                "growth_samples": [_slope(g) for g in outcome.sample_growth],
            }
        with save.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")

    with console.status("timing stress levels", spinner="dots"):
        report = asyncio.run(go())
    from perfcodegen.efficiency import EfficiencyReport

    assert isinstance(report, EfficiencyReport)
    metrics = {
        f"{name}@{value}": report.metric(name, value) for value in ks for name in ("eff", "pass")
    }
    if as_json:
        print_json(
            {
                "metrics": metrics,
                "problems": len(report.problems),
                "skipped": report.skipped,
                "scores": {p.problem_id: [s.score for s in p.samples] for p in report.problems},
            }
        )
        return
    table = Table(title=f"ENAMEL: {len(report.problems)} problems scored ({solutions})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, "n/a" if value is None else f"{value:.3f}")
    table.add_row("problems skipped", str(len(report.skipped)))
    console.print(table)
    for problem_id, why in sorted(report.skipped.items()):
        console.print(f"skipped {problem_id}: {why}", highlight=False)
