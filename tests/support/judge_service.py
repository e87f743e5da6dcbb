"""`perfcodegen serve` on loopback in a background thread, and a small corpus of judge jobs
with known verdicts (call, assert and stdin/stdout tests; right, wrong, crashing, broken)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from perfcodegen.backends.base import Backend
from perfcodegen.judge.model import JudgeJob, Limits, MeasureMode, Verdict
from perfcodegen.problems.model import TestCase
from perfcodegen.serve import ServiceSettings, create_app

LIMITS = Limits(wall_time_s=20.0, cpu_time_s=10.0, memory_mb=512)
"""Generous: these tests check verdicts on a loaded machine, not timeouts."""


class RunningService:
    def __init__(self, url: str, app: Any, server: Any) -> None:
        self.url, self.app, self.server = url, app, server

    @property
    def queue(self) -> Any:
        return self.app.state.queue


@contextmanager
def running_service(
    backend_factory: Any, settings: ServiceSettings | None = None
) -> Iterator[RunningService]:
    """Serve on 127.0.0.1 (an ephemeral port) until the block ends, then shut down gracefully
    (uvicorn's own shutdown path: the lifespan drains the queue and closes the backend)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    holder: dict[str, Any] = {}

    def serve() -> None:
        backend: Backend = backend_factory()
        app = create_app(backend, settings or ServiceSettings(limits=LIMITS))
        config = uvicorn.Config(app, log_level="warning", lifespan="on", backlog=2048)
        server = uvicorn.Server(config)
        holder["app"], holder["server"] = app, server
        server.run(sockets=[sock])

    thread = threading.Thread(target=serve, name="perfcodegen-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not (holder.get("server") and holder["server"].started):
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("perfcodegen serve did not start")
        time.sleep(0.05)
    try:
        yield RunningService(f"http://127.0.0.1:{port}", holder["app"], holder["server"])
    finally:
        holder["server"].should_exit = True
        thread.join(timeout=120)
        sock.close()


SQUARE = "def f(x):\n    return x * x\n"
WRONG = "def f(x):\n    return x + x\n"
CRASH = "def f(x):\n    return 1 // 0\n"
BROKEN = "def f(x) return x\n"
ECHO = "print(int(input()) * 2)\n"

CALL_TESTS = [TestCase.call([3], 9), TestCase.call([5], 25), TestCase.call([2.5], 6.25)]
ASSERT_TESTS = [TestCase.assert_("assert candidate(4) == 16"), TestCase.assert_("assert f(0) == 0")]
STDIO_TESTS = [TestCase.stdio("2\n", "4\n"), TestCase.stdio("21\n", "42\n")]


def corpus(mode: MeasureMode = MeasureMode.CHECK) -> list[tuple[JudgeJob, Verdict]]:
    """Jobs and the verdict each must get on any backend."""
    cases = [
        ("square-call", [SQUARE], "f", CALL_TESTS, Verdict.PASSED),
        ("square-assert", [SQUARE], "f", ASSERT_TESTS, Verdict.PASSED),
        ("wrong-call", [WRONG], "f", CALL_TESTS, Verdict.WRONG_ANSWER),
        ("wrong-assert", [WRONG], "f", ASSERT_TESTS, Verdict.WRONG_ANSWER),
        ("crash", [CRASH], "f", CALL_TESTS, Verdict.RUNTIME_ERROR),
        ("broken", [BROKEN], "f", CALL_TESTS, Verdict.SYNTAX_ERROR),
        ("echo", [ECHO], None, STDIO_TESTS, Verdict.PASSED),
        ("echo-wrong", ["print(int(input()) * 3)\n"], None, STDIO_TESTS, Verdict.WRONG_ANSWER),
    ]
    return [
        (
            JudgeJob(
                job_id=name, programs=programs, entry_point=entry, tests=tests, mode=mode,
                repeats=3, limits=LIMITS,
            ),
            verdict,
        )
        for name, programs, entry, tests, verdict in cases
    ]
