"""How the ``local`` provider (and LoRA training on the same weights) prompts a base model.

A base model has no chat template: it continues text. The conversation is laid out as
:func:`~perfcodegen.llm.raw_prompt.raw_prompt` does for ``hf-base/`` and ``completions/``.
When the last message asks for code in a ```` ```python ```` fence (every code-writing prompt
of the methods says "Wrap it with ```python"; ECCO's few-shot prompts show fenced answers),
the prompt ends with that fence opened, so the model starts writing code at once, and the
reply stops at the end of the program: at the closing fence or at the first top-level
statement that would run at import (``if __name__``, ``print(``, ``assert``). The reply is
then the fenced program, as a chat model would give it, so later turns show the
conversation in the same shape. Turns that ask for prose (reflections, plans) end with a blank
line; a base model's prose has no turn marker to stop at, so it stops at the end-of-sequence
token or after ``PROSE_MAX_TOKENS``, and code that never closes its fence after
``CODE_MAX_TOKENS`` (fewer if the run's ``max_tokens`` is smaller).

A model whose GGUF carries a chat template gets chat prompts instead (none of this applies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from perfcodegen.llm.model import ChatMessage
from perfcodegen.llm.raw_prompt import raw_prompt

CODE_CUE = "```python"
OPEN_FENCE = "```python\n"
CLOSE_FENCE = "\n```"
CODE_STOPS = (CLOSE_FENCE, "\nif __name__", "\nprint(", "\nassert ")
"""Where a program ends: the fence closes, or a top-level statement would run at import."""
PROSE_MAX_TOKENS = 256
"""The most tokens of a base model's prose turn: with no turn marker it would otherwise run
to the run's ``max_tokens`` (2,048 by default, minutes per turn on a CPU) on every reflection
and plan of a refinement."""
CODE_MAX_TOKENS = 512
"""The most tokens of a base model's code turn: every benchmark's reference fits in fewer,
and a base model that has not closed its fence by then is rambling, not finishing a
program."""


@dataclass(frozen=True)
class BasePrompt:
    text: str
    """What the model continues."""
    reply_prefix: str
    """The start of the reply that the prompt already wrote (the opened fence), or ''."""
    stops: tuple[str, ...]

    def max_tokens(self, requested: int) -> int:
        """The reply's token budget: the run's, at most `CODE_MAX_TOKENS` for code and
        `PROSE_MAX_TOKENS` for prose."""
        return min(requested, CODE_MAX_TOKENS if self.reply_prefix else PROSE_MAX_TOKENS)

    def reply(self, completion: str) -> str:
        """The reply as a chat model would give it: the program inside its fence."""
        if not self.reply_prefix:
            return completion
        return self.reply_prefix + completion.rstrip("\n") + CLOSE_FENCE


def base_prompt(messages: Sequence[ChatMessage]) -> BasePrompt:
    text = raw_prompt(messages)
    last = messages[-1] if messages else None
    if last is not None and last.role == "user" and CODE_CUE in last.content:
        return BasePrompt(text + "\n\n" + OPEN_FENCE, OPEN_FENCE, CODE_STOPS)
    return BasePrompt(text + "\n\n", "", ())


def base_training_pair(messages: Sequence[Mapping[str, str]]) -> tuple[str, str]:
    """(prompt, target) of a chat training example, as the ``local`` provider would prompt
    a base model with its first turns and as the reply would continue the prompt."""
    chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]  # type: ignore[arg-type]
    prompt = base_prompt(chat[:-1])
    target = chat[-1].content
    if prompt.reply_prefix and target.startswith(prompt.reply_prefix):
        target = target[len(prompt.reply_prefix) :]
    return prompt.text, target
