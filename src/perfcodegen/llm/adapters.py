"""LoRA adapters as models: ``hf/<base>+<adapter>`` and ``vllm/<base>+<adapter>``.

The part after the ``+`` is the adapter folder that `perfcodegen finetune train` wrote
(``<out>/adapter``: peft's ``adapter_config.json`` and weights, plus the tokenizer it trained
with). The base is a hub id or a local folder. Imports of peft happen only when loading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcodegen.errors import PerfCodegenError, require

ADAPTER_SEPARATOR = "+"
ADAPTER_CONFIG = "adapter_config.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


@dataclass(frozen=True)
class AdaptedModel:
    base: str
    adapter: Path | None = None

    @property
    def tokenizer_source(self) -> str:
        """The adapter folder when training saved the tokenizer there, else the base."""
        if self.adapter is not None and (self.adapter / TOKENIZER_CONFIG).is_file():
            return str(self.adapter)
        return self.base

    @property
    def lora_rank(self) -> int:
        """The adapter's rank (vLLM must be told the largest rank it will serve)."""
        assert self.adapter is not None
        config = json.loads((self.adapter / ADAPTER_CONFIG).read_text())
        return int(config.get("r", 8))


def parse_adapted_model(model: str) -> AdaptedModel:
    """'base+adapter' -> base and adapter folder; 'base' -> no adapter.

    Either side may contain '+' (hub ids cannot, folders can): the split is at the first '+'
    after which an adapter folder (with adapter_config.json) is named.
    """
    if ADAPTER_SEPARATOR not in model:
        return AdaptedModel(model)
    parts = model.split(ADAPTER_SEPARATOR)
    for cut in range(1, len(parts)):
        base, adapter = ADAPTER_SEPARATOR.join(parts[:cut]), ADAPTER_SEPARATOR.join(parts[cut:])
        if base and adapter and (Path(adapter) / ADAPTER_CONFIG).is_file():
            return AdaptedModel(base, Path(adapter))
    raise PerfCodegenError(
        f"model {model!r}: no LoRA adapter folder (with {ADAPTER_CONFIG}) after a '+'; write "
        "<base>+<the adapter/ folder that `perfcodegen finetune train` wrote>"
    )


def attach_adapter(model: Any, adapter: Path) -> Any:
    """The base model with the LoRA adapter loaded (peft), ready for generation."""
    peft: Any = require("peft", "finetune")
    return peft.PeftModel.from_pretrained(model, str(adapter)).eval()
