"""``local`` and ``local/PATH.gguf``: a GGUF model in process, no server, no key (extra ``local``).

``--model local`` is the packaged Gemma 3 270M (base; see llm/gguf.py), a real model to test
the machinery with: it writes Python-shaped code but solves next to nothing, so its scores
say nothing about a method. ``local/PATH.gguf`` is any GGUF file; ``+ADAPTER`` after either
adds a LoRA adapter from `perfcodegen finetune train` (transformers runtime, with peft).

The runtime is llama.cpp when llama-cpp-python is installed (fast; the prompt's KV cache is
reused across samples and turns), else transformers (no compiler needed; the GGUF file is
converted once into a float32 transformers folder in the user cache). ``runtime=`` picks one.
The model loads once, on the first call, and stays with the provider object.

Prompts: a model whose file has a chat template gets chat prompts; a base model gets the
conversation as raw text, primed and stopped at the end of the program (llm/local_prompt.py).

Batching: calls with the same prompt and settings that wait at the same time (the k samples
of a problem, which the methods ask for concurrently) are generated as one batch, not k
calls; one batch runs at a time, in a worker thread, so the event loop stays free for the
judge. Samples of one batch share the seed of its first call (when a seed is set).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Literal

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.adapters import ADAPTER_SEPARATOR, AdaptedModel, parse_adapted_model
from perfcodegen.llm.gguf import (
    LOCAL,
    gguf_path,
    local_runtimes,
    packaged_gguf,
    transformers_folder,
)
from perfcodegen.llm.local_prompt import base_prompt
from perfcodegen.llm.local_runtimes import (
    LlamaRuntime,
    Prompt,
    Runtime,
    TransformersRuntime,
)
from perfcodegen.llm.model import ChatMessage, GenerateConfig, ModelOutput, RequestContext, Usage

RuntimeChoice = Literal["auto", "llama.cpp", "transformers"]
MAX_BATCH = 64
"""At most this many samples of one prompt in one batch."""


@dataclass(eq=False)  # requests compare by identity
class _Request:
    messages: list[ChatMessage]
    config: GenerateConfig
    future: asyncio.Future[ModelOutput]
    key: str = field(init=False)

    def __post_init__(self) -> None:
        settings = self.config.model_dump_json(exclude={"seed"})
        self.key = repr(([(m.role, m.content) for m in self.messages], settings))


class LocalProvider:
    """A GGUF model in this process (see the module docstring)."""

    def __init__(self, model: str = "", *, runtime: RuntimeChoice = "auto") -> None:
        """``model``: '' (the packaged Gemma) or 'PATH.gguf', either followed by '+ADAPTER'."""
        self.model = model
        packaged = not model or model.startswith(ADAPTER_SEPARATOR)
        spec = parse_adapted_model(LOCAL + model if packaged else model)
        self._base, self._adapter = spec.base, spec.adapter
        available = local_runtimes()
        if runtime == "auto":
            if not available:
                raise PerfCodegenError(
                    "the local model needs a runtime: pip install 'perfcodegen[local]'"
                )
            fast = available[0] == "llama.cpp" and self._adapter is None  # no peft in llama.cpp
            runtime = "llama.cpp" if fast else "transformers"
        elif runtime not in available:
            extra = "llama" if runtime == "llama.cpp" else "local"
            raise PerfCodegenError(
                f"the {runtime} runtime is not installed: pip install 'perfcodegen[{extra}]'"
            )
        if runtime == "llama.cpp" and self._adapter is not None:
            raise PerfCodegenError("LoRA adapters run on the transformers runtime, not llama.cpp")
        self.runtime_name: str = runtime
        self._runtime: Runtime | None = None
        self._waiting: list[_Request] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0
        """Generation batches run so far (k samples of one prompt make one)."""

    @property
    def name(self) -> str:
        packaged = not self.model or self.model.startswith(ADAPTER_SEPARATOR)
        return LOCAL + self.model if packaged else f"{LOCAL}/{self.model}"

    def load(self) -> Runtime:
        """The runtime with the model loaded (once per provider object)."""
        if self._runtime is None:
            gguf = packaged_gguf() if self._base == LOCAL else gguf_path(self._base)
            if self.runtime_name == "llama.cpp":
                self._runtime = LlamaRuntime(gguf)
            else:
                folder = str(transformers_folder(gguf))
                adapted = AdaptedModel(folder, self._adapter)  # the tokenizer training saved
                self._runtime = TransformersRuntime(
                    folder, tokenizer_source=adapted.tokenizer_source, adapter=self._adapter
                )
        return self._runtime

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        request = _Request(list(messages), config, asyncio.get_running_loop().create_future())
        self._waiting.append(request)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await request.future

    async def _drain(self) -> None:
        for _ in range(3):  # let the other samples of a problem, asked concurrently, queue up
            await asyncio.sleep(0)
        while self._waiting:
            key = self._waiting[0].key
            batch = [r for r in self._waiting if r.key == key][:MAX_BATCH]
            self._waiting = [r for r in self._waiting if r not in batch]
            batch = [r for r in batch if not r.future.done()]  # a cancelled caller
            if not batch:
                continue
            try:
                outputs = await asyncio.to_thread(self._run_batch, batch[0], len(batch))
            except Exception as exc:
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
            else:
                for request, output in zip(batch, outputs, strict=True):
                    if not request.future.done():
                        request.future.set_result(output)

    def _run_batch(self, first: _Request, n: int) -> list[ModelOutput]:
        runtime = self.load()
        config = first.config
        stops = list(config.stop or [])
        prompt: Prompt = first.messages
        shape = None
        if not runtime.has_chat_template:
            shape = base_prompt(first.messages)
            prompt = shape.text
            stops += [s for s in shape.stops if s not in stops]
            config = config.model_copy(update={"max_tokens": shape.max_tokens(config.max_tokens)})
        started = time.perf_counter()
        completions = runtime.complete(prompt, config, stops, n)
        latency = time.perf_counter() - started
        self.batches += 1
        return [
            ModelOutput(
                text=shape.reply(c.text) if shape is not None else c.text,
                usage=Usage(prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens),
                latency_s=latency,
                finish_reason=c.finish_reason,
            )
            for c in completions
        ]

    async def aclose(self) -> None:
        """Waits for the batches in flight, then lets the model go."""
        if self._worker is not None and not self._worker.done():
            await self._worker
        self._runtime = None
