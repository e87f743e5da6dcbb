"""Small pieces shared by the model providers: the call error, model-spec parsing, and the
request gate (retries and the connection limit), so an HTTP provider implements only its
request."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.model import RETRY_LOGGER

T = TypeVar("T")
_retries = logging.getLogger(RETRY_LOGGER)


class ModelCallError(PerfCodegenError):
    """A model call failed for good: a rejected request (4xx) or retries exhausted.

    ``retryable`` is True when the failure was transient (rate limit, server error, dropped
    connection) and only the retry budget ran out, so running the command again may succeed.
    """

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status_code = status_code
        self.retryable = retryable


def split_spec(spec: str) -> tuple[str, str]:
    """'provider/model' -> ('provider', 'model'); the model part may itself contain '/'."""
    provider, sep, model = spec.partition("/")
    if not sep or not provider or not model:
        raise PerfCodegenError(
            f"model {spec!r} should look like 'provider/model', e.g. 'openai/gpt-4o' "
            "or 'ollama/llama3'"
        )
    return provider, model


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry transient failures."""

    max_attempts: int = 8
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    jitter_s: float = 1.0


@dataclass(frozen=True)
class Failure:
    """What a provider reads in a failed request: worth retrying, in a few words, and the
    server's Retry-After hint when it gave one."""

    transient: bool
    reason: str
    retry_after_s: float | None = None


Classify = Callable[[BaseException], Failure | None]
"""A provider's reading of an exception; None: not a request failure (raised as it is)."""


class RequestGate:
    """Retries and the connection limit, once for every provider behind a server.

    A provider hands over one attempt of its request and how to read a failure; the gate
    holds at most `max_connections` attempts in flight (never while it waits to retry) and
    retries transient failures with exponential backoff, jitter and the server's Retry-After
    hint, announcing each retry on `RETRY_LOGGER` (the CLI's progress line counts them). The
    last failure is raised as it is, for the provider to describe."""

    def __init__(
        self, name: str, classify: Classify, *, max_connections: int = 32,
        policy: RetryPolicy | None = None,
    ) -> None:  # fmt: skip
        if max_connections < 1:
            raise PerfCodegenError(f"max_connections must be at least 1, got {max_connections}")
        self.name = name
        self.policy = policy or RetryPolicy()
        self._classify = classify
        self._slots = asyncio.Semaphore(max_connections)

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        policy = self.policy
        for number in range(1, policy.max_attempts + 1):
            try:
                async with self._slots:
                    return await attempt()
            except Exception as exc:
                failure = self._classify(exc)
                if failure is None or not failure.transient or number == policy.max_attempts:
                    raise
                wait = self.backoff_s(number, failure.retry_after_s)
                _retries.warning(
                    "%s: %s; retry %d of %d in %.1f s",
                    self.name, failure.reason, number, policy.max_attempts - 1, wait,
                )  # fmt: skip
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def backoff_s(self, attempt: int, hint_s: float | None) -> float:
        """Seconds before retrying after failed attempt number `attempt` (from 1)."""
        policy = self.policy
        exponential = policy.initial_backoff_s * 2.0 ** (attempt - 1)
        exponential = min(exponential, policy.max_backoff_s) + random.uniform(0, policy.jitter_s)
        return min(max(exponential, hint_s or 0.0), policy.max_backoff_s)
