"""`perfcodegen serve` in a background thread of this process (tests, benchmarks, and
programs that embed the judge service), on an ephemeral loopback port by default."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from perfcodegen.errors import PerfCodegenError, require
from perfcodegen.judge.backend import Backend
from perfcodegen.serve.app import ServiceSettings, create_app
from perfcodegen.serve.queue import JobQueue


@dataclass(frozen=True)
class RunningService:
    url: str
    app: Any

    @property
    def queue(self) -> JobQueue:
        return cast(JobQueue, self.app.state.queue)


@contextmanager
def serve_in_background(
    backend_factory: Callable[[], Backend],
    settings: ServiceSettings | None = None,
    host: str = "127.0.0.1",
    start_timeout_s: float = 120.0,
) -> Iterator[RunningService]:
    """Serve until the block ends, then shut down as on SIGTERM: stop accepting, finish
    every accepted job, close the backend (built in the service's own thread and loop)."""
    uvicorn = cast(Any, require("uvicorn", "serve"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    holder: dict[str, Any] = {}

    def serve() -> None:
        app = create_app(backend_factory(), settings or ServiceSettings())
        config = uvicorn.Config(app, log_level="warning", lifespan="on", backlog=2048)
        holder["app"], holder["server"] = app, uvicorn.Server(config)
        holder["server"].run(sockets=[sock])

    thread = threading.Thread(target=serve, name="perfcodegen-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not (holder.get("server") and holder["server"].started):
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise PerfCodegenError("perfcodegen serve did not start")
        time.sleep(0.05)
    try:
        yield RunningService(f"http://{host}:{port}", holder["app"])
    finally:
        holder["server"].should_exit = True
        thread.join()
        sock.close()
