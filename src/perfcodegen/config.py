"""The resolved configuration of a run (saved as runs/<name>/config.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from perfcodegen.vocabulary.measure import Measure

TIME_LIMIT_FLOOR_S = 1.0
TIME_LIMIT_FACTOR = 4.0
"""EvalPlus's defaults for per-test limits: max(floor, factor x the reference's time)."""


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


class Generation(BaseModel):
    """How samples and later turns are drawn from the model."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    model: str
    """'provider/model', e.g. 'openai/gpt-4o' or 'replay/samples.jsonl'."""
    refine_model: str | None = None
    """Model for refinement turns when `model` can only serve samples (e.g. replay)."""
    k: int = 8
    """Samples per problem (Best@k for every k up to this)."""
    temperature: float | None = 0.8
    """None for runs that draw no samples (`eval` judges given programs)."""
    top_p: float = 0.95
    max_tokens: int = 2048
    seed: int | None = None
    system_prompt: str | None = None
    """A system turn put before every conversation that has none."""
    refine_temperature: float | None = None
    """Temperature of turns a method decodes greedily by default (None: greedy)."""


class MethodSettings(BaseModel):
    """Which method, and the choices it makes."""

    model_config = ConfigDict(frozen=True)

    name: str = "perfcodegen"
    solutions: str | None = None
    """Method 'given' (`perfcodegen eval`): 'reference', a JSONL samples file, or a folder of
    program files in EvalPlus's layout (see `perfcodegen.solutions`)."""
    solutions_sha256: str | None = None
    """The content of `solutions` when the run started: a changed file is a new run."""
    solutions_join: Literal["prompt", "signature"] = "prompt"
    """How a `completion` row joins the prompt (`perfcodegen.solutions.JOINS`)."""
    protocol: str | None = None
    """A named reproduction protocol (perfcodegen.protocols); reports score with its definitions."""
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


class Measurement(BaseModel):
    """How programs are judged and measured."""

    model_config = ConfigDict(frozen=True)

    measure: Measure = Measure.PAIRED
    """How final figures are taken (with their unit, `Measure.unit`); 'none': verdicts only,
    nothing is timed."""
    repeats: int = 12
    """Timed rounds per test with `rounds="fixed"` (the papers' E)."""
    rounds: Literal["adaptive", "fixed"] = "adaptive"
    """'adaptive': paired rounds in batches until each %Opt decision is made or a budget is
    spent (`perfcodegen.measuring.Rounds`); 'fixed': `repeats` rounds (paper protocols)."""
    memory: bool = False
    max_references: int | None = 10
    """At most this many reference (human) solutions are timed per problem (None: all)."""
    timing_tests: Literal["given", "all", "stress", "both"] = "stress"
    """Tests that costliest-test feedback and final timing use (correctness always uses the
    benchmark's own tests): 'given' = the benchmark's own tests, without EvalPlus's generated
    'plus' inputs; 'all' = with them; 'stress' = generated inputs at size levels
    (problems/stress.py; a problem without a generator is timed on its given tests);
    'both' = given and stress."""
    details: bool = False
    """Judge every test of every candidate (per-test details); by default a candidate stops at
    its first failing test, as EvalPlus does without --test-details."""
    strict_types: bool = False
    """Compare outputs type-strictly (a bool is not an int); default: Python's `==`, as the
    benchmarks' own harnesses compare."""
    time_limit_floor_s: float = Field(default=TIME_LIMIT_FLOOR_S, gt=0)
    time_limit_factor: float = Field(default=TIME_LIMIT_FACTOR, gt=0)
    """Check runs get max(floor, factor x the fastest reference's time) per test (EvalPlus's
    rule and defaults); without a passing reference, the judge's default limit."""


SECTIONS: dict[str, type[BaseModel]] = {
    "selection": ProblemSelection,
    "generation": Generation,
    "method": MethodSettings,
    "measurement": Measurement,
}
"""RunConfig's sections. Every field name is unique across them, so a run can also be
described by the flat names alone (`flat_config`): `method` then names the method."""


class RunConfig(BaseModel):
    """Everything that determines a run's results. Rerunning with the same config resumes.

    Nested: which problems (`selection`), how the model is asked (`generation`), which
    method (`method`), how programs are judged (`measurement`). Also accepts the flat layout
    (`RunConfig(name=..., benchmark=..., model=..., k=4)`), which config.json files written
    by earlier versions hold."""

    model_config = ConfigDict(frozen=True)

    name: str
    selection: ProblemSelection
    generation: Generation
    method: MethodSettings = MethodSettings()
    measurement: Measurement = Measurement()

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_fields(cls, data: Any) -> Any:
        """Settings given by their flat names (`k=4`, `method="ecco"`) go to their section."""
        if not isinstance(data, dict) or not any(
            _is_flat(k, v) and k in _FLAT for k, v in data.items()
        ):
            return data
        nested = {k: dict(v) if isinstance(v, dict) else v
                  for k, v in data.items() if not _is_flat(k, v)}  # fmt: skip
        for key, value in data.items():
            if not _is_flat(key, value):
                continue
            if key not in _FLAT:
                raise ValueError(f"unknown run setting {key!r}")
            section = nested.setdefault(_FLAT[key], {})
            if isinstance(section, dict):
                section["name" if key == "method" else key] = value
        return nested

    def with_overrides(self, **changes: object) -> RunConfig:
        """A copy with some settings changed, given by their flat names (`k=4`)."""
        return RunConfig.model_validate({**flat_config(self.model_dump()), **changes})


def _is_flat(key: str, value: Any) -> bool:
    """Whether `key` is given by its flat name: `name` belongs to no section, and `method` is
    flat when it names the method."""
    return key != "name" and (key not in SECTIONS or (key == "method" and isinstance(value, str)))


_FLAT: dict[str, str] = {
    ("method" if (section, key) == ("method", "name") else key): section
    for section, model in SECTIONS.items()
    for key in model.model_fields
}
"""Flat setting name -> its section."""


SETTING_NAMES = frozenset({"name", *_FLAT})
"""Every run setting by its flat name (keyword settings of `perfcodegen.run`, protocols)."""


def config_from_saved(saved: dict[str, Any]) -> RunConfig:
    """The RunConfig of a config.json, nested or in the flat layout of earlier versions; the
    informational keys beside it (versions, template hashes) are left out."""
    known = SETTING_NAMES | SECTIONS.keys()
    return RunConfig.model_validate(flat_config({k: v for k, v in saved.items() if k in known}))


def flat_config(data: dict[str, Any]) -> dict[str, Any]:
    """A config as flat names (the layout of earlier config.json files; `method` is the
    method's name): what resume compares field by field."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict):
            for inner, item in value.items():
                flat["method" if (key, inner) == ("method", "name") else inner] = item
        else:
            flat[key] = value
    if "repeats" in flat:  # written before `rounds` existed: timed with fixed rounds
        flat.setdefault("rounds", "fixed")
    return flat


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
    base_url: str | None = None
    """The model's endpoint (OpenAI-compatible servers; default: OPENAI_BASE_URL). Where a
    model is served does not change what it answers, so a run may resume from another."""
    api_key: str | None = None
    show_progress: bool = True
