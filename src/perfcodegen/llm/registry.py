"""Model strings ``provider/model`` -> a ready provider."""

from __future__ import annotations

from pathlib import Path

from perfcodegen.errors import UnknownNameError
from perfcodegen.llm.base import split_spec
from perfcodegen.llm.cache import CachedModel, ResponseCache
from perfcodegen.llm.model import ModelProvider

LOCAL_SERVER_URLS = {
    "ollama": "http://localhost:11434/v1",
    "vllm-server": "http://localhost:8000/v1",
}
"""Default endpoints of the convenience providers (``--base-url`` overrides them)."""

PROVIDERS = (
    "openai", "completions", "ollama", "vllm-server", "vllm", "vllm-base", "hf", "hf-base", "replay",
    "mock", "local",
)
"""``completions``, ``vllm-base`` and ``hf-base`` serve base models: raw prompts, no chat
template (``completions`` through an OpenAI-compatible server's /v1/completions). ``local``
(the packaged Gemma 3 270M) and ``local/PATH.gguf`` run a GGUF file in process."""


def get_model(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    max_connections: int = 32,
    timeout_s: float = 600,
    cache: ResponseCache | None = None,
) -> ModelProvider:
    """Resolve ``spec`` (e.g. 'openai/gpt-4o', 'ollama/llama3', 'replay/samples.jsonl').

    With ``cache`` the provider is wrapped in :class:`CachedModel` (replay never is: its
    answers are already on disk).
    """
    if spec == "local" or spec.startswith("local+"):  # the packaged model[+adapter]
        provider_name, model = "local", spec[len("local") :]
    else:
        provider_name, model = split_spec(spec)
    provider: ModelProvider
    if provider_name in ("openai", "completions", *LOCAL_SERVER_URLS):
        from perfcodegen.llm.openai_provider import PLACEHOLDER_API_KEY, OpenAIProvider

        local_url = LOCAL_SERVER_URLS.get(provider_name)
        provider = OpenAIProvider(
            model,
            provider=provider_name,
            base_url=base_url or local_url,
            api_key=api_key or (PLACEHOLDER_API_KEY if local_url else None),
            max_connections=max_connections,
            timeout_s=timeout_s,
            endpoint="completions" if provider_name == "completions" else "chat",
        )
    elif provider_name in ("vllm", "vllm-base"):
        from perfcodegen.llm.vllm_provider import VLLMProvider

        provider = VLLMProvider(model, raw_prompts=provider_name == "vllm-base")
    elif provider_name in ("hf", "hf-base"):
        from perfcodegen.llm.hf_provider import HFProvider

        provider = HFProvider(model, raw_prompts=provider_name == "hf-base")
    elif provider_name == "local":
        from perfcodegen.llm.local_provider import LocalProvider

        provider = LocalProvider(model)
    elif provider_name == "mock":
        from perfcodegen.llm.mock import MockModel

        provider = MockModel(model=model)
    elif provider_name == "replay":
        from perfcodegen.llm.replay import ReplayProvider

        return ReplayProvider(Path(model))
    else:
        raise UnknownNameError("model provider", provider_name, PROVIDERS)
    return CachedModel(provider, cache) if cache is not None else provider
