"""Endpoint robustness: a reachability check before the first call, visible retries, and a
malformed 200 reply as a clear per-call error (real openai client, loopback HTTP)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from perfcodegen.llm.base import ModelCallError
from perfcodegen.llm.model import ChatMessage, GenerateConfig, RequestContext
from perfcodegen.llm.openai_provider import (
    RETRY_LOGGER,
    MalformedReplyError,
    OpenAIProvider,
)
from support.scripted_server import RawBody, ScriptedError, ScriptedServer, failing_first, replies

ASK = [ChatMessage(role="user", content="add two numbers")]
CONTEXT = RequestContext(task_id="humaneval/HumanEval/0")
Factory = Callable[..., ScriptedServer]


async def test_unreachable_server_fails_on_the_probe_without_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ScriptedServer(replies("x")) as server:
        url = server.base_url  # nothing listens there once the server has stopped
    provider = OpenAIProvider("m", base_url=url, api_key="k")  # the default 8 attempts
    try:
        with (
            caplog.at_level(logging.WARNING, logger=RETRY_LOGGER),
            pytest.raises(ModelCallError, match=r"cannot reach .*is the server running"),
        ):
            await provider.generate(ASK, GenerateConfig(), CONTEXT)
    finally:
        await provider.aclose()
    assert not [r for r in caplog.records if r.name == RETRY_LOGGER]  # no retry loop


async def test_unhealthy_server_fails_before_any_chat_request(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(replies("never"), models_error=ScriptedError(500, "db down"))
    with pytest.raises(ModelCallError, match=r"unhealthy .*HTTP 500: db down"):
        await provider_for(server).generate(ASK, GenerateConfig(), CONTEXT)
    assert server.chat_requests == []


async def test_server_without_model_list_still_works(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(replies("ok"), models_error=ScriptedError(404, "no such route"))
    output = await provider_for(server).generate(ASK, GenerateConfig(), CONTEXT)
    assert output.text == "ok"


async def test_probe_runs_once_per_provider(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider]
) -> None:
    server = scripted_server(replies("a", "b", "c"))
    provider = provider_for(server)
    for _ in range(3):
        await provider.generate(ASK, GenerateConfig(), CONTEXT)
    probes = [r for r in server.requests if r.path.rstrip("/").endswith("/models")]
    assert len(probes) == 1 and len(server.chat_requests) == 3


async def test_each_retry_is_announced(
    scripted_server: Factory,
    provider_for: Callable[..., OpenAIProvider],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = scripted_server(failing_first(2, ScriptedError(500, "boom"), "fine"))
    with caplog.at_level(logging.WARNING, logger=RETRY_LOGGER):
        output = await provider_for(server).generate(ASK, GenerateConfig(), CONTEXT)
    assert output.text == "fine"
    lines = [r.getMessage() for r in caplog.records if r.name == RETRY_LOGGER]
    assert len(lines) == 2
    assert "HTTP 500; retry 1 of 3" in lines[0] and "retry 2 of 3" in lines[1]


@pytest.mark.parametrize(
    "body",
    ['"just a string"', '{"unexpected": true}', '{"choices": "nope"}'],
    ids=["string", "no-choices-field", "choices-not-a-list"],
)
async def test_malformed_reply_is_a_clear_error_not_an_attribute_error(
    scripted_server: Factory, provider_for: Callable[..., OpenAIProvider], body: str
) -> None:
    server = scripted_server(replies(RawBody(body)))
    with pytest.raises(MalformedReplyError) as info:
        await provider_for(server).generate(ASK, GenerateConfig(), CONTEXT)
    message = str(info.value)
    assert "not a chat completion" in message or "no choices" in message
    assert len(server.chat_requests) == 1  # not retried
