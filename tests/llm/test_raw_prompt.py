"""Raw prompts for base models, and the providers that use them."""

from __future__ import annotations

import sys

import pytest

from perfcodegen.errors import MissingExtraError
from perfcodegen.llm.model import ChatMessage
from perfcodegen.llm.openai_provider import OpenAIProvider
from perfcodegen.llm.raw_prompt import raw_prompt
from perfcodegen.llm.registry import get_model


def test_single_turn_is_the_text_itself() -> None:
    text = "Optimize the python program below.\n\n## Program:\nprint(1)\n\n## Optimized version:"
    assert raw_prompt([ChatMessage(role="user", content=text)]) == text


def test_turns_are_laid_out_in_order() -> None:
    messages = [
        ChatMessage(role="system", content="You are an excellent code programmer.\n"),
        ChatMessage(role="user", content="Write f."),
        ChatMessage(role="assistant", content="def f(): pass"),
        ChatMessage(role="user", content="Faster."),
    ]
    assert raw_prompt(messages) == (
        "You are an excellent code programmer.\n\nWrite f.\n\ndef f(): pass\n\nFaster."
    )


def test_completions_spec_selects_the_endpoint() -> None:
    provider = get_model("completions/base-model", base_url="http://127.0.0.1:9/v1", api_key="k")
    assert isinstance(provider, OpenAIProvider) and provider.endpoint == "completions"
    assert provider.name == "completions/base-model"


@pytest.mark.parametrize(("spec", "module"), [("hf-base/tiny", "torch"), ("vllm-base/tiny", "vllm")])
def test_in_process_base_providers_need_their_extra(
    spec: str, module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as in an install without the extra
    with pytest.raises(MissingExtraError, match="install"):
        get_model(spec)
