"""The resolved configuration of a run (saved as runs/<name>/config.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RunConfig(BaseModel):
    """Everything that determines a run's results. Rerunning with the same config resumes."""

    model_config = ConfigDict(frozen=True)

    name: str
    benchmark: str
    split: str | None = None
    variant: str | None = None
    data: str | None = None
    problems: list[str] = Field(default_factory=list)
    """Problem ids to run (native or full ids); empty = all."""
    limit: int | None = None
    difficulty: str | None = None
    load_options: dict[str, str] = Field(default_factory=dict)
    """Loader-specific options (e.g. PIE's `descriptions=PATH`, ECCO's `tests_dir=PATH`)."""

    model: str
    """'provider/model', e.g. 'openai/gpt-4o' or 'replay/samples.jsonl'."""
    refine_model: str | None = None
    """Model for refinement turns when `model` can only serve samples (e.g. replay)."""
    base_url: str | None = None
    method: str = "perfcodegen"
    paradigm: Literal["nl2code", "edit"] = "nl2code"
    k: int = 8
    """Samples per problem (Best@k for every k up to this)."""
    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 2048
    seed: int | None = None

    feedback_tests: Literal["all", "public"] = "all"
    """Which tests the model may see in feedback (final correctness always uses all tests)."""
    correctness_feedback: Literal["reflect", "direct", "none"] = "reflect"
    """PerfCodeGen correctness phase: reflect-and-plan then refine (paper), direct, or off."""
    ecco_fix: bool = False
    """Keep only problems whose input program is almost correct (passes public, fails private
    tests): ECCO-FIX, Table 7. Needs the edit paradigm."""
    iterations: int = 1
    """Refinement iterations for iterative methods (ECCO: 1 to 4)."""
    few_shot: int = 2
    """Demonstrations for few-shot methods."""

    measure: Literal["paired", "wall", "instructions"] = "paired"
    repeats: int = 12
    memory: bool = False
    max_references: int = 10
    """At most this many reference (human) solutions are timed per problem."""
    timing_tests: Literal["given", "stress", "both"] = "given"
    """Tests that costliest-test feedback and final timing use (stress: generated inputs at
    size levels, see problems/stress.py); correctness always uses every test."""

    def with_overrides(self, **changes: object) -> RunConfig:
        return self.model_copy(update=changes)


class RuntimeOptions(BaseModel):
    """How to run (not what): never changes results, so not part of the saved config."""

    out: Path
    workers: int | None = None
    isolation: Literal["full", "partial", "none"] = "full"
    """The weakest judge sandbox accepted; recorded with every judge result."""
    max_connections: int = 16
    max_problems_in_flight: int = 8
    cache: bool = True
    cache_path: Path | None = None
    api_key: str | None = None
    show_progress: bool = True
