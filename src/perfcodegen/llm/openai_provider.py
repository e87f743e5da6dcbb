"""Any OpenAI-compatible chat server through the official ``openai`` client.

Covers OpenAI itself, ``vllm serve``, SGLang, Ollama, llama.cpp's server and hosted APIs.
``endpoint="completions"`` (model spec ``completions/<model>``) sends a raw prompt to
``/v1/completions`` instead, for base models that have no chat template.
Concurrency and retries are the model layer's (`llm.base.RequestGate`: exponential backoff
with jitter) and cover rate limits, server errors, timeouts and dropped connections. Requests the server
rejects (400, 401, 404, ...) are not retried: they become a clear ``ModelCallError``.

Before its first request a provider checks, in seconds, that the server answers at all
(``GET /models``), so a server that is down fails at once rather than after minutes of
retries. Each retry is logged on ``RETRY_LOGGER`` (the CLI's progress line shows them). A 200
reply that is not a chat completion raises ``MalformedReplyError``: the problem is recorded
as errored with that message, never scored.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, Literal

import openai

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.base import Failure, ModelCallError, RequestGate
from perfcodegen.llm.base import RetryPolicy as RetryPolicy
from perfcodegen.llm.model import (
    RETRY_LOGGER,
    ChatMessage,
    GenerateConfig,
    ModelOutput,
    RequestContext,
    Usage,
)
from perfcodegen.llm.raw_prompt import raw_prompt

PLACEHOLDER_API_KEY = "EMPTY"
"""Sent to local servers that need no key (the openai client insists on one)."""

_RETRYABLE_STATUS = frozenset({408, 409, 429})

PROBE_TIMEOUT_S = 5.0
"""How long the reachability check waits for `GET /models`."""

log = logging.getLogger(RETRY_LOGGER)


class MalformedReplyError(RuntimeError):
    """The server answered 200 with something that is not a chat completion.

    Not a PerfCodegenError on purpose: the run records it as this problem's error and goes on.
    """


def _reason(exc: BaseException | None) -> str:
    """A few words on why a request failed (for retry lines)."""
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return type(exc).__name__ if exc is not None else "failed"


def is_transient(exc: BaseException) -> bool:
    """Rate limits, 5xx, request timeouts and dropped connections are worth retrying."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _failure(exc: BaseException) -> Failure | None:
    """How the request gate reads a failed request (None: not a request failure)."""
    if isinstance(exc, (openai.APIConnectionError, openai.APIStatusError)):
        return Failure(is_transient(exc), _reason(exc), _retry_after_s(exc))
    return None


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
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if api_key is None and base_url is None:
            raise PerfCodegenError(
                f"{provider}/{model} needs an API key: set OPENAI_API_KEY (or pass --api-key), "
                "or point --base-url (OPENAI_BASE_URL) at a local OpenAI-compatible server"
            )
        if base_url is not None:
            _check_url(base_url)
        self.model = model
        self.provider = provider
        self.endpoint = endpoint
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_API_KEY,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,  # the request gate owns retries
        )
        self.base_url = str(self._client.base_url).rstrip("/")
        self._gate = RequestGate(
            self.name, _failure, max_connections=max_connections, policy=retry
        )
        self._probe_lock = asyncio.Lock()
        self._reachable = False

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.model}"

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        """One chat completion; ``latency_s`` is the successful attempt's request time."""
        await self._ensure_reachable()
        try:
            return await self._gate.call(lambda: self._request_once(messages, config))
        except openai.APIStatusError as exc:
            raise self._describe(exc, transient=is_transient(exc)) from exc
        except openai.APIConnectionError as exc:
            raise ModelCallError(
                f"{self.name}: could not reach {self.base_url} after {self._gate.policy.max_attempts} "
                f"attempts ({type(exc).__name__}: {exc}); is the server running?",
                retryable=True,
            ) from exc

    async def _ensure_reachable(self) -> None:
        if self._reachable:
            return
        async with self._probe_lock:
            if not self._reachable:
                await self.check_reachable()
                self._reachable = True

    async def check_reachable(self) -> None:
        """`GET /models` with a short timeout and no retries: a server that is down, or that
        answers 5xx, fails here in seconds with one clear line. A server without a model
        list (404, 405) passes: only the chat endpoint matters."""
        probe = self._client.with_options(timeout=PROBE_TIMEOUT_S, max_retries=0)
        try:
            await probe.models.list()
        except openai.APIConnectionError as exc:
            raise ModelCallError(
                f"{self.name}: cannot reach {self.base_url} ({_reason(exc)} within "
                f"{PROBE_TIMEOUT_S:g} s); is the server running? (set --base-url or "
                "OPENAI_BASE_URL)",
                retryable=True,
            ) from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise ModelCallError(
                    f"{self.name}: the server at {self.base_url} is unhealthy (GET /models "
                    f"answered HTTP {exc.status_code}: {_server_message(exc)})",
                    status_code=exc.status_code,
                    retryable=True,
                ) from exc
            if exc.status_code in (401, 403):
                raise self._describe(exc, transient=False) from exc

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
        started = time.perf_counter()
        response = await self._client.chat.completions.create(
            model=self.model,
            messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
            **params,
        )
        latency = time.perf_counter() - started
        return self._output(response, latency)

    def _output(self, response: object, latency: float) -> ModelOutput:
        """The reply as a ModelOutput; anything but a chat completion is a MalformedReplyError."""
        try:
            choices = response.choices  # type: ignore[attr-defined]
            if not choices:
                raise MalformedReplyError(f"{self.name}: the server returned no choices")
            choice = choices[0]
            usage = response.usage  # type: ignore[attr-defined]
            text = choice.message.content
            return ModelOutput(
                text=text or "",
                usage=Usage(
                    prompt_tokens=usage.prompt_tokens if usage else 0,
                    completion_tokens=usage.completion_tokens if usage else 0,
                ),
                latency_s=latency,
                finish_reason=choice.finish_reason,
            )
        except (AttributeError, IndexError, TypeError, ValueError) as exc:
            shown = repr(response)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise MalformedReplyError(
                f"{self.name}: the server at {self.base_url} answered 200 with something that "
                f"is not a chat completion ({type(response).__name__}: {shown}); is it an "
                "OpenAI-compatible /v1 endpoint?"
            ) from exc

    async def _complete_once(
        self, messages: list[ChatMessage], params: dict[str, Any]
    ) -> ModelOutput:
        """One ``/v1/completions`` request with the conversation as a raw prompt."""
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
                f"{self._gate.policy.max_attempts} attempts; try again later or lower --max-connections"
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


def _check_url(url: str) -> None:
    """A clear error for a --base-url (or OPENAI_BASE_URL) the HTTP client would choke on."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not url.isprintable():
        raise PerfCodegenError(
            f"--base-url (or OPENAI_BASE_URL) must be an http(s) URL such as "
            f"http://localhost:8000/v1, got {url!r}"
        )


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return exc.message
