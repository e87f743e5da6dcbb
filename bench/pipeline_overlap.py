"""Do model calls and judge jobs overlap? PerfCodeGen over a loopback server with fixed latency.

Three runs of the same workload, side by side:
  judge-bound  server answers at once, real judge          -> T_judge
  model-bound  server answers after LATENCY, judge replayed -> T_model (judge results served
               instantly from the judge-bound run's store)
  full         server answers after LATENCY, real judge     -> T_full
Target: T_full <= 1.2 x max(T_model, T_judge).

    .venv/bin/python bench/pipeline_overlap.py [--problems 40] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from perfcodegen.config import RunConfig
from perfcodegen.judge import Judge, JudgeConfig, JudgeJob, JudgeResult
from perfcodegen.llm.registry import get_model
from perfcodegen.methods.judging import JudgeService
from perfcodegen.methods.session import job_key
from perfcodegen.pipeline import run_method
from perfcodegen.problems.model import Problem, TestCase
from perfcodegen.store import RunStore
from support.scripted_server import Delay, ScriptedServer

LOOP = "```python\ndef f(n):\n    total = 0\n    for i in range(n + 1):\n        total += i * i\n    return total\n```"
GEN = "```python\ndef f(n):\n    return sum(i * i for i in range(n + 1))\n```"
CLOSED = "```python\ndef f(n):\n    return n * (n + 1) * (2 * n + 1) // 6\n```"


def problems(count: int) -> list[Problem]:
    def expected(n: int) -> int:
        return n * (n + 1) * (2 * n + 1) // 6

    return [
        Problem(
            id=f"bench/p{i}", benchmark="bench", native_id=f"p{i}", statement="sum of squares",
            prompt="def f(n):\n", entry_point="f",
            references=[LOOP.split("\n", 1)[1].rsplit("```", 1)[0]],
            tests=[TestCase.call([n], expected(n)) for n in (10, 2000 + i, 20000 + i)],
        )
        for i in range(count)
    ]


def script(latency: float) -> Any:
    def answer(request: dict[str, Any]) -> Any:
        last = request["messages"][-1]["content"]
        text = CLOSED if "costs the most" in last else GEN if "Good job!" in last else LOOP
        return Delay(latency, text) if latency else text

    return answer


class ReplayedJudge:
    """An instantaneous judge: serves the results a previous run recorded."""

    def __init__(self, store: RunStore, jobs: JudgeService) -> None:
        self.store, self.make_job = store, jobs.make_job

    async def run(self, job: JudgeJob) -> JudgeResult:
        result = self.store.get_judge(job_key(job))
        assert result is not None, "the judge-bound run must have recorded every job"
        return result


async def timed_run(
    work: list[Problem], latency: float, store: RunStore, judge: JudgeService, k: int
) -> float:
    config = RunConfig.model_validate(
        {"name": "bench", "benchmark": "bench", "model": "openai/scripted-model", "k": k, "repeats": 12}
    )
    with ScriptedServer(script(latency)) as server:
        model = get_model(config.generation.model, base_url=server.base_url, api_key="x", max_connections=64)
        start = time.perf_counter()
        await run_method(config, work, store, model=model, refine_model=None, judge=judge,
                         max_in_flight=len(work))
        elapsed = time.perf_counter() - start
        await model.aclose()
    return elapsed


async def main(count: int, latency: float, k: int) -> None:
    work = problems(count)
    with tempfile.TemporaryDirectory() as tmp:
        async with Judge(JudgeConfig(repeats=12)) as real:
            judge = real
            judge_store = RunStore(Path(tmp) / "judge-bound")
            t_judge = await timed_run(work, 0.0, judge_store, judge, k)
            t_model = await timed_run(
                work, latency, RunStore(Path(tmp) / "model-bound"), ReplayedJudge(judge_store, judge), k
            )
            t_full = await timed_run(work, latency, RunStore(Path(tmp) / "full"), judge, k)
    bound = max(t_model, t_judge)
    print(f"workload: {count} problems x k={k}, PerfCodeGen, model latency {latency:.2f} s, E=12")
    print(f"judge-bound (no latency, real judge)   T_judge = {t_judge:7.2f} s")
    print(f"model-bound (latency, judge replayed)  T_model = {t_model:7.2f} s")
    print(f"full (latency, real judge)             T_full  = {t_full:7.2f} s")
    print(f"T_full / max(T_model, T_judge) = {t_full / bound:.2f}  (target <= 1.20)")
    print(f"T_full / (T_model + T_judge)   = {t_full / (t_model + t_judge):.2f}  (1.0 = no overlap)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("-k", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.problems, args.latency, args.k))
