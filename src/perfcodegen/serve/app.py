"""The ASGI application behind `perfcodegen serve` (Starlette).

Judge0's submissions API for Python (create, batch, get, `wait=true`, `base64_encoded`,
`fields`, statuses, languages, about, config_info) and a native endpoint,
`POST /perfcodegen/jobs`, that takes a perfcodegen `JudgeJob` and answers its `JudgeResult`.
Every job goes through one bounded queue: a request that would overfill it gets 429. Limits
above the configured maxima are refused with 422, as Judge0 refuses them (`caps`).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from perfcodegen.errors import PerfCodegenError, require
from perfcodegen.judge.backend import Backend
from perfcodegen.judge.model import JudgeJob, Limits
from perfcodegen.serve import protocol
from perfcodegen.serve.caps import Errors, LimitCaps, describe
from perfcodegen.serve.queue import JobQueue, QueueFull, ShuttingDown, Ticket
from perfcodegen.serve.submissions import job_for, select_fields, submission_fields


@dataclass(frozen=True)
class ServiceSettings:
    queue_size: int = 1000
    """Jobs accepted and not yet finished; beyond it, 429."""
    max_request_bytes: int = 8 << 20
    max_batch: int = 20
    """Submissions per batch request (Judge0's default)."""
    auth_token: str | None = None
    """When set, every request must carry it (X-Auth-Token, or Authorization: Bearer)."""
    limits: Limits = field(default_factory=Limits)
    """Per-execution limits where a submission sets none."""
    caps: LimitCaps = field(default_factory=LimitCaps)
    """The largest limits a submission (or a native job) may ask for; more is a 422."""


class _HTTPError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        body: Errors | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}
        self.body: dict[str, Any] = dict(body) if body is not None else {"error": message}


def _over_caps(errors: Errors) -> _HTTPError:
    """Judge0's answer to limits above its maxima: 422 with the validation errors."""
    return _HTTPError(422, describe(errors), body=errors)


def create_app(backend: Backend, settings: ServiceSettings | None = None) -> Any:
    """The Starlette app; it starts the backend on startup, and on shutdown finishes every
    accepted job before closing it."""
    require("starlette", "serve")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    config = settings or ServiceSettings()
    config.caps.check_defaults(config.limits)
    queue = JobQueue(backend, config.queue_size)

    def flag(request: Request, name: str) -> bool:
        return request.query_params.get(name, "false").lower() in ("true", "1")

    async def read_json(request: Request) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_request_bytes:
            raise _HTTPError(413, f"the request is larger than {config.max_request_bytes} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > config.max_request_bytes:
                raise _HTTPError(413, f"the request is larger than {config.max_request_bytes} bytes")
        import json

        try:
            return json.loads(body or b"null")
        except ValueError as exc:
            raise _HTTPError(400, f"the body is not JSON ({exc})") from exc

    def parse_submission(data: Any, base64_encoded: bool) -> protocol.Judge0Submission:
        try:
            submission = protocol.Judge0Submission.model_validate(data).decoded(base64_encoded)
        except ValidationError as exc:
            raise _HTTPError(422, "; ".join(_describe(e) for e in exc.errors())) from exc
        except PerfCodegenError as exc:
            raise _HTTPError(422, str(exc)) from exc
        if submission.language_id not in protocol.PYTHON_LANGUAGE_IDS:
            raise _HTTPError(422, f"language with id {submission.language_id} doesn't exist")
        errors = config.caps.submission_errors(submission.model_dump(include=set(protocol.LIMIT_FIELDS)))
        if errors:
            raise _over_caps(errors)
        return submission

    def enqueue(jobs: list[tuple[JudgeJob, protocol.Judge0Submission | None]]) -> list[Ticket]:
        try:
            return queue.accept(jobs)
        except QueueFull as exc:
            raise _HTTPError(429, str(exc), {"Retry-After": "1"}) from exc
        except ShuttingDown as exc:
            raise _HTTPError(503, str(exc)) from exc

    def render(ticket: Ticket, request: Request, fields: str | None) -> dict[str, Any]:
        assert ticket.submission is not None
        every = submission_fields(
            ticket.token,
            ticket.submission,
            ticket.result,
            started=ticket.started,
            created_at=ticket.created_at,
            finished_at=ticket.finished_at,
        )
        return select_fields(every, fields, flag(request, "base64_encoded"))

    async def create(request: Request) -> Response:
        submission = parse_submission(await read_json(request), flag(request, "base64_encoded"))
        (ticket,) = enqueue([(job_for(submission, "", config.limits), submission)])
        if not flag(request, "wait"):
            return JSONResponse({"token": ticket.token}, status_code=201)
        await ticket.done.wait()
        return JSONResponse(render(ticket, request, request.query_params.get("fields", "*")), 201)

    async def get_one(request: Request) -> Response:
        ticket = queue.get(request.path_params["token"])
        if ticket is None or ticket.submission is None:
            raise _HTTPError(404, "Not Found")
        return JSONResponse(render(ticket, request, request.query_params.get("fields")))

    async def create_batch(request: Request) -> Response:
        data = await read_json(request)
        items = data.get("submissions") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise _HTTPError(422, "submissions: a non-empty list is required")
        if len(items) > config.max_batch:
            raise _HTTPError(422, f"submissions: at most {config.max_batch} per batch")
        encoded = flag(request, "base64_encoded")
        answers: list[dict[str, Any]] = []
        valid: list[tuple[int, protocol.Judge0Submission]] = []
        for index, item in enumerate(items):
            try:
                valid.append((index, parse_submission(item, encoded)))
                answers.append({})
            except _HTTPError as exc:
                answers.append(exc.body)
        tickets = enqueue([(job_for(s, "", config.limits), s) for _, s in valid])
        for (index, _), ticket in zip(valid, tickets, strict=True):
            answers[index] = {"token": ticket.token}
        return JSONResponse(answers, status_code=201)

    async def get_batch(request: Request) -> Response:
        tokens = [t for t in request.query_params.get("tokens", "").split(",") if t]
        if not tokens:
            raise _HTTPError(422, "tokens: at least one token is required")
        fields = request.query_params.get("fields")
        found = [queue.get(token) for token in tokens]
        return JSONResponse(
            {
                "submissions": [
                    render(t, request, fields) if t is not None and t.submission else None
                    for t in found
                ]
            }
        )

    async def native_job(request: Request) -> Response:
        try:
            job = JudgeJob.model_validate(await read_json(request))
        except ValidationError as exc:
            raise _HTTPError(422, "; ".join(_describe(e) for e in exc.errors())) from exc
        errors = config.caps.job_errors(job)
        if errors:
            raise _over_caps(errors)
        (ticket,) = enqueue([(job, None)])
        await ticket.done.wait()
        assert ticket.result is not None
        result = ticket.result.model_copy(update={"job_id": job.job_id})
        return Response(result.model_dump_json(), media_type="application/json")

    def static(payload: Callable[[], Any]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return JSONResponse(payload())

        return endpoint

    async def language(request: Request) -> Response:
        wanted = int(request.path_params["language_id"])
        for entry in protocol.languages():
            if entry["id"] == wanted:
                return JSONResponse(entry)
        raise _HTTPError(404, "Not Found")

    def workers() -> list[dict[str, Any]]:
        return [{"queue": "perfcodegen", "size": queue.pending, "available": queue.capacity,
                 "idle": 0, "working": queue.pending, "paused": 0, "failed": 0}]

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                if config.auth_token is not None and not _authorized(request, config.auth_token):
                    raise _HTTPError(401, "Unauthorized")
                return await handler(request)
            except _HTTPError as exc:
                return JSONResponse(exc.body, exc.status, headers=exc.headers)

        return endpoint

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        starter = getattr(backend, "start", None)
        if starter is not None:
            await starter()
        try:
            yield
        finally:
            await queue.drain()
            await backend.aclose()

    routes = [
        Route("/submissions", guarded(create), methods=["POST"]),
        Route("/submissions/batch", guarded(create_batch), methods=["POST"]),
        Route("/submissions/batch", guarded(get_batch), methods=["GET"]),
        Route("/submissions/{token}", guarded(get_one), methods=["GET"]),
        Route("/statuses", guarded(static(_statuses)), methods=["GET"]),
        Route("/languages", guarded(static(protocol.languages)), methods=["GET"]),
        Route("/languages/{language_id:int}", guarded(language), methods=["GET"]),
        Route("/about", guarded(static(protocol.about)), methods=["GET"]),
        Route(
            "/config_info",
            guarded(static(lambda: protocol.config_info(
                config.queue_size, config.max_batch, config.caps, config.limits
            ))),
            methods=["GET"],
        ),
        Route("/workers", guarded(static(workers)), methods=["GET"]),
        Route("/perfcodegen/jobs", guarded(native_job), methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.queue = queue
    return app


def _statuses() -> list[dict[str, Any]]:
    return [{"id": i, "description": d} for i, d in protocol.STATUSES.items()]


def _authorized(request: Any, token: str) -> bool:
    offered = request.headers.get("x-auth-token")
    if offered is None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        offered = value if scheme.lower() == "bearer" else None
    return offered is not None and hmac.compare_digest(offered.encode(), token.encode())


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))
