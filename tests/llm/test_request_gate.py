"""The model layer's request gate: retries of transient failures and the connection limit,
for any provider (here a plain coroutine stands for one attempt of a request)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.base import Failure, RequestGate, RetryPolicy
from perfcodegen.llm.model import RETRY_LOGGER

FAST = RetryPolicy(max_attempts=3, initial_backoff_s=0.0, max_backoff_s=0.0, jitter_s=0.0)


class Flaky(Exception):
    pass


def classify(exc: BaseException) -> Failure | None:
    if isinstance(exc, Flaky):
        return Failure(transient=str(exc) == "busy", reason=f"said {exc}")
    return None


async def test_transient_failures_are_retried_and_announced(caplog: pytest.LogCaptureFixture) -> None:
    answers = ["busy", "busy", "done"]

    async def attempt() -> str:
        answer = answers.pop(0)
        if answer == "busy":
            raise Flaky(answer)
        return answer

    gate = RequestGate("p/m", classify, policy=FAST)
    with caplog.at_level(logging.WARNING, logger=RETRY_LOGGER):
        assert await gate.call(attempt) == "done"
    assert [r.getMessage() for r in caplog.records] == [
        "p/m: said busy; retry 1 of 2 in 0.0 s", "p/m: said busy; retry 2 of 2 in 0.0 s",
    ]  # fmt: skip


async def test_the_last_failure_and_lasting_ones_are_raised_as_they_are() -> None:
    calls: list[str] = []

    async def attempt(message: str) -> str:
        calls.append(message)
        raise Flaky(message)

    gate = RequestGate("p/m", classify, policy=FAST)
    with pytest.raises(Flaky, match="busy"):
        await gate.call(lambda: attempt("busy"))
    with pytest.raises(Flaky, match="rejected"):
        await gate.call(lambda: attempt("rejected"))
    assert calls == ["busy"] * 3 + ["rejected"]  # a lasting failure is not retried


async def test_at_most_max_connections_attempts_are_in_flight() -> None:
    in_flight, most = 0, 0

    async def attempt() -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1

    gate = RequestGate("p/m", classify, max_connections=2, policy=FAST)
    await asyncio.gather(*(gate.call(attempt) for _ in range(6)))
    assert most == 2
    with pytest.raises(PerfCodegenError, match="at least 1"):
        RequestGate("p/m", classify, max_connections=0)
