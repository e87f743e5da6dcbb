"""Fixtures for the model tests: the loopback scripted server and providers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from perfcodegen.llm.openai_provider import OpenAIProvider, RetryPolicy
from support.scripted_server import DEFAULT_MODEL, ScriptedServer, scripted_server

__all__ = ["scripted_server"]

FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff_s=0.01, max_backoff_s=0.05, jitter_s=0.0)


@pytest.fixture
async def provider_for() -> AsyncIterator[Callable[..., OpenAIProvider]]:
    """``provider_for(server, **options)``: an OpenAIProvider talking to a scripted server."""
    made: list[OpenAIProvider] = []

    def make(server: ScriptedServer, **options: Any) -> OpenAIProvider:
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout_s", 10.0)
        model = options.pop("model", DEFAULT_MODEL)
        provider = OpenAIProvider(model, base_url=server.base_url, api_key="test-key", **options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()
