"""`perfcodegen serve`: the judge as an HTTP service (Judge0's API and a native one)."""

from __future__ import annotations

from typing import Any, cast

from perfcodegen.errors import require
from perfcodegen.judge.backend import Backend
from perfcodegen.serve.app import ServiceSettings, create_app
from perfcodegen.serve.caps import LimitCaps

__all__ = ["LimitCaps", "ServiceSettings", "create_app", "serve"]


def serve(
    backend: Backend,
    settings: ServiceSettings,
    host: str = "127.0.0.1",
    port: int = 2358,
) -> None:
    """Serve until SIGINT/SIGTERM; then stop accepting connections, finish every accepted
    job, and close the backend. Port 2358 is Judge0's."""
    uvicorn = cast(Any, require("uvicorn", "serve"))
    config = uvicorn.Config(
        create_app(backend, settings), host=host, port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    server.run()
