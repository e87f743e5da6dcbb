"""The OpenAI-compatible provider, through the real openai client over loopback HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.base import ModelCallError
from perfcodegen.llm.model import ChatMessage, GenerateConfig, RequestContext
from perfcodegen.llm.openai_provider import OpenAIProvider, RetryPolicy
from support.scripted_server import (
    DROP,
    Delay,
    ScriptedError,
    ScriptedServer,
    count_tokens,
    failing_first,
    replies,
)

ASK = [
    ChatMessage(role="system", content="be brief"),
    ChatMessage(role="user", content="add two numbers"),
]
CONTEXT = RequestContext(task_id="humaneval/HumanEval/0")

Factory = Callable[..., ScriptedServer]


async def test_reply_usage_latency_and_params_pass_through(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(replies("def add(a, b):\n    return a + b"), latency_s=0.05)
    provider = provider_for(server)
    config = GenerateConfig(temperature=0.3, top_p=0.7, max_tokens=77, seed=5, stop=["\nEND"])

    output = await provider.generate(ASK, config, CONTEXT)

    assert output.text == "def add(a, b):\n    return a + b"
    assert output.usage.prompt_tokens == count_tokens("be brief add two numbers")
    assert output.usage.completion_tokens == count_tokens(output.text) == 7
    assert output.latency_s >= 0.05
    assert output.finish_reason == "stop" and not output.cached
    (request,) = server.chat_requests
    assert request.messages == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "add two numbers"},
    ]
    body = request.body
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (
        0.3,
        0.7,
        77,
        5,
    )
    assert body["stop"] == ["\nEND"]
    assert request.headers.get("authorization") == "Bearer test-key"
    assert provider.name == "openai/scripted-model"


async def test_concurrency_bound_is_honoured(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(replies("ok"), latency_s=0.1)
    provider = provider_for(server, max_connections=3)
    outputs = await asyncio.gather(
        *(provider.generate(ASK, GenerateConfig(), CONTEXT) for _ in range(10))
    )
    assert [o.text for o in outputs] == ["ok"] * 10
    assert len(server.chat_requests) == 10
    assert server.max_in_flight == 3


@pytest.mark.parametrize(
    "failure",
    [
        ScriptedError(429, "slow down"),
        ScriptedError(500, "boom"),
        ScriptedError(503, "overloaded"),
        DROP,
    ],
    ids=["429", "500", "503", "dropped-connection"],
)
async def test_transient_failures_are_retried(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider], failure: object
) -> None:
    server = scripted_server(failing_first(2, failure, "fine"))  # type: ignore[arg-type]
    output = await provider_for(server).generate(ASK, GenerateConfig(), CONTEXT)
    assert output.text == "fine"
    assert len(server.chat_requests) == 3


async def test_timeouts_are_retried(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(failing_first(1, Delay(2.0, "late"), "in time"))
    output = await provider_for(server, timeout_s=0.5).generate(ASK, GenerateConfig(), CONTEXT)
    assert output.text == "in time"
    assert len(server.chat_requests) == 2


async def test_retry_after_header_is_respected(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    limited = ScriptedError(429, "slow down", headers={"Retry-After": "0.3"})
    server = scripted_server(failing_first(1, limited, "fine"))
    provider = provider_for(server)
    started = time.perf_counter()
    await provider.generate(ASK, GenerateConfig(), CONTEXT)
    assert time.perf_counter() - started >= 0.05  # capped by the policy's max backoff (0.05 s)


async def test_retries_give_up_with_a_clear_error(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(replies(ScriptedError(500, "still broken")))
    with pytest.raises(ModelCallError, match="kept failing") as info:
        await provider_for(server).generate(ASK, GenerateConfig(), CONTEXT)
    assert info.value.retryable and info.value.status_code == 500
    assert "still broken" in str(info.value)
    assert len(server.chat_requests) == 4  # FAST_RETRY.max_attempts


async def test_unknown_model_is_not_retried(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(replies("never"))
    provider = provider_for(server, model="no-such-model")
    with pytest.raises(ModelCallError) as info:
        await provider.generate(ASK, GenerateConfig(), CONTEXT)
    message = str(info.value)
    assert "'no-such-model'" in message and server.base_url in message and "404" in message
    assert not info.value.retryable
    assert len(server.chat_requests) == 1


@pytest.mark.parametrize("status", [400, 401, 422])
async def test_client_errors_are_not_retried(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider], status: int
) -> None:
    server = scripted_server(replies(ScriptedError(status, "bad request text")))
    with pytest.raises(ModelCallError, match="bad request text"):
        await provider_for(server).generate(ASK, GenerateConfig(), CONTEXT)
    assert len(server.chat_requests) == 1


async def test_unreachable_server_names_the_url() -> None:
    with ScriptedServer(replies("x")) as server:
        url = server.base_url  # nothing listens there once the server has stopped
    retry = RetryPolicy(max_attempts=2, initial_backoff_s=0.01, max_backoff_s=0.01, jitter_s=0)
    provider = OpenAIProvider("m", base_url=url, api_key="k", retry=retry)
    try:
        with pytest.raises(ModelCallError, match="cannot reach") as info:
            await provider.generate(ASK, GenerateConfig(), CONTEXT)
    finally:
        await provider.aclose()
    assert url in str(info.value) and info.value.retryable


def test_missing_key_and_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(PerfCodegenError, match="OPENAI_API_KEY"):
        OpenAIProvider("gpt-4o")


def test_environment_supplies_endpoint_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    provider = OpenAIProvider("m")
    assert provider.base_url == "http://127.0.0.1:9/v1"
