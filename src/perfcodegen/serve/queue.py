"""The service's bounded queue: accept jobs up to a capacity, run them on a backend, keep
their results for later reads, and on shutdown finish everything accepted.

The backend bounds how many jobs run at once (a local backend: one per fork server); the
queue bounds how many are accepted and not yet finished, which is what a client's 429 means.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from perfcodegen.judge.backend import Backend
from perfcodegen.judge.model import JudgeJob, JudgeResult, ProgramResult, Verdict
from perfcodegen.serve.protocol import Judge0Submission
from perfcodegen.serve.submissions import timing_job, with_timing

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """More jobs than the queue's free capacity (the client should retry later: 429)."""


class ShuttingDown(Exception):
    """The service is draining and accepts nothing new (503)."""


@dataclass
class Ticket:
    token: str
    job: JudgeJob
    submission: Judge0Submission | None = None
    """The Judge0 request this job came from (None for native jobs)."""
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    started: bool = False
    finished_at: datetime | None = None
    result: JudgeResult | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class JobQueue:
    def __init__(self, backend: Backend, capacity: int, keep_results: int = 100_000) -> None:
        self.backend = backend
        self.capacity = capacity
        self.keep_results = keep_results
        self._tickets: OrderedDict[str, Ticket] = OrderedDict()
        self._running: set[asyncio.Task[None]] = set()
        self._accepting = True
        self.accepted = 0
        self.finished = 0

    @property
    def pending(self) -> int:
        return self.accepted - self.finished

    def accept(
        self, jobs: list[tuple[JudgeJob, Judge0Submission | None]]
    ) -> list[Ticket]:
        """Queue all of `jobs` or none of them."""
        if not self._accepting:
            raise ShuttingDown("the service is shutting down")
        if self.pending + len(jobs) > self.capacity:
            raise QueueFull(
                f"the queue is full ({self.pending} of {self.capacity} jobs pending)"
            )
        tickets = []
        for job, submission in jobs:
            token = str(uuid.uuid4())
            ticket = Ticket(token, job.model_copy(update={"job_id": token}), submission)
            self._tickets[token] = ticket
            self.accepted += 1
            task = asyncio.create_task(self._run(ticket))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            tickets.append(ticket)
        self._forget_old()
        return tickets

    def get(self, token: str) -> Ticket | None:
        return self._tickets.get(token)

    async def _run(self, ticket: Ticket) -> None:
        ticket.started = True
        try:
            result = await self.backend.submit(ticket.job)
            followup = timing_job(ticket.job, result) if ticket.submission else None
            if followup is not None:
                result = with_timing(result, await self.backend.submit(followup))
            ticket.result = result
        except Exception as exc:  # the backend failed, not the program: report, keep serving
            log.exception("judge job %s failed", ticket.token)
            ticket.result = _sandbox_error(ticket.job, f"{type(exc).__name__}: {exc}")
        ticket.finished_at = datetime.now(timezone.utc)
        self.finished += 1
        ticket.done.set()

    def _forget_old(self) -> None:
        """Drop the oldest finished results beyond `keep_results` (bounded memory)."""
        surplus = len(self._tickets) - self.keep_results
        if surplus <= 0:
            return
        for token in [t for t, ticket in self._tickets.items() if ticket.done.is_set()][:surplus]:
            del self._tickets[token]

    async def drain(self) -> None:
        """Stop accepting and wait until every accepted job has finished."""
        self._accepting = False
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)


def _sandbox_error(job: JudgeJob, message: str) -> JudgeResult:
    program = ProgramResult(
        verdict=Verdict.SANDBOX_ERROR,
        passed=0,
        total=len(job.tests),
        error_type="BackendError",
        error_message=message,
    )
    return JudgeResult(job_id=job.job_id, mode=job.mode, programs=[program] * len(job.programs))
