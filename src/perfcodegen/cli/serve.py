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
    max_cpu_time_limit: Annotated[
        float, typer.Option(min=0.001, help="Largest cpu_time_limit accepted (s); more is 422.")
    ] = 60.0,
    max_wall_time_limit: Annotated[
        float, typer.Option(min=0.001, help="Largest wall_time_limit accepted (s).")
    ] = 60.0,
    max_memory_limit: Annotated[
        int, typer.Option(min=1, help="Largest memory_limit accepted (KB).")
    ] = 8192 * 1024,
    max_max_processes_and_or_threads: Annotated[
        int, typer.Option(min=1, help="Largest max_processes_and_or_threads accepted.")
    ] = 64,
    max_max_file_size: Annotated[
        int, typer.Option(min=1, help="Largest max_file_size accepted (KB).")
    ] = 64 * 1024,
    max_number_of_runs: Annotated[
        int, typer.Option(min=1, help="Largest number_of_runs accepted.")
    ] = 20,
) -> None:
    """Serve the judge over HTTP (Judge0's submissions API for Python, and
    POST /perfcodegen/jobs); SIGTERM finishes every accepted job before exiting."""
    from perfcodegen.backends import open_backend
    from perfcodegen.serve import LimitCaps, ServiceSettings
    from perfcodegen.serve import serve as run_service

    caps = LimitCaps(
        max_cpu_time_limit=max_cpu_time_limit, max_wall_time_limit=max_wall_time_limit,
        max_memory_limit=max_memory_limit,
        max_max_processes_and_or_threads=max_max_processes_and_or_threads,
        max_max_file_size=max_max_file_size, max_number_of_runs=max_number_of_runs,
    )
    settings = ServiceSettings(
        queue_size=queue_size,
        max_request_bytes=int(max_request_mb * (1 << 20)),
        max_batch=max_batch,
        auth_token=token,
        caps=caps,
    )
    caps.check_defaults(settings.limits)
    judge_backend = open_backend(
        backend, workers=workers, isolation=_isolation(isolation), ray_address=ray_address,
        judge0_url=judge0_url, judge0_key=judge0_key,
    )
    err_console.print(f"perfcodegen serve: http://{host}:{port} ({backend} backend)")
    run_service(judge_backend, settings, host=host, port=port)
