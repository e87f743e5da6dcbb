"""The Ray backend's default: no address starts a private local Ray instance (2 CPUs on
loopback here), judges there and shuts it down on close. In a fresh process, so that no
cluster of another test module is joined."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
import ray
from perfcodegen.backends.ray import RayBackend
from support.judge_service import corpus

async def main():
    backend = RayBackend(None, init_options={"num_cpus": 2, "_node_ip_address": "127.0.0.1"})
    workers = backend.workers
    niceness = await backend.worker_niceness()
    cases = corpus()
    results = await asyncio.gather(*(backend.submit(job) for job, _ in cases))
    await backend.aclose()
    print(json.dumps({
        "workers": workers,
        "niceness": niceness,
        "right": [r.result.verdict is v for r, (_, v) in zip(results, cases)],
        "still_up": ray.is_initialized(),
    }))

asyncio.run(main())
"""


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray not installed")
@pytest.mark.slow
def test_without_an_address_the_backend_starts_and_stops_its_own_ray() -> None:
    tests_dir = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, tests_dir], capture_output=True, text=True, env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["workers"] == 2
    assert report["niceness"] == [0, 0]  # not Ray's default 15, root or not
    assert all(report["right"]) and len(report["right"]) == 8
    assert report["still_up"] is False
