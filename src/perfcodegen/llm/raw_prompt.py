"""Raw-prompt formatting for base (non-chat) models.

A base model has no chat template: it continues text. ECCO's released code prompts its base
models (Table 6) with the instruction text itself, unwrapped; every ECCO turn is a single
message, so the raw prompt is that message. Longer conversations (a system turn, earlier
turns) are laid out in order, separated by blank lines, which keeps the instruction's own
"## Solution:" style cue as the last thing the model reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from perfcodegen.llm.model import ChatMessage

BASE_PROVIDER_SUFFIX = "-base"
"""``hf-base/...`` and ``vllm-base/...``: the in-process providers with raw prompts."""


def raw_prompt(messages: Sequence[ChatMessage]) -> str:
    return "\n\n".join(m.content.strip("\n") for m in messages if m.content)
