"""What one timed run costs the machine: CPU time and page faults of every judge process.

A WALL job of a trivial function with many repeats runs on one fork server; the CPU time
(user + system) and minor page faults of the inner server, of the zygote (where there is
one) and of every run process (reaped: their parent's cumulative figures) are read from /proc
before and after, and divided by the number of run processes the job forked. CPU time, not
wall time: other load on the machine does not move it. The same figures for a bare fork,
exit and wait of the fork server's interpreter give the floor.

    python bench/run_cost.py [--repeats 400] [--rounds 3] [--sweep N]
    python bench/run_cost.py --against /old/checkout/src/perfcodegen [--rounds 20]

`--against`: a fork server of this tree and one of the other tree's judge (the same protocol)
run WALL jobs of E=60 in alternation, so both see the same load; prints the median CPU time
per run of each (server, zygote, runs) and the median of the paired ratios (this / other).

`--sweep N`: also the first N HumanEval references x E=12 (WALL, 2 workers), as in
bench/judge_integrity_cost.py, with the CPU time of every judge process (the fork servers,
their zygotes and runs, reaped when the judge closes) besides the wall time.

Works on any tree whose judge has `ForkServerProcess` (PYTHONPATH=/old/src for an old one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import time
from pathlib import Path

from _bare_fork import bare_fork

from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import JudgeJob, Limits, MeasureMode

try:
    from perfcodegen.vocabulary import TestCase
except ImportError:  # an older tree
    from perfcodegen.problems.model import TestCase  # type: ignore[no-redef]

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _figures(pid: int) -> tuple[float, float, int, int]:
    """(own CPU s, reaped children's CPU s, own minor faults, reaped children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) * TICK_S
    children = (int(fields[13]) + int(fields[14])) * TICK_S
    return own, children, int(fields[7]), int(fields[8])


def _tree(server: ForkServerProcess) -> dict[str, int]:
    assert server.server_pid is not None
    (inner,) = _children(server.server_pid)
    tree = {"server": inner}
    below = _children(inner)
    if below:
        tree["zygote"] = below[0]
    return tree


def _cpu_and_faults(tree: dict[str, int]) -> tuple[float, int]:
    """CPU seconds and minor faults of the server, the zygote and every run they reaped."""
    reaper = "zygote" if "zygote" in tree else "server"
    total_cpu, total_faults = 0.0, 0
    for name, pid in tree.items():
        own, children, faults, child_faults = _figures(pid)
        total_cpu += own + (children if name == reaper else 0.0)
        total_faults += faults + (child_faults if name == reaper else 0)
    return total_cpu, total_faults


def check_cost(jobs: int = 40, tests: int = 100) -> dict[str, float]:
    """CPU time and faults per test of verdict-only jobs of trivial tests (one check batch per
    job), as the integrity bench's executions/s/core."""
    cases = [TestCase.call([i], i) for i in range(tests)]
    job = JudgeJob(job_id="check", programs=["def f(x):\n    return x\n"], entry_point="f",
                   tests=cases, mode=MeasureMode.CHECK)  # fmt: skip
    with ForkServerProcess() as server:
        server.run_job(job)
        tree = _tree(server)
        cpu0, faults0 = _cpu_and_faults(tree)
        for _ in range(jobs):
            assert server.run_job(job).result.ok
        cpu1, faults1 = _cpu_and_faults(tree)
    return {
        "check_cpu_us_per_test": (cpu1 - cpu0) / (jobs * tests) * 1e6,
        "check_faults_per_test": (faults1 - faults0) / (jobs * tests),
    }


def measure(repeats: int) -> dict[str, float]:
    job = JudgeJob(
        job_id="cost", programs=["def f(x):\n    return x\n"], entry_point="f",
        tests=[TestCase.call([1], 1)], mode=MeasureMode.WALL, repeats=repeats, warmup=0,
        limits=Limits(wall_time_s=600.0, cpu_time_s=10.0),
    )  # fmt: skip
    forks = 1 + repeats + (repeats + 1) // 2  # check run, timed runs, null every other round
    with ForkServerProcess() as server:
        server.run_job(job.model_copy(update={"repeats": 4}))  # settle
        tree = _tree(server)
        before = {name: _figures(pid) for name, pid in tree.items()}
        result = server.run_job(job)
        after = {name: _figures(pid) for name, pid in tree.items()}
    assert result.result.ok, result.result
    out: dict[str, float] = {}
    for name in tree:
        b, a = before[name], after[name]
        out[f"{name}_cpu_us"] = (a[0] - b[0]) / forks * 1e6
        out[f"{name}_faults"] = (a[2] - b[2]) / forks
    parent = "zygote" if "zygote" in tree else "server"  # whose children the runs are
    b, a = before[parent], after[parent]
    out["runs_cpu_us"] = (a[1] - b[1]) / forks * 1e6
    out["runs_faults"] = (a[3] - b[3]) / forks
    out["total_cpu_us"] = sum(v for k, v in out.items() if k.endswith("_cpu_us"))
    return out


def sweep(count: int) -> dict[str, float]:
    from perfcodegen.judge import Judge, JudgeConfig
    from perfcodegen.problems.registry import load_benchmark

    problems = [p for p in load_benchmark("humaneval") if p.references][:count]

    async def run() -> float:
        async with Judge(JudgeConfig(workers=2, repeats=12)) as judge:
            jobs = [judge.make_job(p.references[:1], p, MeasureMode.WALL) for p in problems]
            start = time.perf_counter()
            results = [r async for r in judge.run_many(jobs)]
            elapsed = time.perf_counter() - start
        assert all(r.result.ok for r in results)
        return elapsed

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = asyncio.run(run())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"sweep_wall_s": elapsed, "sweep_cpu_s": cpu}


class _OtherTree(ForkServerProcess):
    """A fork server started from another checkout's judge package."""

    def __init__(self, root: str) -> None:
        super().__init__()
        self.root = root

    def start(self) -> None:
        from perfcodegen.judge import client

        names = vars(client)  # the package the server command names (`lean_command`)
        own = names["package_dir"]
        names["package_dir"] = lambda: self.root
        try:
            super().start()
        finally:
            names["package_dir"] = own


def against(root: str, rounds: int, repeats: int = 60) -> dict[str, object]:
    job = JudgeJob(
        job_id="cost", programs=["def f(x):\n    return x\n"], entry_point="f",
        tests=[TestCase.call([1], 1)], mode=MeasureMode.WALL, repeats=repeats, warmup=0,
        limits=Limits(wall_time_s=600.0, cpu_time_s=10.0),
    )  # fmt: skip
    forks = 1 + repeats + (repeats + 1) // 2
    servers = {"this": ForkServerProcess(), "other": _OtherTree(root)}
    parts: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.start()
            server.run_job(job.model_copy(update={"repeats": 4}))
        for _ in range(rounds):
            for name, server in servers.items():
                tree = _tree(server)
                before = {k: _figures(pid) for k, pid in tree.items()}
                assert server.run_job(job).result.ok
                after = {k: _figures(pid) for k, pid in tree.items()}
                row = {k: (after[k][0] - before[k][0]) / forks * 1e6 for k in tree}
                reaper = "zygote" if "zygote" in tree else "server"
                row["runs"] = (after[reaper][1] - before[reaper][1]) / forks * 1e6
                row["total"] = sum(row.values())
                parts[name].append(row)
    finally:
        for server in servers.values():
            server.close()
    ratios = [a["total"] / b["total"] for a, b in zip(parts["this"], parts["other"], strict=True)]
    out: dict[str, object] = {
        name: {k: round(statistics.median(r[k] for r in rows)) for k in rows[0]}
        for name, rows in parts.items()
    }
    out["paired_ratio_median"] = round(statistics.median(ratios), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sweep", type=int, default=0)
    parser.add_argument("--against", default=None, help="another tree's perfcodegen package")
    args = parser.parse_args()
    if args.against:
        print(json.dumps(against(args.against, args.rounds)))
        return
    rounds = [measure(args.repeats) | check_cost() | bare_fork() for _ in range(args.rounds)]
    if args.sweep:
        for result, swept in zip(rounds, (sweep(args.sweep) for _ in rounds), strict=True):
            result.update(swept)
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(json.dumps({key: round(value, 1) for key, value in medians.items()}))


if __name__ == "__main__":
    main()
