"""How the `local` provider prompts a base model, and which model a run without --model gets
(no weights loaded here: tests/llm/test_local_model.py runs the real model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.gguf import adapted_spec, gguf_path
from perfcodegen.llm.local_prompt import (
    CODE_MAX_TOKENS,
    CODE_STOPS,
    PROSE_MAX_TOKENS,
    base_prompt,
    base_training_pair,
)
from perfcodegen.llm.model import ChatMessage

CODE_TURN = ChatMessage(role="user", content="Write add(a, b). Wrap it with ```python.")
PROSE_TURN = ChatMessage(role="user", content="Why did it fail? Propose a strategy.")


def test_a_code_turn_is_primed_with_the_fence_and_stops_at_the_end_of_the_program() -> None:
    prompt = base_prompt([CODE_TURN])
    assert prompt.text == CODE_TURN.content + "\n\n```python\n"
    assert prompt.stops == CODE_STOPS and "\n```" in prompt.stops
    assert prompt.reply("def add(a, b):\n    return a + b\n\n") == (
        "```python\ndef add(a, b):\n    return a + b\n```"
    )


def test_a_prose_turn_is_not_primed_and_the_conversation_is_laid_out_in_order() -> None:
    reply = ChatMessage(role="assistant", content="```python\nx = 1\n```")
    prompt = base_prompt([CODE_TURN, reply, PROSE_TURN])
    assert prompt.text == f"{CODE_TURN.content}\n\n{reply.content}\n\n{PROSE_TURN.content}\n\n"
    assert prompt.reply_prefix == "" and prompt.stops == () and prompt.reply("so") == "so"


def test_turns_of_a_base_model_have_bounded_budgets_within_the_runs() -> None:
    prose, code = base_prompt([PROSE_TURN]), base_prompt([CODE_TURN])
    assert prose.max_tokens(2048) == PROSE_MAX_TOKENS < CODE_MAX_TOKENS
    assert code.max_tokens(2048) == CODE_MAX_TOKENS
    assert prose.max_tokens(100) == code.max_tokens(100) == 100


def test_training_pairs_continue_the_prompt_as_generation_does() -> None:
    rows = [{"role": "user", "content": CODE_TURN.content},
            {"role": "assistant", "content": "```python\nprint(1)\n```"}]  # fmt: skip
    prompt, target = base_training_pair(rows)
    assert prompt == base_prompt([CODE_TURN]).text and target == "print(1)\n```"
    # what the model learns to write, stopped and wrapped as at generation, is the target
    stopped = target[: target.index("\n```")]
    assert base_prompt([CODE_TURN]).reply(stopped) == rows[1]["content"]


def test_model_specs_of_the_local_provider() -> None:
    with pytest.raises(PerfCodegenError, match="not a GGUF file"):
        gguf_path("missing.gguf")
    assert adapted_spec("local", Path("run/adapter")) == "local+run/adapter"
    assert adapted_spec("m.gguf", Path("a")) == "local/m.gguf+a"
    assert adapted_spec("org/model", Path("a")) == "hf/org/model+a"


def test_a_run_with_a_key_but_no_model_asks_for_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "humaneval", "--api-key", "k", "--limit", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--model" in err
