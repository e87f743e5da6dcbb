"""Records kept in a run directory's database."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from perfcodegen.llm.model import ChatMessage, ModelOutput


class CallRecord(BaseModel):
    """One model call: the conversation sent and the reply."""

    key: str
    problem_id: str
    candidate_id: str | None = None
    purpose: str
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
    phase: str
    """'sample', 'correctness', 'performance' (methods may add their own)."""
    round: int = 0
    method: str
    code: str | None = None
    parse_error: str | None = None
    verdict: str | None = None
    passed: int = 0
    total: int = 0
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.verdict == "passed"


class ProblemRecord(BaseModel):
    """The end state of a problem in a run (written last, so its presence means 'done')."""

    problem_id: str
    status: str
    """'done' or 'error'."""
    result: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
