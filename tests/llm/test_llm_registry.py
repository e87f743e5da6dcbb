"""Resolving model strings, and the clear errors for bad ones."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from perfcodegen.errors import MissingExtraError, PerfCodegenError, UnknownNameError
from perfcodegen.llm.cache import CachedModel, ResponseCache
from perfcodegen.llm.model import ChatMessage, GenerateConfig, ModelProvider, RequestContext
from perfcodegen.llm.openai_provider import OpenAIProvider
from perfcodegen.llm.registry import PROVIDERS, get_model
from support.scripted_server import ScriptedServer, replies


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_model("bedrock/claude")
    assert all(name in str(info.value) for name in PROVIDERS)


@pytest.mark.parametrize("spec", ["gpt-4o", "openai/", "/gpt-4o"])
def test_malformed_spec(spec: str) -> None:
    with pytest.raises(PerfCodegenError, match="provider/model"):
        get_model(spec)


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("ollama/llama3:8b", "http://localhost:11434/v1"),
        ("vllm-server/Qwen/Qwen2.5-Coder-7B-Instruct", "http://localhost:8000/v1"),
    ],
)
async def test_local_server_conveniences(
    spec: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://elsewhere.invalid/v1")  # not used by these
    provider = get_model(spec)
    assert isinstance(provider, OpenAIProvider)
    assert provider.base_url == url and provider.name == spec
    await provider.aclose()


async def test_openai_through_base_url_with_cache(
    tmp_path: Path, scripted_server: Callable[..., ScriptedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = scripted_server(replies("hello"))
    cache = ResponseCache(tmp_path / "c.sqlite")
    model: ModelProvider = get_model(
        "openai/scripted-model", base_url=server.base_url, max_connections=2, cache=cache
    )
    assert isinstance(model, CachedModel) and model.name == "openai/scripted-model"
    ask = [ChatMessage(role="user", content="hi")]
    first = await model.generate(ask, GenerateConfig(), RequestContext())
    second = await model.generate(ask, GenerateConfig(), RequestContext())
    assert (first.text, first.cached, second.cached) == ("hello", False, True)
    assert len(server.chat_requests) == 1
    await model.aclose()
    cache.close()


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_vllm_needs_its_extra() -> None:
    with pytest.raises(MissingExtraError, match=r"perfcodegen\[vllm\]"):
        get_model("vllm/Qwen/Qwen2.5-Coder-7B-Instruct")


def test_hf_needs_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # as in an install without [hf]
    with pytest.raises(MissingExtraError, match=r"perfcodegen\[hf\]"):
        get_model("hf/bigcode/starcoder2-3b")
