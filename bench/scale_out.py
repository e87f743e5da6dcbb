"""Scale-out costs, measured side by side in one run on this machine.

  1. Local vs Ray backend at the same core count: isolated executions/s (one program on one
     test in its own process, CHECK mode) on HumanEval references, both backends fed the
     same jobs, alternated; Ray's start-up is reported apart.
  2. `perfcodegen serve` (Judge0 API, loopback HTTP, `wait=true`): submissions/s and p50/p99
     latency, against the same jobs given to the local backend directly.
  3. A cluster-sizing formula for MBPP+ at k=20, E=12, with its constants measured here
     (local, sample A) and checked by predicting a timed run of other problems (sample B)
     on the Ray backend.

    python bench/scale_out.py [--workers 2] [--problems 6] [--submissions 200]

The work is HumanEval's references (embedded; small programs like MBPP's). MBPP+'s size for
the formula is read from ../shared/data/mbppplus (or --data) without running anything.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

from perfcodegen.config import ProblemSelection
from perfcodegen.judge.model import JudgeJob, Limits, MeasureMode
from perfcodegen.judge.pool import LocalBackend
from perfcodegen.pipeline import select_problems
from perfcodegen.problems.model import Problem

LIMITS = Limits(wall_time_s=30.0, cpu_time_s=30.0, memory_mb=2048)
MBPP_PLUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mbppplus"


def workload() -> list[Problem]:
    """HumanEval's references (embedded, small programs like MBPP's) as the measured work."""
    return [p for p in select_problems(ProblemSelection(benchmark="humaneval")) if p.references]


def mbpp_plus_tests(data: Path) -> tuple[int, float]:
    """MBPP+'s size read from its raw rows (no reference is run): problems, mean tests."""
    import gzip
    import json

    if not data.exists():
        return 378, 108.5  # MBPP+ v0.2.0: 41,015 tests over 378 tasks
    with gzip.open(data, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    counts = [len(r["base_input"]) + len(r["plus_input"]) for r in rows]
    return len(counts), statistics.fmean(counts)


def jobs_for(problems: list[Problem], mode: MeasureMode, repeats: int = 12) -> list[JudgeJob]:
    return [
        JudgeJob(
            job_id=f"{p.id}:{mode.value}", programs=[p.references[0]], entry_point=p.entry_point,
            tests=p.tests, test_setup=p.test_setup, mode=mode, repeats=repeats, limits=LIMITS,
            stop_at_first_failure=False,
        )
        for p in problems
    ]


def tree_cpu_s() -> float:
    """CPU seconds used so far by this process and every live descendant (Ray's daemons and
    workers, fork servers), including the reaped children each has waited for (/proc).
    Other load on the machine barely moves it, unlike wall-clock throughput."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = sum(int(value) for value in fields[11:15])
    tree, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0) for pid in tree) / ticks


async def judge(backend: Any, jobs: list[JudgeJob]) -> tuple[float, int]:
    """Seconds to judge every job (started backend), and how many failed (should be 0)."""
    started = time.perf_counter()
    results = await asyncio.gather(*(backend.submit(job) for job in jobs))
    elapsed = time.perf_counter() - started
    return elapsed, sum(not r.result.ok for r in results)


async def judge_cpu(backend: Any, jobs: list[JudgeJob]) -> tuple[float, float, int]:
    """`judge`, plus the CPU seconds the whole process tree used meanwhile."""
    before = tree_cpu_s()
    elapsed, failed = await judge(backend, jobs)
    return elapsed, tree_cpu_s() - before, failed


async def local_vs_ray(jobs: list[JudgeJob], workers: int, rounds: int) -> dict[str, float]:
    from perfcodegen.backends.ray import RayBackend

    executions = sum(len(j.tests) for j in jobs)
    local = LocalBackend(workers)
    await local.start()
    started = time.perf_counter()
    ray = RayBackend(
        None, workers=workers,
        init_options={"num_cpus": workers, "_node_ip_address": "127.0.0.1"},
    )
    await ray.start()
    ray_start_s = time.perf_counter() - started
    await judge(ray, jobs[:2])  # warm both: first jobs pay imports in fresh workers
    await judge(local, jobs[:2])
    best = {"local": float("inf"), "ray": float("inf")}
    cpu = {"local": float("inf"), "ray": float("inf")}
    paired: list[float] = []  # per round: Ray's throughput over local's, measured back to back
    failures = 0
    for _ in range(rounds):
        elapsed = {}
        for name, backend in (("local", local), ("ray", ray)):
            elapsed[name], used, failed = await judge_cpu(backend, jobs)
            best[name] = min(best[name], elapsed[name])
            cpu[name] = min(cpu[name], used)
            failures += failed
        paired.append(elapsed["local"] / elapsed["ray"])
    await local.aclose()
    await ray.aclose()
    return {
        "executions": executions,
        "local_per_s": executions / best["local"],
        "ray_per_s": executions / best["ray"],
        "ray_start_s": ray_start_s,
        "local_cpu_ms": 1000 * cpu["local"] / executions,
        "ray_cpu_ms": 1000 * cpu["ray"] / executions,
        "failures": failures,
        "paired_median": statistics.median(paired),
        "paired_low": min(paired),
        "paired_high": max(paired),
    }


def latency_summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


async def serve_vs_direct(count: int, workers: int, concurrency: int) -> dict[str, float]:
    import httpx

    from perfcodegen.serve import ServiceSettings
    from perfcodegen.serve.background import serve_in_background
    from perfcodegen.serve.protocol import Judge0Submission
    from perfcodegen.serve.submissions import job_for

    bodies = [
        {"source_code": "print(sum(range(int(input()))))", "language_id": 71,
         "stdin": str(i), "expected_output": str(sum(range(i)))}
        for i in range(count)
    ]
    direct_jobs = [job_for(Judge0Submission(**b), str(i), LIMITS) for i, b in enumerate(bodies)]
    local = LocalBackend(workers)
    await local.start()
    await judge(local, direct_jobs[:4])
    direct_s, direct_failed = await judge(local, direct_jobs)
    await local.aclose()

    latencies: list[float] = []
    statuses: list[int] = []
    settings = ServiceSettings(limits=LIMITS)
    with serve_in_background(lambda: LocalBackend(workers), settings) as service:
        gate = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(
            base_url=service.url, timeout=300, limits=httpx.Limits(max_connections=concurrency)
        ) as client:

            async def submit(body: dict[str, Any]) -> None:
                async with gate:
                    sent = time.perf_counter()
                    answer = await client.post("/submissions?wait=true&fields=status", json=body)
                    latencies.append(time.perf_counter() - sent)
                    statuses.append(int(answer.json()["status"]["id"]))

            await asyncio.gather(*(submit(b) for b in bodies[:4]))
            latencies.clear()
            statuses.clear()
            started = time.perf_counter()
            await asyncio.gather(*(submit(b) for b in bodies))
            served_s = time.perf_counter() - started
    p50, p99 = latency_summary(latencies)
    return {
        "count": count,
        "direct_per_s": count / direct_s,
        "served_per_s": count / served_s,
        "p50_ms": 1000 * p50,
        "p99_ms": 1000 * p99,
        "accepted": statuses.count(3),
        "direct_failed": direct_failed,
    }


async def sizing(
    problems: list[Problem], workers: int, size: int, efficiency: float
) -> dict[str, float]:
    """Constants of the formula from sample A (local), its prediction for sample B on Ray.

    Constants are CPU seconds of the whole process tree per (program, test), so the
    machine's other load does not move them; B's prediction is in CPU seconds too."""
    from perfcodegen.backends.ray import RayBackend

    sample_a, sample_b = problems[0::2][:size], problems[1::2][:size]  # interleaved
    local = LocalBackend(workers)
    await local.start()
    _, check_cpu, _ = await judge_cpu(local, jobs_for(sample_a, MeasureMode.CHECK))
    _, timed_cpu, _ = await judge_cpu(local, jobs_for(sample_a, MeasureMode.WALL))
    await local.aclose()
    tests_a = sum(len(p.tests) for p in sample_a)
    c_check, c_timed = check_cpu / tests_a, timed_cpu / tests_a
    ray = RayBackend(None, workers=workers, init_options={"num_cpus": workers})
    await ray.start()
    await judge(ray, jobs_for(problems[-2:], MeasureMode.CHECK))  # warm the actors
    ray_s, ray_cpu, failed = await judge_cpu(ray, jobs_for(sample_b, MeasureMode.WALL))
    await ray.aclose()
    tests_b = sum(len(p.tests) for p in sample_b)
    return {
        "c_check_ms": 1000 * c_check,
        "c_timed_ms": 1000 * c_timed,
        "tests_b": tests_b,
        "predicted_b_cpu_s": tests_b * c_timed / efficiency,
        "measured_b_cpu_s": ray_cpu,
        "measured_b_s": ray_s,
        "failed_b": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--problems", type=int, default=24, help="problems per sample")
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    problems = workload()
    plus_count, mean_tests = mbpp_plus_tests(args.data or MBPP_PLUS / "MbppPlus.jsonl.gz")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"workload: HumanEval references ({len(problems)}), "
          f"{statistics.fmean(len(p.tests) for p in problems):.1f} tests each; MBPP+ (for the "
          f"formula): {plus_count} problems, {mean_tests:.1f} tests each; {args.workers} workers")

    small = jobs_for(problems, MeasureMode.CHECK)
    sized = [  # one program against ~MBPP+'s test count: its own tests, repeated
        job.model_copy(update={"tests": job.tests * max(1, round(mean_tests / len(job.tests)))})
        for job in jobs_for(problems[: args.problems], MeasureMode.CHECK)
    ]
    print("\n1. local vs Ray, isolated executions (CHECK), best of "
          f"{args.rounds} alternated rounds")
    ray = {}
    for label, jobs in (("HumanEval jobs", small), ("MBPP+-sized jobs", sized)):
        ray = asyncio.run(local_vs_ray(jobs, args.workers, args.rounds))
        tests = statistics.fmean(len(j.tests) for j in jobs)
        print(f"   {label} ({len(jobs)} jobs, {tests:.1f} tests each): executions/s local "
              f"{ray['local_per_s']:.0f}, Ray {ray['ray_per_s']:.0f} "
              f"({100 * (1 - ray['ray_per_s'] / ray['local_per_s']):.1f}% fewer); CPU time of "
              f"the process tree per execution local {ray['local_cpu_ms']:.2f} ms, Ray "
              f"{ray['ray_cpu_ms']:.2f} ms ({100 * (ray['ray_cpu_ms'] / ray['local_cpu_ms'] - 1):.1f}"
              f"% more); Ray start-up {ray['ray_start_s']:.1f} s (not counted); "
              f"failures {ray['failures']:.0f}; load average {os.getloadavg()[0]:.1f}")
        print(f"      Ray's throughput over local's, round by round: median "
              f"{ray['paired_median']:.3f} (range {ray['paired_low']:.3f}-"
              f"{ray['paired_high']:.3f}); target above 0.85")

    served = asyncio.run(serve_vs_direct(args.submissions, args.workers, args.concurrency))
    print(f"\n2. perfcodegen serve, {served['count']:.0f} submissions, {args.concurrency} in "
          f"flight: {served['served_per_s']:.1f}/s (p50 {served['p50_ms']:.0f} ms, p99 "
          f"{served['p99_ms']:.0f} ms, {served['accepted']:.0f} accepted) vs the local "
          f"backend called directly {served['direct_per_s']:.1f} jobs/s")

    efficiency = ray["local_cpu_ms"] / ray["ray_cpu_ms"]
    size = asyncio.run(sizing(problems, args.workers, args.problems, efficiency))
    print(f"\n3. sizing constants (sample A, local, CPU time of the process tree per "
          f"(program, test)): c_check {size['c_check_ms']:.2f} ms, c_timed(E=12) "
          f"{size['c_timed_ms']:.2f} ms; Ray CPU efficiency {efficiency:.2f}")
    print(f"   check on sample B ({size['tests_b']:.0f} tests, WALL E=12, on Ray): "
          f"tests x c_timed / efficiency = {size['predicted_b_cpu_s']:.1f} CPU s predicted, "
          f"{size['measured_b_cpu_s']:.1f} CPU s measured ({size['measured_b_s']:.1f} s wall "
          f"on {args.workers} loaded cores; {size['failed_b']:.0f} failed)")
    for correct in (0.5, 0.8):
        work = plus_count * 20 * mean_tests * (
            size["c_check_ms"] + correct * size["c_timed_ms"]) / 1000 / efficiency
        print(f"   MBPP+ k=20, E=12, {100 * correct:.0f}% correct: W = P k T (c_check + q "
              f"c_timed) / efficiency = {work / 3600:.1f} core-hours: {work / 3600:.0f} "
              f"cores for one hour")


if __name__ == "__main__":
    main()
