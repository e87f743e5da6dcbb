"""Any OpenAI-compatible chat server through the official ``openai`` client.

Covers OpenAI itself, ``vllm serve``, SGLang, Ollama, llama.cpp's server and hosted APIs.
``endpoint="completions"`` (model spec ``completions/<model>``) sends a raw prompt to
``/v1/completions`` instead, for base models that have no chat template.
Concurrency is bounded by a semaphore; retries (tenacity, exponential backoff with jitter)
cover rate limits, server errors, timeouts and dropped connections. Requests the server
rejects (400, 401, 404, ...) are not retried: they become a clear ``ModelCallError``.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass
from typing import Any, Literal

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.base import ModelCallError
from perfcodegen.llm.model import ChatMessage, GenerateConfig, ModelOutput, RequestContext, Usage
from perfcodegen.llm.raw_prompt import raw_prompt

PLACEHOLDER_API_KEY = "EMPTY"
"""Sent to local servers that need no key (the openai client insists on one)."""

_RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry transient failures."""

    max_attempts: int = 8
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    jitter_s: float = 1.0


def is_transient(exc: BaseException) -> bool:
    """Rate limits, 5xx, request timeouts and dropped connections are worth retrying."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _retry_after_s(exc: BaseException | None) -> float | None:
    """The server's Retry-After hint (seconds), when it gave one."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class OpenAIProvider:
    """A chat model behind an OpenAI-compatible endpoint."""

    def __init__(
        self,
        model: str,
        *,
        provider: str = "openai",
        base_url: str | None = None,
        api_key: str | None = None,
        max_connections: int = 32,
        timeout_s: float = 600.0,
        retry: RetryPolicy | None = None,
        endpoint: Literal["chat", "completions"] = "chat",
    ) -> None:
        if max_connections < 1:
            raise PerfCodegenError(f"max_connections must be at least 1, got {max_connections}")
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if api_key is None and base_url is None:
            raise PerfCodegenError(
                f"{provider}/{model} needs an API key: set OPENAI_API_KEY (or pass --api-key), "
                "or point --base-url (OPENAI_BASE_URL) at a local OpenAI-compatible server"
            )
        self.model = model
        self.provider = provider
        self.endpoint = endpoint
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_API_KEY,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,  # tenacity owns retries
        )
        self.base_url = str(self._client.base_url).rstrip("/")
        self._slots = asyncio.Semaphore(max_connections)
        self._retry = retry or RetryPolicy()

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.model}"

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        """One chat completion; ``latency_s`` is the successful attempt's request time."""
        policy = self._retry
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(policy.max_attempts),
            wait=self._backoff,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._request_once(messages, config)
        except openai.APIStatusError as exc:
            raise self._describe(exc, transient=is_transient(exc)) from exc
        except openai.APIConnectionError as exc:
            raise ModelCallError(
                f"{self.name}: could not reach {self.base_url} after {policy.max_attempts} "
                f"attempts ({type(exc).__name__}: {exc}); is the server running?",
                retryable=True,
            ) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _backoff(self, state: RetryCallState) -> float:
        policy = self._retry
        exponential = policy.initial_backoff_s * 2.0 ** (state.attempt_number - 1)
        exponential = min(exponential, policy.max_backoff_s) + random.uniform(0, policy.jitter_s)
        exc = state.outcome.exception() if state.outcome else None
        hint = _retry_after_s(exc)
        return min(max(exponential, hint or 0.0), policy.max_backoff_s)

    async def _request_once(
        self, messages: list[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        params: dict[str, Any] = {
            "temperature": config.temperature,
            "top_p": config.top_p,
            "max_tokens": config.max_tokens,
        }
        if config.seed is not None:
            params["seed"] = config.seed
        if config.stop:
            params["stop"] = list(config.stop)
        if self.endpoint == "completions":
            return await self._complete_once(messages, params)
        async with self._slots:
            started = time.perf_counter()
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                **params,
            )
            latency = time.perf_counter() - started
        if not response.choices:
            raise ModelCallError(f"{self.name}: the server returned no choices")
        choice = response.choices[0]
        usage = response.usage
        return ModelOutput(
            text=choice.message.content or "",
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            latency_s=latency,
            finish_reason=choice.finish_reason,
        )

    async def _complete_once(
        self, messages: list[ChatMessage], params: dict[str, Any]
    ) -> ModelOutput:
        """One ``/v1/completions`` request with the conversation as a raw prompt."""
        async with self._slots:
            started = time.perf_counter()
            response = await self._client.completions.create(
                model=self.model, prompt=raw_prompt(messages), **params
            )
            latency = time.perf_counter() - started
        if not response.choices:
            raise ModelCallError(f"{self.name}: the server returned no choices")
        choice = response.choices[0]
        usage = response.usage
        return ModelOutput(
            text=choice.text or "",
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            latency_s=latency,
            finish_reason=choice.finish_reason,
        )

    def _describe(self, exc: openai.APIStatusError, *, transient: bool) -> ModelCallError:
        status = exc.status_code
        detail = _server_message(exc)
        where = f"the server at {self.base_url}"
        if transient:
            text = (
                f"{self.name}: {where} kept failing (HTTP {status}: {detail}) after "
                f"{self._retry.max_attempts} attempts; try again later or lower --max-connections"
            )
        elif status == 404:
            text = (
                f"model {self.model!r} was not found by {where} (HTTP 404: {detail}); "
                f"check the model name (GET {self.base_url}/models lists what it serves)"
            )
        elif status in (401, 403):
            text = (
                f"{where} refused the credentials for {self.name} (HTTP {status}: {detail}); "
                "check OPENAI_API_KEY or --api-key"
            )
        else:
            text = f"{where} rejected the request for {self.name} (HTTP {status}: {detail})"
        return ModelCallError(text, status_code=status, retryable=transient)

    async def aclose(self) -> None:
        await self._client.close()


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return exc.message
