"""Kill -9 in the middle of `perfcodegen run`, rerun the same command: nothing done twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support.scripted_server import Delay, ScriptedServer

CORRECT = "```python\ndef sum_squares(n):\n    return sum(i * i for i in range(n + 1))\n```"
FASTER = "```python\ndef sum_squares(n):\n    return n * (n + 1) * (2 * n + 1) // 6\n```"


def write_problems(path: Path, count: int) -> None:
    rows = []
    for index in range(count):
        rows.append({
            "id": f"p{index}",
            "statement": "Return the sum of i*i for i in 0..n.",
            "entry_point": "sum_squares",
            "starter_code": "def sum_squares(n):\n",
            "references": ["def sum_squares(n):\n    return sum([i * i for i in range(n + 1)])\n"],
            "tests": [
                {"args": [3 + index], "expected": sum(i * i for i in range(4 + index)), "public": True},
                {"args": [500], "expected": sum(i * i for i in range(501))},
            ],
        })
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def script(request: dict[str, Any]) -> Any:
    last = request["messages"][-1]["content"]
    return Delay(0.15, FASTER if ("Good job!" in last or "costs the most" in last) else CORRECT)


def command(data: Path, out: Path, url: str) -> list[str]:
    return [
        sys.executable, "-m", "perfcodegen", "run", "custom", "--data", str(data),
        "--model", "openai/scripted-model", "--base-url", url, "--no-cache",
        "-k", "2", "--repeats", "3", "--out", str(out), "--json",
    ]


def recorded(db: Path) -> tuple[dict[str, str], dict[str, float]]:
    with sqlite3.connect(db) as conn:
        calls = {k: r for k, r in conn.execute("SELECT key, record FROM model_calls")}
        judged = {k: t for k, t in conn.execute("SELECT key, created_at FROM judge_runs")}
    return calls, judged


def calls_so_far(db: Path) -> int:
    """Model calls recorded while the run is going (0 until the store has made its tables)."""
    try:
        return len(recorded(db)[0])
    except sqlite3.OperationalError:  # the file exists, its schema not yet
        return 0


def test_kill_and_resume(tmp_path: Path) -> None:
    data, out = tmp_path / "problems.jsonl", tmp_path / "run"
    write_problems(data, 6)
    env = {**os.environ, "OPENAI_API_KEY": "test-key"}
    with ScriptedServer(script) as server:
        proc = subprocess.Popen(
            command(data, out, server.base_url), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (out / "run.sqlite").exists() and calls_so_far(out / "run.sqlite") >= 8:
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        calls_before, judged_before = recorded(out / "run.sqlite")
        requests_before = len(server.chat_requests)
        assert 8 <= len(calls_before) < 6 * 6, "the kill should land mid-run"

        finished = subprocess.run(
            command(data, out, server.base_url), env=env, capture_output=True, text=True, timeout=300
        )
        assert finished.returncode == 0, finished.stderr
        resumed_requests = server.chat_requests[requests_before:]

    calls_after, judged_after = recorded(out / "run.sqlite")
    # Every problem finished: 2 samples + 2 speed-up turns per sample.
    assert len(calls_after) == 6 * 6
    # The resumed run asked exactly for the calls that were not recorded before the kill
    # (samples of one problem share their messages, so count rather than compare texts)...
    assert len(resumed_requests) == len(calls_after) - len(calls_before)
    assert set(calls_before) < set(calls_after)
    # ...and no judge job recorded before the kill was run again.
    for key, created in judged_before.items():
        assert judged_after[key] == created
    report = json.loads(finished.stdout)
    assert report  # the run's report was printed as JSON
