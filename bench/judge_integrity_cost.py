"""What judge integrity costs: the in-process judge (commit e9e45a9) against the hardened one.

Both designs are measured side by side in one run, on the same machine and workloads. The
old package is extracted from git with `git archive` into a temporary folder and imported
from there in a subprocess; the current one is imported as installed. For each design:
  1. isolated executions/s per core: trivial programs, CHECK mode, one run per test;
  2. every HumanEval reference x all its tests x E=12 timed runs (WALL mode), in seconds,
     and its ratio to a fresh interpreter per timed run (measured once, on a sample of the
     same tests, and projected: the papers' protocol);
  3. the median CV across R sweeps of the paired ratio tweaked/reference per problem (the
     tweak wraps the entry point in one extra call, so it stays correct), on HumanEval's
     references (microseconds of work per test) and on programs doing about a millisecond.
Issue 8's floors: 2. >= 20x; 3. <= 2%.

    python bench/judge_integrity_cost.py [--quick] [--old-commit SHA] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _bare_fork import bare_fork

OLD_COMMIT = "e9e45a9115c87e25cb2382a9ead27df0aec8ef11"
ROOT = Path(__file__).resolve().parent.parent

# Runs in a subprocess with the design under test first on sys.path; it uses only the judge
# API that both designs share (Judge, JudgeConfig, make_job, run_many, compare).
MEASURE = r"""
import asyncio, json, statistics, sys, time
import perfcodegen
from perfcodegen.judge import Judge, JudgeConfig, JudgeJob, MeasureMode
from perfcodegen.problems.model import TestCase
from perfcodegen.problems.registry import load_benchmark

options = json.loads(sys.argv[1])
workers, repeats = options["workers"], options["repeats"]


def tweaked(problem):
    name = problem.entry_point
    return (f"{problem.references[0]}\n\n_reference_{name} = {name}\n\n"
            f"def {name}(*args, **kwargs):\n    return _reference_{name}(*args, **kwargs)\n")


async def trivial(judge):
    tests = [TestCase.call([i], i) for i in range(100)]
    jobs = [JudgeJob(job_id=str(i), programs=["def f(x):\n    return x\n"], entry_point="f",
                     tests=tests) for i in range(options["trivial"] // 100)]
    await judge.run(jobs[0])
    start = time.perf_counter()
    results = [r async for r in judge.run_many(jobs)]
    elapsed = time.perf_counter() - start
    assert all(r.result.ok for r in results)
    return len(jobs) * 100 / elapsed / workers


async def sweep(judge, problems):
    jobs = [judge.make_job(p.references[:1], p, MeasureMode.WALL) for p in problems]
    start = time.perf_counter()
    results = [r async for r in judge.run_many(jobs)]
    return time.perf_counter() - start, sum(not r.result.ok for r in results)


async def paired(judge, problems):
    ratios = {}
    for _ in range(options["sweeps"]):
        for problem in problems:
            result = await judge.compare([tweaked(problem), problem.references[0]], problem)
            first, second = (p.total_time_s for p in result.programs[:2])
            if all(p.ok for p in result.programs) and first and second:
                ratios.setdefault(problem.id, []).append(first / second)
    cvs = [statistics.pstdev(v) / statistics.fmean(v) for v in ratios.values() if len(v) > 1]
    return statistics.median(cvs) if cvs else None


async def paired_work(judge):
    # The same paired CV on programs that do about a millisecond of work per test.
    from perfcodegen.problems.model import Problem
    ratios = {}
    for size in (5000, 10000, 20000, 40000):
        source = ("def f(n):\n    total = 0\n    for i in range(n):\n"
                  "        total += i * i\n    return total\n")
        tests = [TestCase.call([size + k], sum(i * i for i in range(size + k))) for k in range(3)]
        problem = Problem(id=f"work/{size}", benchmark="work", native_id=str(size), statement="",
                          prompt="", entry_point="f", references=[source], tests=tests)
        for _ in range(options["sweeps"]):
            result = await judge.compare([tweaked(problem), source], problem)
            first, second = (p.total_time_s for p in result.programs[:2])
            if all(p.ok for p in result.programs) and first and second:
                ratios.setdefault(size, []).append(first / second)
    cvs = [statistics.pstdev(v) / statistics.fmean(v) for v in ratios.values() if len(v) > 1]
    return statistics.median(cvs) if cvs else None


async def main():
    problems = [p for p in load_benchmark("humaneval") if p.references]
    step = max(1, len(problems) // options["paired_problems"])
    chosen = problems[::step][: options["paired_problems"]]
    async with Judge(JudgeConfig(workers=workers, repeats=repeats)) as judge:
        out = {"module": perfcodegen.__file__, "executions_per_s_core": await trivial(judge)}
        out["sweep_s"], out["sweep_failed"] = await sweep(judge, problems)
        out["tests"] = sum(len(p.tests) for p in problems)
        out["paired_median_cv"] = await paired(judge, chosen)
        out["paired_work_cv"] = await paired_work(judge)
    print(json.dumps(out))


asyncio.run(main())
"""


def extract_old(commit: str, into: Path) -> Path:
    """The old package's source tree, from git (no checkout is touched)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def measure(source: Path | None, options: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(options)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"measurement failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def fresh_process_seconds_per_run(workers: int, sample_tests: int, repeats: int) -> float:
    """The papers' protocol on a sample of HumanEval tests (reuses judge_throughput.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from judge_throughput import humaneval_problems, process_per_run_humaneval

    per_run, _ = process_per_run_humaneval(humaneval_problems(), workers, repeats, sample_tests)
    return per_run


def bare_fork_seconds() -> float:
    """A bare fork, exit and wait of a process holding what the fork server holds (its modules,
    warmed and frozen): the least any fresh-process run can cost here, before any sandbox."""
    return bare_fork(1000)["bare_wall_us"] / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument("--old-commit", default=OLD_COMMIT)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    options = {
        "workers": args.workers,
        "repeats": 12,
        "trivial": 2000 if args.quick else 10000,
        "sweeps": 3 if args.quick else 5,
        "paired_problems": 12 if args.quick else 24,
    }
    with tempfile.TemporaryDirectory(prefix="perfcodegen-old-") as scratch:
        old = measure(extract_old(args.old_commit, Path(scratch)), options)
    new = measure(None, options)
    per_run = fresh_process_seconds_per_run(args.workers, 10 if args.quick else 40, 12)
    fresh = per_run * new["tests"] * options["repeats"]
    rows = [
        ("isolated executions/s/core", "executions_per_s_core", "{:.0f}", ""),
        ("HumanEval refs x E=12 (s)", "sweep_s", "{:.2f}", "target <= 10 s on 2 cores"),
        ("paired ratio median CV", "paired_median_cv", "{:.2%}", "ceiling 2%"),
        ("  same, ~1 ms programs", "paired_work_cv", "{:.2%}", "4 sizes x 3 tests"),
    ]
    print(f"{args.workers} workers; old = {args.old_commit[:10]} (in-process), new = this tree")
    print(f"{'figure':<30}{'old':>12}{'new':>12}  note")
    for label, key, form, note in rows:
        values = [form.format(d[key]) if d[key] is not None else "-" for d in (old, new)]
        print(f"{label:<30}{values[0]:>12}{values[1]:>12}  {note}")
    print(f"{'fresh process per timed run (s)':<30}{fresh:>24.2f}  projected, same sweep")
    print(
        f"{'sweep vs fresh process':<30}{fresh / old['sweep_s']:>11.1f}x{fresh / new['sweep_s']:>11.1f}x"
        "  floor 20x"
    )
    # Single-program WALL jobs fork, per test: the check run, warm-up + E runs, and the null
    # program every other kept round. Even if each of those cost no more than a bare fork, the
    # sweep could not beat this ratio to the fresh-process protocol on this machine.
    forks_per_test = 1 + 1 + options["repeats"] + (options["repeats"] + 1) // 2
    fork_s = bare_fork_seconds()
    ceiling = per_run * options["repeats"] * args.workers / (forks_per_test * fork_s)
    print(
        f"{'bare fork of the fork server':<30}{fork_s * 1e6:>21.0f} us"
        f"  {forks_per_test} forks per test: ceiling {ceiling:.1f}x"
    )
    for name, data in (("old", old), ("new", new)):
        if data["sweep_failed"]:
            print(f"warning: {data['sweep_failed']} references failed in the {name} sweep")
    if args.json:
        args.json.write_text(json.dumps({"old": old, "new": new, "fresh_s": fresh}, indent=2))


if __name__ == "__main__":
    main()
