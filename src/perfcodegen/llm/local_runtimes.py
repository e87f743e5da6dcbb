"""The two runtimes of the ``local`` provider: llama.cpp (llama-cpp-python) and transformers.

Both take one prompt and return ``n`` completions of it. transformers generates them as one
batch (``num_return_sequences``); llama.cpp, which has no batch of samples in its Python API,
generates them one after the other, and reuses the prompt's evaluated tokens (its KV cache
keeps the longest common prefix with the last call), so the prompt is read once, and a
refinement's later turns reuse their conversation's prefix. Greedy decoding (temperature 0)
gives ``n`` equal answers, so it runs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from perfcodegen.errors import require
from perfcodegen.llm.adapters import attach_adapter
from perfcodegen.llm.model import ChatMessage, GenerateConfig

LLAMA_CONTEXT_TOKENS = 8192
"""llama.cpp's context window (prompt plus reply), allocated at load."""


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


Prompt = str | list[ChatMessage]
"""A raw text to continue, or a conversation for the model's chat template."""


class Runtime(Protocol):
    name: str
    has_chat_template: bool

    def complete(
        self, prompt: Prompt, config: GenerateConfig, stops: list[str], n: int
    ) -> list[Completion]: ...


def cut_at_stops(text: str, stops: list[str]) -> tuple[str, bool]:
    cuts = [text.index(stop) for stop in stops if stop in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


class TransformersRuntime:
    """A transformers folder (converted from GGUF, see llm/gguf.py), float32 on the CPU."""

    name = "transformers"

    def __init__(self, folder: str, *, tokenizer_source: str, adapter: Path | None) -> None:
        transformers: Any = require("transformers", "local")
        torch: Any = require("torch", "local")
        self._transformers, self._torch = transformers, torch
        self.tokenizer: Any = transformers.AutoTokenizer.from_pretrained(tokenizer_source)
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        self.model: Any = (model if adapter is None else attach_adapter(model, adapter)).eval()
        self.has_chat_template = bool(getattr(self.tokenizer, "chat_template", None))

    def complete(
        self, prompt: Prompt, config: GenerateConfig, stops: list[str], n: int
    ) -> list[Completion]:
        tokenizer, torch = self.tokenizer, self._torch
        if isinstance(prompt, str):
            input_ids = tokenizer(prompt, return_tensors="pt").input_ids
        else:
            input_ids = tokenizer.apply_chat_template(
                [{"role": m.role, "content": m.content} for m in prompt],
                add_generation_prompt=True, return_tensors="pt", return_dict=False,
            )  # fmt: skip
        sampling = config.temperature > 0
        options: dict[str, Any] = {
            "max_new_tokens": config.max_tokens,
            "do_sample": sampling,
            "num_return_sequences": n if sampling else 1,
            "pad_token_id": (
                tokenizer.eos_token_id if tokenizer.pad_token_id is None else tokenizer.pad_token_id
            ),
        }
        if sampling:
            options.update(temperature=config.temperature, top_p=config.top_p, top_k=0)
        if stops:
            options.update(stop_strings=stops, tokenizer=tokenizer)
        if config.seed is not None:
            self._transformers.set_seed(config.seed)
        with torch.no_grad():
            generated = self.model.generate(
                input_ids, attention_mask=torch.ones_like(input_ids), **options
            )
        prompt_tokens = int(input_ids.shape[-1])
        ends = {options["pad_token_id"], *_as_list(self.model.generation_config.eos_token_id)}
        results = []
        for row in generated[:, prompt_tokens:].tolist():
            length = next((i for i, t in enumerate(row) if t in ends), len(row))
            text, stopped = cut_at_stops(tokenizer.decode(row[:length], skip_special_tokens=True), stops)
            ended = stopped or length < len(row) or len(row) < config.max_tokens
            results.append(Completion(text, prompt_tokens, length, "stop" if ended else "length"))
        return results if sampling else results * n


def _as_list(value: int | list[int] | None) -> list[int]:
    if value is None:
        return []
    return [value] if isinstance(value, int) else list(value)


class LlamaRuntime:
    """A GGUF file through llama-cpp-python (extra ``llama``; it compiles llama.cpp)."""

    name = "llama.cpp"

    def __init__(self, gguf: Path) -> None:
        llama_cpp: Any = require("llama_cpp", "llama")
        self.model: Any = llama_cpp.Llama(
            model_path=str(gguf), n_ctx=LLAMA_CONTEXT_TOKENS, verbose=False
        )
        self.has_chat_template = bool(self.model.metadata.get("tokenizer.chat_template"))

    def complete(
        self, prompt: Prompt, config: GenerateConfig, stops: list[str], n: int
    ) -> list[Completion]:
        sampling = config.temperature > 0
        options: dict[str, Any] = {
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "top_k": 0,  # as transformers above: nucleus sampling only
            "repeat_penalty": 1.0,
            "stop": stops or None,
        }
        results = []
        for index in range(n if sampling else 1):
            seed = None if config.seed is None else config.seed + index
            if isinstance(prompt, str):
                reply = self.model.create_completion(prompt=prompt, seed=seed, **options)
                text = reply["choices"][0]["text"]
            else:
                reply = self.model.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in prompt],
                    seed=seed, **options,
                )  # fmt: skip
                text = reply["choices"][0]["message"]["content"] or ""
            usage = reply.get("usage") or {}
            results.append(
                Completion(
                    text,
                    int(usage.get("prompt_tokens", 0)),
                    int(usage.get("completion_tokens", 0)),
                    str(reply["choices"][0].get("finish_reason") or "stop"),
                )
            )
        return results if sampling else results * n
