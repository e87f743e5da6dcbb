"""`perfcodegen serve` as a command: serves, drains accepted work on SIGTERM, and reports
bad options in one line."""

from __future__ import annotations

import importlib.util
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("uvicorn") is None, reason="the serve extra is not installed"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_then_finishes_accepted_work_on_sigterm() -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "perfcodegen", "serve", "--port", str(port), "--workers", "1",
               "--max-cpu-time-limit", "15", "--max-max-processes-and-or-threads", "8"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                about = httpx.get(f"{url}/about", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.2)
        assert about.json()["version"] == "1.13.1"
        info = httpx.get(f"{url}/config_info").json()
        assert (info["max_cpu_time_limit"], info["max_max_processes_and_or_threads"]) == (15, 8)
        greedy = {"source_code": "print(1)", "language_id": 71, "cpu_time_limit": 86400,
                  "max_processes_and_or_threads": 5001}
        refused = httpx.post(f"{url}/submissions", json=greedy)
        assert refused.status_code == 422 and refused.json() == {
            "cpu_time_limit": ["must be less than or equal to 15.0"],
            "max_processes_and_or_threads": ["must be less than or equal to 8"],
        }
        slow = {"source_code": "import time\ntime.sleep(0.5)\nprint('ok')", "language_id": 71,
                "expected_output": "ok"}
        created = httpx.post(f"{url}/submissions/batch", json={"submissions": [slow] * 3})
        assert created.status_code == 201
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
        # uvicorn exits by re-raising the signal once its shutdown is complete
        assert process.returncode in (0, -signal.SIGTERM), stderr[-2000:]
        # three accepted jobs, each at least three 0.5 s runs (check, warm-up, timed) on one
        # worker: the service ran them all before exiting
        assert time.monotonic() - sent >= 4.5
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_bad_backend_choice_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "perfcodegen", "serve", "--backend", "judge0"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "--judge0-url" in done.stderr and "Traceback" not in done.stderr


def test_maxima_below_the_default_limits_are_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "perfcodegen", "serve", "--max-cpu-time-limit", "1"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "cpu_time_limit must be less than or equal to 1.0" in done.stderr
