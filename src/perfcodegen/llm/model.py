"""Model-facing records and the provider protocol (small and async, after inspect_ai)."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

RETRY_LOGGER = "perfcodegen.llm.retries"
"""Where providers log each retry of a model call (the CLI's progress line shows them)."""


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class GenerateConfig(BaseModel):
    """Sampling parameters, passed through to the provider."""

    model_config = ConfigDict(frozen=True)

    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 1024
    seed: int | None = None
    stop: list[str] | None = None


class RequestContext(BaseModel):
    """Who is asking: lets replay providers and caches tell calls apart."""

    model_config = ConfigDict(frozen=True)

    task_id: str = ""
    """Problem id (full id, e.g. 'humaneval/HumanEval/0')."""
    sample_index: int = 0
    """Index of the sample for sampled calls, so cached outputs stay distinct per index."""
    purpose: str = "sample"
    """'sample' for the first generation of a candidate; other values for refinement turns."""


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ModelOutput(BaseModel):
    text: str
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    finish_reason: str | None = None
    cached: bool = False


@runtime_checkable
class ModelProvider(Protocol):
    """Anything that answers a chat."""

    @property
    def name(self) -> str:
        """'provider/model', e.g. 'openai/gpt-4o'."""
        ...

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput: ...

    async def aclose(self) -> None: ...
