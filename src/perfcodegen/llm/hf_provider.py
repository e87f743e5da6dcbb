"""``hf/<hf-id-or-path>[+<adapter>]``: in-process transformers generation (extra ``hf``).

``hf/<base>+<adapter folder>`` loads the base model with a LoRA adapter from
`perfcodegen finetune train` (peft, extra ``finetune``; see llm/adapters.py).
``hf/PATH.gguf`` (and ``hf-base/PATH.gguf``) loads a GGUF file: transformers reads it with
``gguf_file=`` (package ``gguf``, extra ``local``) once, into a cached folder (llm/gguf.py).

The chat template of the model formats the conversation (``hf-base/...``: a raw prompt, for
base models without one); generation runs in a worker thread,
one request at a time (a lock), so the event loop stays free for the judge.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from perfcodegen.errors import require
from perfcodegen.llm.adapters import AdaptedModel, attach_adapter, parse_adapted_model
from perfcodegen.llm.gguf import resolve_weights
from perfcodegen.llm.model import ChatMessage, GenerateConfig, ModelOutput, RequestContext, Usage
from perfcodegen.llm.raw_prompt import raw_prompt


class HFProvider:
    """A local model through ``transformers``, loaded on first use."""

    def __init__(self, model: str, *, device_map: str = "auto", raw_prompts: bool = False) -> None:
        self._transformers: Any = require("transformers", "hf")
        self._torch: Any = require("torch", "hf")
        self.model = model
        self._spec = parse_adapted_model(model)
        self.raw_prompts = raw_prompts
        self._device_map = device_map
        self._tokenizer: Any = None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{'hf-base' if self.raw_prompts else 'hf'}/{self.model}"

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        return await asyncio.to_thread(self._generate, messages, config)

    def _load(self) -> None:
        if self._model is None:
            transformers = self._transformers
            # a GGUF file (hf/PATH.gguf): its transformers folder, converted once (llm/gguf.py)
            spec = AdaptedModel(resolve_weights(self._spec.base), self._spec.adapter)
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(spec.tokenizer_source)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                spec.base, torch_dtype="auto", device_map=self._device_map
            )
            self._model = model if spec.adapter is None else attach_adapter(model, spec.adapter)

    def _generate(self, messages: list[ChatMessage], config: GenerateConfig) -> ModelOutput:
        with self._lock:
            self._load()
            tokenizer, model = self._tokenizer, self._model
            if self.raw_prompts:
                input_ids = tokenizer(raw_prompt(messages), return_tensors="pt").input_ids
            else:
                input_ids = tokenizer.apply_chat_template(
                    [{"role": m.role, "content": m.content} for m in messages],
                    add_generation_prompt=True,
                    return_tensors="pt",
                    return_dict=False,  # transformers 5 returns a dict by default
                )
            input_ids = input_ids.to(model.device)
            if config.seed is not None:
                self._transformers.set_seed(config.seed)
            sampling = config.temperature > 0
            options: dict[str, Any] = {"max_new_tokens": config.max_tokens, "do_sample": sampling}
            if sampling:
                options.update(temperature=config.temperature, top_p=config.top_p)
            if config.stop:
                options.update(stop_strings=list(config.stop), tokenizer=tokenizer)
            started = time.perf_counter()
            with self._torch.no_grad():
                generated = model.generate(
                    input_ids, pad_token_id=tokenizer.eos_token_id, **options
                )
            latency = time.perf_counter() - started
        new_tokens = generated[0][input_ids.shape[-1] :]
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        finish_reason = "length" if len(new_tokens) >= config.max_tokens else "stop"
        cuts = [text.index(stop) for stop in config.stop or [] if stop in text]
        if cuts:
            text, finish_reason = text[: min(cuts)], "stop"
        return ModelOutput(
            text=text,
            usage=Usage(prompt_tokens=int(input_ids.shape[-1]), completion_tokens=len(new_tokens)),
            latency_s=latency,
            finish_reason=finish_reason,
        )

    async def aclose(self) -> None:
        self._model = None
        self._tokenizer = None
