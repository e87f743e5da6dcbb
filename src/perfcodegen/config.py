"""The resolved configuration of a run (saved as runs/<name>/config.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ProblemSelection(BaseModel):
    """Which problems: a benchmark, how to load it, and which of its problems."""

    model_config = ConfigDict(frozen=True)

    benchmark: str
    split: str | None = None
    variant: str | None = None
    data: str | None = None
    problems: list[str] = Field(default_factory=list)
    """Problem ids (native or full ids); empty = all."""
    limit: int | None = None
    difficulty: str | None = None
    load_options: dict[str, str] = Field(default_factory=dict)
    """Loader-specific options (e.g. PIE's `descriptions=PATH`, ECCO's `tests_dir=PATH`)."""
    paradigm: Literal["nl2code", "edit"] = "nl2code"
    """ECCO keeps each paradigm in its own subset: it picks the default variant."""


class RunConfig(ProblemSelection):
    """Everything that determines a run's results. Rerunning with the same config resumes.

    The problem selection's fields come first (`ProblemSelection`); `selection` returns them."""

    model_config = ConfigDict(frozen=True)

    name: str

    model: str
    """'provider/model', e.g. 'openai/gpt-4o' or 'replay/samples.jsonl'."""
    refine_model: str | None = None
    """Model for refinement turns when `model` can only serve samples (e.g. replay)."""
    base_url: str | None = None
    method: str = "perfcodegen"
    solutions: str | None = None
    """Method 'given' (`perfcodegen eval`): 'reference', a JSONL samples file, or a folder of
    program files in EvalPlus's layout (see `perfcodegen.solutions`)."""
    solutions_sha256: str | None = None
    """The content of `solutions` when the run started: a changed file is a new run."""
    k: int = 8
    """Samples per problem (Best@k for every k up to this)."""
    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 2048
    seed: int | None = None
    protocol: str | None = None
    """A named reproduction protocol (perfcodegen.protocols); reports score with its definitions."""
    system_prompt: str | None = None
    """A system turn put before every conversation that has none."""
    refine_temperature: float | None = None
    """Temperature of turns a method decodes greedily by default (None: greedy)."""

    feedback_tests: Literal["all", "public"] = "all"
    """Which tests the model may see in feedback (final correctness always uses all tests)."""
    correctness_feedback: Literal["reflect", "direct", "none"] = "reflect"
    """PerfCodeGen correctness phase: reflect-and-plan then refine (paper), direct, or off."""
    correctness_prompts: Literal["paper", "by-failure"] = "paper"
    """The paper's one correctness prompt (test and error), or the released code's three, chosen
    by failure type (wrong answer: the test; crash: test and error; syntax error or timeout)."""
    ecco_fix: bool = False
    """Keep only problems whose input program is almost correct (passes public, fails private
    tests): ECCO-FIX, Table 7. Needs the edit paradigm."""
    iterations: int = 1
    """Refinement iterations for iterative methods (ECCO: 1 to 4)."""
    few_shot: int = 2
    """Demonstrations for few-shot methods."""

    details: bool = False
    """Judge every test of every candidate (per-test details); by default a candidate stops at
    its first failing test, as EvalPlus does without --test-details."""
    strict_types: bool = False
    """Compare outputs type-strictly (a bool is not an int); default: Python's `==`, as the
    benchmarks' own harnesses compare."""
    time_limit_floor_s: float = Field(default=1.0, gt=0)
    time_limit_factor: float = Field(default=4.0, gt=0)
    """Check runs get max(floor, factor x the fastest reference's time) per test (EvalPlus's
    rule and defaults); without a passing reference, the judge's default limit."""
    timing_tests: Literal["given", "all", "stress", "both"] = "given"
    """Tests that costliest-test feedback and final timing use (correctness always uses every
    test): 'given' = the benchmark's own tests, without EvalPlus's generated 'plus' inputs;
    'all' = with them; 'stress' = generated inputs at size levels (problems/stress.py);
    'both' = given and stress."""

    measure: Literal["paired", "wall", "instructions", "none"] = "paired"
    """How final figures are taken; 'none': verdicts only, nothing is timed."""
    repeats: int = 12
    memory: bool = False
    max_references: int | None = 10
    """At most this many reference (human) solutions are timed per problem (None: all)."""

    @property
    def selection(self) -> ProblemSelection:
        return ProblemSelection.model_validate(
            {key: getattr(self, key) for key in ProblemSelection.model_fields}
        )

    def with_overrides(self, **changes: object) -> RunConfig:
        return self.model_copy(update=changes)


class RuntimeOptions(BaseModel):
    """How to run (not what): never changes results, so not part of the saved config."""

    out: Path
    workers: int | None = None
    isolation: Literal["full", "partial", "none"] = "full"
    """The weakest judge sandbox accepted; recorded with every judge result."""
    backend: Literal["local", "ray", "judge0"] = "local"
    """Where judge jobs run (perfcodegen.backends.open_backend)."""
    ray_address: str | None = None
    judge0_url: str | None = None
    judge0_key: str | None = None
    max_connections: int = 16
    max_problems_in_flight: int = 8
    cache: bool = True
    """Use the persistent response cache (`cache_path`) and the shared check results of the
    benchmarks' own programs (`reference_cache_path`, `store.shared`)."""
    cache_path: Path | None = None
    reference_cache_path: Path | None = None
    api_key: str | None = None
    show_progress: bool = True
