"""The three training formats of ECCO §4.3 and their chat layout (docs/finetuning.md).

Every example is one user turn (the prompt) and one assistant turn (the target program, fenced
as the few-shot demonstrations are). The prompts are the ones evaluation shows:

- vanilla: I_eff (edit) or I_gen (nl2code) exactly as `--method instruct` renders them, so a
  vanilla-tuned model is evaluated with `perfcodegen run ... --method instruct`;
- exec: the input program's execution results on the public tests (Fig. 9), then I_eff;
- trajectory: Fig. 14, three earlier programs of one user (slowest, 33rd and 66th percentile).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from perfcodegen.methods.ecco import problem_prompt
from perfcodegen.methods.ecco_examples import origin_of
from perfcodegen.methods.finetuned import exec_prompt, trajectory_prompt
from perfcodegen.vocabulary import Problem

FormatName = Literal["vanilla", "exec", "trajectory"]
Paradigm = Literal["edit", "nl2code"]
FORMATS: tuple[FormatName, ...] = ("vanilla", "exec", "trajectory")
EDIT_ONLY_FORMATS: tuple[FormatName, ...] = ("exec", "trajectory")
"""ECCO conditions these on input programs, which only history-based editing has."""


class TrainingExample(BaseModel):
    """One (prompt, target) pair and where it came from."""

    model_config = ConfigDict(frozen=True)

    id: str
    origin: str
    """The underlying problem (CodeNet id): splits never put one problem on both sides."""
    format: FormatName
    paradigm: Paradigm
    prompt: str
    target: str
    """The assistant turn: the target program in a ```python fence."""

    @property
    def content_key(self) -> str:
        """Equal prompt and target: a duplicate, whatever its id."""
        return hashlib.sha256(f"{self.prompt}\0{self.target}".encode()).hexdigest()

    def chat(self) -> list[dict[str, str]]:
        return [
            {"role": "user", "content": self.prompt},
            {"role": "assistant", "content": self.target},
        ]

    def row(self) -> dict[str, object]:
        """The JSONL / dataset row: chat messages plus provenance."""
        return {
            "id": self.id,
            "origin": self.origin,
            "format": self.format,
            "paradigm": self.paradigm,
            "messages": self.chat(),
        }


def fenced(program: str) -> str:
    return f"```python\n{program.rstrip()}\n```"


def vanilla_example(problem: Problem, paradigm: Paradigm) -> TrainingExample | None:
    """I_eff/I_gen -> the fastest reference; None when the problem lacks one (or is a no-op)."""
    if not problem.references:
        return None
    target = problem.references[0]
    if paradigm == "edit" and (
        problem.input_program is None or problem.input_program.strip() == target.strip()
    ):
        return None
    return TrainingExample(
        id=problem.id,
        origin=origin_of(problem),
        format="vanilla",
        paradigm=paradigm,
        prompt=problem_prompt(problem, paradigm),
        target=fenced(target),
    )


def exec_example(vanilla: TrainingExample, feedback: str) -> TrainingExample:
    """The vanilla edit example conditioned on its input program's execution feedback."""
    return vanilla.model_copy(update={"format": "exec", "prompt": exec_prompt(vanilla.prompt, feedback)})


def trajectory_example(
    example_id: str, origin: str, inputs: Sequence[str], target: str
) -> TrainingExample:
    """Fig. 14: the picked programs (slowest first) -> the user's fastest program."""
    return TrainingExample(
        id=example_id,
        origin=origin,
        format="trajectory",
        paradigm="edit",
        prompt=trajectory_prompt(inputs),
        target=fenced(target),
    )
