"""Model-facing records and the provider protocol (small and async, after inspect_ai)."""

from __future__ import annotations

from enum import Enum
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


class Purpose(str, Enum):
    """Why a model is asked: recorded with every call, shown in reports, and what picks the
    provider (samples go to the run's model, every later turn to its refine model)."""

    SAMPLE = "sample"
    CORRECTNESS_REFLECT = "correctness-reflect"
    CORRECTNESS_REFINE = "correctness-refine"
    PERFORMANCE = "performance"
    PERFORMANCE_PLAN = "performance-plan"
    PERFORMANCE_ANALYSIS = "performance-analysis"
    AGENT_PLAN = "agent-plan"
    AGENT_REVIEW = "agent-review"
    ECCO_FEEDBACK = "ecco-feedback"
    ECCO_REFLECT = "ecco-reflect"
    ECCO_REFINE = "ecco-refine"
    OPTIMIZE = "optimize"


class RequestContext(BaseModel):
    """Who is asking: lets replay providers and caches tell calls apart."""

    model_config = ConfigDict(frozen=True)

    task_id: str = ""
    """Problem id (full id, e.g. 'humaneval/HumanEval/0')."""
    sample_index: int = 0
    """Index of the sample for sampled calls, so cached outputs stay distinct per index."""
    purpose: Purpose = Purpose.SAMPLE
    """SAMPLE for the first generation of a candidate; the other purposes are later turns."""


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


@runtime_checkable
class Reachable(Protocol):
    """A provider behind a server, which it can probe before the first call."""

    async def check_reachable(self) -> None: ...


async def check_reachable(model: ModelProvider) -> None:
    """Fail fast, with one clear line, when the model's server cannot be reached (providers
    without a server pass)."""
    if isinstance(model, Reachable):
        await model.check_reachable()
