"""The Ray backend on a real Ray cluster (loopback): the same verdicts and timed results as
the local backend, and no job lost or judged twice when a worker is killed mid-run."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from perfcodegen.errors import MissingExtraError, PerfCodegenError
from perfcodegen.judge.model import JudgeJob, JudgeResult, MeasureMode
from perfcodegen.judge.pool import LocalBackend
from perfcodegen.problems.model import TestCase
from support.judge_service import LIMITS, corpus

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray not installed")


def test_without_ray_the_backend_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from perfcodegen.backends.ray import RayBackend

    monkeypatch.setitem(sys.modules, "ray", None)  # as in an install without [ray]

    with pytest.raises(MissingExtraError) as caught:
        RayBackend()
    assert isinstance(caught.value, PerfCodegenError)
    assert "pip install 'perfcodegen[ray]'" in str(caught.value)


def _shape(result: JudgeResult) -> list[tuple[str, int, list[tuple[int, str, bool]]]]:
    """Verdicts, per-test verdicts and which tests carry timed runs (figures vary)."""
    return [
        (p.verdict.value, p.passed, [(t.index, t.verdict.value, bool(t.times_s)) for t in p.tests])
        for p in result.programs
    ]


async def _judge_all(backend: object, jobs: list[JudgeJob]) -> dict[str, JudgeResult]:
    submit = backend.submit  # type: ignore[attr-defined]
    try:
        results = await asyncio.gather(*(submit(job) for job in jobs))
    finally:
        await backend.aclose()  # type: ignore[attr-defined]
    return {r.job_id: r for r in results}


@needs_ray
@pytest.mark.slow
async def test_ray_verdicts_and_timed_results_equal_the_local_backends(ray_cluster: str) -> None:
    from perfcodegen.backends.ray import RayBackend

    jobs = [job for mode in (MeasureMode.CHECK, MeasureMode.WALL) for job, _ in corpus(mode)]
    jobs = [j.model_copy(update={"job_id": f"{j.job_id}-{j.mode.value}"}) for j in jobs]
    backend = RayBackend(ray_cluster, workers=2)
    pinned = [cpu for cpu in await backend.worker_cpus() if cpu is not None]
    assert len(pinned) == len(set(pinned))  # no two actors on one core
    assert await backend.worker_niceness() == [0, 0]  # runs compete at normal priority
    on_ray = await _judge_all(backend, jobs)
    checks = sum(job.mode is MeasureMode.CHECK for job in jobs)
    assert backend.stats.calls < len(jobs)  # verdict-only jobs shared calls ...
    assert backend.stats.calls >= len(jobs) - checks + 1  # ... timed ones went one per call
    on_local = await _judge_all(LocalBackend(2), jobs)
    assert set(on_ray) == set(on_local) == {j.job_id for j in jobs}
    for job_id in on_local:
        assert _shape(on_ray[job_id]) == _shape(on_local[job_id]), job_id
        assert on_ray[job_id].isolation == on_local[job_id].isolation
    expected = {f"{j.job_id}-{j.mode.value}": v for mode in MeasureMode if mode in (
        MeasureMode.CHECK, MeasureMode.WALL) for j, v in corpus(mode)}
    assert {k: r.result.verdict for k, r in on_ray.items()} == expected
    timed = [t for r in on_ray.values() if r.mode is MeasureMode.WALL for t in r.result.tests]
    assert any(t.times_s for t in timed) and all(len(t.times_s) == 3 for t in timed if t.times_s)


@needs_ray
@pytest.mark.slow
async def test_a_killed_worker_loses_no_job_and_judges_none_twice(ray_cluster: str) -> None:
    from perfcodegen.backends.ray import RayBackend

    slow = "import time\ndef f(x):\n    time.sleep(1.5)\n    return x * x\n"
    jobs = [
        JudgeJob(job_id=f"slow-{i}", programs=[slow], entry_point="f",
                 tests=[TestCase.call([i], i * i)], limits=LIMITS)
        for i in range(6)
    ]
    backend = RayBackend(ray_cluster, workers=2)
    victim = (await backend.worker_pids())[0]
    running = [asyncio.ensure_future(backend.submit(job)) for job in jobs]
    await asyncio.sleep(0.7)  # both workers are inside their first job
    os.kill(victim, signal.SIGKILL)
    try:
        results = await asyncio.gather(*running)
    finally:
        await backend.aclose()
    assert sorted(r.job_id for r in results) == sorted(j.job_id for j in jobs)
    assert all(r.result.ok for r in results)
    assert backend.stats.lost_calls >= 1
    assert backend.stats.completed == {job.job_id: 1 for job in jobs}
    assert sum(backend.stats.dispatched.values()) == len(jobs) + backend.stats.lost_calls


@needs_ray
@pytest.mark.slow
def test_eval_on_ray_from_a_second_process(ray_cluster: str, tmp_path: Path) -> None:
    """`perfcodegen eval --backend ray --ray-address` joins the cluster from another process
    (verdict equality with the local backend is the first test's; here: the CLI path)."""
    command = [
        sys.executable, "-m", "perfcodegen", "eval", "humaneval", "--limit", "3",
        "--measure", "wall", "--repeats", "2", "--json", "--out", str(tmp_path / "ray"),
        "--backend", "ray", "--ray-address", ray_cluster,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["pass_at_k"] == {"pass@1": 1.0} and summary["verdicts"] == {"passed": 3}
    assert summary["timed"] == 3 and summary["isolation"] == "full"
