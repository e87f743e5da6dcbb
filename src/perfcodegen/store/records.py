"""Records kept in a run directory's database."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from perfcodegen.judge.model import Verdict
from perfcodegen.llm.model import ChatMessage, ModelOutput, Purpose


class Phase(str, Enum):
    """Where a candidate comes from in a method's lineage."""

    SAMPLE = "sample"
    """A root: drawn from the model (or given, for `eval`)."""
    CORRECTNESS = "correctness"
    """A fix of a failing sample (PerfCodeGen's correctness phase)."""
    PERFORMANCE = "performance"
    """A speed-up refinement (PerfCodeGen's performance phase and its variants)."""
    REFINE = "refine"
    """An ECCO refinement iteration."""
    INPUT = "input"
    """History-based editing: the input program itself (fine-tuning data)."""


class CallRecord(BaseModel):
    """One model call: the conversation sent and the reply."""

    key: str
    problem_id: str
    candidate_id: str | None = None
    purpose: Purpose
    model: str
    messages: list[ChatMessage]
    output: ModelOutput


class CandidateRecord(BaseModel):
    """One program, with its lineage: samples are roots, refinements point to a parent."""

    id: str
    problem_id: str
    sample_index: int
    """Index of the root sample this candidate descends from (Best@k uses samples < k)."""
    parent_id: str | None = None
    phase: Phase
    round: int = 0
    method: str
    code: str | None = None
    parse_error: str | None = None
    verdict: Verdict | None = None
    passed: int = 0
    total: int = 0
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.verdict is Verdict.PASSED


class ProblemRecord(BaseModel):
    """The end state of a problem in a run (written last, so its presence means 'done')."""

    problem_id: str
    status: str
    """'done' or 'error'."""
    result: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
