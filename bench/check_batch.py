"""Verdict-only jobs: one sandboxed process per program (the default) vs a fresh process per
test (`JudgeJob.fresh_process_per_test`), side by side in one run, same server, same jobs.

  python bench/check_batch.py            # 2,000 trivial tests, then HumanEval's references
"""

from __future__ import annotations

import time

import perfcodegen
from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import JudgeJob, MeasureMode
from perfcodegen.problems.model import TestCase


def timed(server: ForkServerProcess, jobs: list[JudgeJob], fresh: bool) -> tuple[float, int]:
    started = time.perf_counter()
    passed = 0
    for job in jobs:
        result = server.run_job(job.model_copy(update={"fresh_process_per_test": fresh}))
        passed += result.result.passed
    return time.perf_counter() - started, passed


def main() -> None:
    trivial = [
        JudgeJob(
            job_id="trivial", programs=["def f(x):\n    return 2 * x\n"], entry_point="f",
            tests=[TestCase.call([i], 2 * i) for i in range(2000)], mode=MeasureMode.CHECK,
        )
    ]  # fmt: skip
    references = [
        JudgeJob(
            job_id=p.id, programs=p.references[:1], entry_point=p.entry_point, tests=p.tests,
            test_setup=p.test_setup, mode=MeasureMode.CHECK,
        )
        for p in perfcodegen.load("humaneval")
    ]  # fmt: skip
    with ForkServerProcess(0) as server:
        for label, jobs in (("2,000 trivial tests", trivial), ("HumanEval references", references)):
            tests = sum(len(job.tests) for job in jobs)
            shared, passed_shared = timed(server, jobs, fresh=False)
            fresh, passed_fresh = timed(server, jobs, fresh=True)
            print(f"{label} ({tests} tests): one process per program {shared:6.2f} s "
                  f"({1e3 * shared / tests:.3f} ms/test), fresh process per test {fresh:6.2f} s "
                  f"({1e3 * fresh / tests:.3f} ms/test); ratio {fresh / shared:.1f}x; "
                  f"tests passed {passed_shared} vs {passed_fresh}")  # fmt: skip


if __name__ == "__main__":
    main()
