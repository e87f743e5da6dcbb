"""The SQLite response cache and the CachedModel wrapper, against the loopback server."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.llm.base import ModelCallError
from perfcodegen.llm.cache import CachedModel, ResponseCache
from perfcodegen.llm.model import ChatMessage, GenerateConfig, RequestContext
from perfcodegen.llm.openai_provider import OpenAIProvider
from support.scripted_server import ScriptedError, ScriptedServer, failing_first

ASK = [ChatMessage(role="user", content="write f")]


def numbered_replies() -> Callable[[dict[str, object]], str]:
    """Each request gets a distinct answer, so a cache hit is visible in the text."""
    count = [0]

    def script(_request: dict[str, object]) -> str:
        count[0] += 1
        return f"answer {count[0]}"

    return script


def sample(index: int) -> RequestContext:
    return RequestContext(task_id="humaneval/HumanEval/0", sample_index=index)


async def test_hits_misses_and_reopening(
    tmp_path: Path,
    scripted_server: Callable[..., ScriptedServer],
    provider_for: Callable[..., OpenAIProvider],
) -> None:
    server = scripted_server(numbered_replies())
    path = tmp_path / "responses.sqlite"
    model = CachedModel(provider_for(server), ResponseCache(path))
    config = GenerateConfig(temperature=0.8)

    first = await model.generate(ASK, config, sample(0))
    again = await model.generate(ASK, config, sample(0))
    other_index = await model.generate(ASK, config, sample(1))
    other_config = await model.generate(ASK, GenerateConfig(temperature=0.2), sample(0))
    other_messages = await model.generate(
        [ChatMessage(role="user", content="write g")], config, sample(0)
    )

    assert (first.text, first.cached) == ("answer 1", False)
    assert (again.text, again.cached) == ("answer 1", True)
    assert again.usage == first.usage
    assert other_index.text == "answer 2" and not other_index.cached
    assert other_config.text == "answer 3" and other_messages.text == "answer 4"
    assert len(server.chat_requests) == 4
    model.cache.close()

    reopened = CachedModel(provider_for(server), ResponseCache(path))
    for index, expected in ((0, "answer 1"), (1, "answer 2")):
        output = await reopened.generate(ASK, config, sample(index))
        assert output.text == expected and output.cached
    assert len(server.chat_requests) == 4  # the rerun made zero model calls
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.cache.close()


async def test_base_url_is_part_of_the_key(
    tmp_path: Path,
    scripted_server: Callable[..., ScriptedServer],
    provider_for: Callable[..., OpenAIProvider],
) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    first_server = scripted_server(lambda _request: "from the first server")
    second_server = scripted_server(lambda _request: "from the second server")
    first = CachedModel(provider_for(first_server), cache)
    second = CachedModel(provider_for(second_server), cache)
    assert (await first.generate(ASK, GenerateConfig(), sample(0))).text == "from the first server"
    assert (
        await second.generate(ASK, GenerateConfig(), sample(0))
    ).text == "from the second server"
    cache.close()


async def test_concurrent_identical_calls_share_one_request(
    tmp_path: Path,
    scripted_server: Callable[..., ScriptedServer],
    provider_for: Callable[..., OpenAIProvider],
) -> None:
    server = scripted_server(numbered_replies(), latency_s=0.1)
    model = CachedModel(provider_for(server), ResponseCache(tmp_path / "c.sqlite"))
    outputs = await asyncio.gather(
        *(model.generate(ASK, GenerateConfig(), sample(i % 2)) for i in range(8))
    )
    assert len(server.chat_requests) == 2
    assert {o.text for o in outputs} == {"answer 1", "answer 2"}
    assert sum(not o.cached for o in outputs) == 2
    model.cache.close()


async def test_failures_are_not_cached(
    tmp_path: Path,
    scripted_server: Callable[..., ScriptedServer],
    provider_for: Callable[..., OpenAIProvider],
) -> None:
    server = scripted_server(failing_first(1, ScriptedError(400, "nope"), "works now"))
    model = CachedModel(provider_for(server), ResponseCache(tmp_path / "c.sqlite"))
    with pytest.raises(ModelCallError):
        await model.generate(ASK, GenerateConfig(), sample(0))
    assert (await model.generate(ASK, GenerateConfig(), sample(0))).text == "works now"
    assert model.cache.info().entries == 1
    model.cache.close()


async def test_cache_cli_info_and_clear(
    tmp_path: Path,
    scripted_server: Callable[..., ScriptedServer],
    provider_for: Callable[..., OpenAIProvider],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "c.sqlite"
    server = scripted_server(numbered_replies())
    model = CachedModel(provider_for(server), ResponseCache(path))
    for index in range(3):
        await model.generate(ASK, GenerateConfig(), sample(index))
    model.cache.close()

    assert main(["cache", "info", "--path", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"entries": 3' in out and '"openai/scripted-model": 3' in out
    assert main(["cache", "clear", "--path", str(path)]) == 0
    assert "removed 3" in capsys.readouterr().out
    reopened = ResponseCache(path)
    assert reopened.info().entries == 0
    reopened.close()
