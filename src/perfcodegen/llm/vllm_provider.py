"""``vllm/<hf-id-or-path>[+<adapter>]``: in-process vLLM batch generation (extra ``vllm``).

``vllm/<base>+<adapter folder>`` serves the base with LoRA enabled and sends every request
with a ``LoRARequest`` for the adapter (written against vLLM's documented API; not run here).

``vllm-base/...`` sends raw prompts through ``LLM.generate`` (base models, no chat template).
Concurrent ``generate()`` calls are queued and flushed together as one ``LLM.chat`` batch per
distinct set of sampling parameters, run in a worker thread so the event loop keeps going
(the judge keeps judging while the GPU generates).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from perfcodegen.errors import require
from perfcodegen.llm.adapters import parse_adapted_model
from perfcodegen.llm.model import ChatMessage, GenerateConfig, ModelOutput, RequestContext, Usage
from perfcodegen.llm.raw_prompt import raw_prompt


@dataclass
class _Pending:
    messages: list[ChatMessage]
    config: GenerateConfig
    future: asyncio.Future[ModelOutput]


class VLLMProvider:
    """A local model served by vLLM's offline ``LLM`` engine, loaded on first use."""

    def __init__(
        self,
        model: str,
        *,
        engine_options: dict[str, Any] | None = None,
        raw_prompts: bool = False,
    ) -> None:
        """``engine_options`` go to ``vllm.LLM`` (e.g. tensor_parallel_size, max_model_len)."""
        self._vllm: Any = require("vllm", "vllm")
        self.model = model
        self._spec = parse_adapted_model(model)
        self.raw_prompts = raw_prompts
        self._engine_options = dict(engine_options or {})
        self._lora_request: Any = None
        if self._spec.adapter is not None:
            self._engine_options.setdefault("enable_lora", True)
            self._engine_options.setdefault("max_lora_rank", self._spec.lora_rank)
            lora: Any = require("vllm.lora.request", "vllm")
            self._lora_request = lora.LoRARequest("adapter", 1, str(self._spec.adapter))
        self._llm: Any = None
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return f"{'vllm-base' if self.raw_prompts else 'vllm'}/{self.model}"

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        future: asyncio.Future[ModelOutput] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(messages, config, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            await asyncio.sleep(0)  # let the callers scheduled alongside join this batch
            batch, self._queue = self._queue, []
            groups: dict[str, list[_Pending]] = {}
            for item in batch:
                groups.setdefault(item.config.model_dump_json(), []).append(item)
            for items in groups.values():
                try:
                    outputs = await asyncio.to_thread(self._run_batch, items)
                except Exception as exc:
                    for item in items:
                        if not item.future.done():
                            item.future.set_exception(exc)
                    continue
                for item, output in zip(items, outputs, strict=True):
                    if not item.future.done():
                        item.future.set_result(output)

    def _run_batch(self, items: list[_Pending]) -> list[ModelOutput]:
        if self._llm is None:
            self._llm = self._vllm.LLM(
                model=self._spec.base, tokenizer=self._spec.tokenizer_source,
                **self._engine_options,
            )
        config = items[0].config
        params = self._vllm.SamplingParams(
            n=1,
            temperature=config.temperature,
            top_p=config.top_p,
            max_tokens=config.max_tokens,
            seed=config.seed,
            stop=list(config.stop) if config.stop else None,
        )
        started = time.perf_counter()
        if self.raw_prompts:
            prompts = [raw_prompt(item.messages) for item in items]
            results = self._llm.generate(
                prompts, params, use_tqdm=False, lora_request=self._lora_request
            )
        else:
            conversations = [
                [{"role": m.role, "content": m.content} for m in item.messages] for item in items
            ]
            results = self._llm.chat(
                conversations, params, use_tqdm=False, lora_request=self._lora_request
            )
        elapsed = time.perf_counter() - started
        outputs = []
        for result in results:
            completion = result.outputs[0]
            outputs.append(
                ModelOutput(
                    text=completion.text,
                    usage=Usage(
                        prompt_tokens=len(result.prompt_token_ids or []),
                        completion_tokens=len(completion.token_ids or []),
                    ),
                    latency_s=elapsed,
                    finish_reason=completion.finish_reason,
                )
            )
        return outputs

    async def aclose(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        self._llm = None
