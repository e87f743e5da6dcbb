"""`perfcodegen serve`: the judge behind Judge0's HTTP API and a native job endpoint."""

from __future__ import annotations

from typing import Annotated

import typer

from perfcodegen.cli._app import app, err_console
from perfcodegen.cli._options import (
    BackendOpt,
    IsolationOpt,
    Judge0KeyOpt,
    Judge0UrlOpt,
    RayAddressOpt,
    WorkersOpt,
)
from perfcodegen.cli._options import isolation_level as _isolation


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (2358 is Judge0's).")] = 2358,
    queue_size: Annotated[
        int, typer.Option(min=1, help="Jobs accepted and not yet finished; beyond it, 429.")
    ] = 1000,
    max_request_mb: Annotated[float, typer.Option(help="Largest request body accepted.")] = 8.0,
    max_batch: Annotated[int, typer.Option(min=1, help="Submissions per batch request.")] = 20,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="PERFCODEGEN_SERVE_TOKEN",
            help="Require this token (X-Auth-Token or Authorization: Bearer).",
        ),
    ] = None,
    workers: WorkersOpt = None,
    isolation: IsolationOpt = "full",
    backend: BackendOpt = "local",
    ray_address: RayAddressOpt = None,
    judge0_url: Judge0UrlOpt = None,
    judge0_key: Judge0KeyOpt = None,
) -> None:
    """Serve the judge over HTTP (Judge0's submissions API for Python, and
    POST /perfcodegen/jobs); SIGTERM finishes every accepted job before exiting."""
    from perfcodegen.backends import open_backend
    from perfcodegen.serve import ServiceSettings
    from perfcodegen.serve import serve as run_service

    settings = ServiceSettings(
        queue_size=queue_size,
        max_request_bytes=int(max_request_mb * (1 << 20)),
        max_batch=max_batch,
        auth_token=token,
    )
    judge_backend = open_backend(
        backend, workers=workers, isolation=_isolation(isolation), ray_address=ray_address,
        judge0_url=judge0_url, judge0_key=judge0_key,
    )
    err_console.print(f"perfcodegen serve: http://{host}:{port} ({backend} backend)")
    run_service(judge_backend, settings, host=host, port=port)
