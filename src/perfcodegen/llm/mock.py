"""`mock/<name>`: a model that answers from a script, for hermetic tests and dry runs (after
inspect_ai's mockllm).

With no script it answers every call with `DEFAULT_OUTPUT`. A script is a list of replies
(consumed in order; running out is an error) or a function of (messages, context) -> reply,
which can answer by problem, sample index and turn purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.model import (
    ChatMessage,
    GenerateConfig,
    ModelOutput,
    RequestContext,
    Usage,
)

DEFAULT_OUTPUT = "Default output from the mock model."

Responder = Callable[[list[ChatMessage], RequestContext], str]


class MockModel:
    def __init__(
        self, outputs: Iterable[str] | Responder | None = None, *, model: str = "model"
    ) -> None:
        self.model = model
        self.calls: list[tuple[list[ChatMessage], RequestContext]] = []
        self._responder = outputs if callable(outputs) else None
        self._queue = None if outputs is None or callable(outputs) else list(outputs)

    @property
    def name(self) -> str:
        return f"mock/{self.model}"

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        self.calls.append((list(messages), context))
        if self._responder is not None:
            text = self._responder(list(messages), context)
        elif self._queue is None:
            text = DEFAULT_OUTPUT
        elif self._queue:
            text = self._queue.pop(0)
        else:
            raise PerfCodegenError(
                f"{self.name} has no scripted reply left (call {len(self.calls)}, "
                f"{context.purpose.value} for {context.task_id or 'a task'})"
            )
        prompt_words = sum(len(m.content.split()) for m in messages)
        return ModelOutput(
            text=text,
            usage=Usage(prompt_tokens=prompt_words, completion_tokens=len(text.split())),
            finish_reason="stop",
        )

    async def aclose(self) -> None:
        return None
