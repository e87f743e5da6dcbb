"""Named reproduction protocols: what a paper (or its released code) fixed, as data.

A protocol names the sampling settings, test sets, prompts, selection rule and metric
definitions one published table was computed with. `perfcodegen run --protocol NAME` fills
the run's settings from it (an option given on the command line still wins), the run's
config.json records the protocol's name, and every report prints it and scores the run with
its definitions. `docs/reproducing.md` says, table by table, which protocol to use and what
still differs from the authors' setup.

Two protocols per paper: ``*-paper`` follows the text (equations and appendix), ``*-code``
follows the authors' released code where it differs from the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from perfcodegen.errors import UnknownNameError

PERFCODEGEN_SYSTEM_PROMPT = "You are an excellent code programmer."
"""The system turn the released PerfCodeGen inference.py sends chat models with every sample."""

Selection = Literal["fastest-refinement", "last-round-per-sample"]
SpeedupDefinition = Literal["ratio-of-sums", "mean-of-ratios"]
PercentileRule = Literal["strictly-slower", "released-code"]


class MetricDefinitions(BaseModel):
    """How a protocol scores a finished run (read by the report, never by the run)."""

    model_config = ConfigDict(frozen=True)

    selection: Selection = "fastest-refinement"
    """PerfCodeGen's final program: the paper's fastest correct refinement (else fastest of
    C_correct), or the released code's per-sample last round (else that sample's C_correct
    program) with the minimum over the first k samples."""
    speedup: SpeedupDefinition = "ratio-of-sums"
    """Eq. 4 as printed (sum of reference times / sum of final times), or the released
    code's mean over problems of reference time / final time."""
    drop_speedup_over: float | None = None
    """The released code drops a sample more than this many times faster than the fastest
    reference (100 on HumanEval and MBPP: a sign of a broken timing)."""
    drop_speedup_benchmarks: tuple[str, ...] = ()
    verified_only: bool = False
    """Score only problems whose reference passes every test and was timed: PerfCodeGen's
    sanitized sets (Table IV: APPS 5,000 -> 3,249) and its released code, which skips a
    problem without a timed ground truth."""
    percentile: PercentileRule = "strictly-slower"
    """ECCO runtime%/memory%: Eq. 3-4 (share of human programs strictly slower), or the
    released generate_eval.py (ties count as slower, and a program slower than every human
    one scores 100%, an artefact of `if not percentile`)."""


class Protocol(BaseModel):
    """A named set of run settings and metric definitions."""

    model_config = ConfigDict(frozen=True)

    name: str
    paper: Literal["perfcodegen", "ecco"]
    summary: str
    temperature: float
    top_p: float
    max_tokens: int
    refine_temperature: float | None = None
    """Temperature of turns a method would otherwise decode greedily (ECCO's refinements)."""
    system_prompt: str | None = None
    correctness_prompts: Literal["paper", "by-failure"] = "paper"
    benchmark_settings: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per benchmark: ``split``, ``variant``, ``max_references`` ("all") and loader options
    (``option.NAME``) it fixes."""
    metrics: MetricDefinitions = MetricDefinitions()

    def describe(self) -> str:
        """One line for reports: the protocol and the definitions it scores with."""
        m = self.metrics
        parts = [f"temperature {self.temperature}", f"top_p {self.top_p}"]
        parts.append(f"max_tokens {self.max_tokens}")
        if self.paper == "perfcodegen":
            parts += [f"selection {m.selection}", f"speedup {m.speedup}"]
            if m.drop_speedup_over is not None:
                parts.append(f"drop >{m.drop_speedup_over:g}x on {'/'.join(m.drop_speedup_benchmarks)}")
        else:
            parts.append(f"percentile {m.percentile}")
        return f"Protocol {self.name}: {self.summary} ({'; '.join(parts)})."


_PERFCODEGEN_SETS = {
    "humaneval": {"variant": "base-inputs"},
    "mbpp": {"split": "sanitized", "option.prompt": "signature"},
    "apps": {"max_references": "all"},
}
"""Table IV: HumanEval with EvalPlus base inputs (9.6 tests), MBPP (test) = the 257 sanitized
test problems (3.0 tests), shown the signature rather than the asserts; APPS with every
reference timed (about 27 per problem), not the first 10."""

PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            name="perfcodegen-paper",
            paper="perfcodegen",
            summary="PerfCodeGen as printed: Eq. 3-4, fastest correct refinement",
            temperature=0.7,
            top_p=0.95,
            max_tokens=2048,
            system_prompt=PERFCODEGEN_SYSTEM_PROMPT,
            benchmark_settings=_PERFCODEGEN_SETS,
            metrics=MetricDefinitions(verified_only=True),
        ),
        Protocol(
            name="perfcodegen-code",
            paper="perfcodegen",
            summary="PerfCodeGen's released code: correctness prompts by failure type, mean of "
            "per-problem ratios, per-sample last round, samples >100x faster dropped on "
            "HumanEval/MBPP",
            temperature=0.7,
            top_p=0.95,
            max_tokens=2048,
            system_prompt=PERFCODEGEN_SYSTEM_PROMPT,
            correctness_prompts="by-failure",
            benchmark_settings=_PERFCODEGEN_SETS,
            metrics=MetricDefinitions(
                verified_only=True,
                selection="last-round-per-sample",
                speedup="mean-of-ratios",
                drop_speedup_over=100.0,
                drop_speedup_benchmarks=("humaneval", "mbpp"),
            ),
        ),
        Protocol(
            name="ecco-paper",
            paper="ecco",
            summary="ECCO as printed: Eq. 1-4, App. B decoding (t=0.4, 1,024 tokens)",
            temperature=0.4,
            top_p=1.0,
            max_tokens=1024,
            refine_temperature=0.4,
        ),
        Protocol(
            name="ecco-code",
            paper="ecco",
            summary="ECCO's released generate_eval.py / edit_eval.py definitions",
            temperature=0.4,
            top_p=1.0,
            max_tokens=1024,
            refine_temperature=0.4,
            metrics=MetricDefinitions(percentile="released-code"),
        ),
    )
}

DEFAULT_SAMPLING: dict[str, float | int] = {"temperature": 0.8, "top_p": 0.95, "max_tokens": 2048}
"""Settings of a run without a protocol."""

ECCO_DECODING: dict[str, float | int] = {
    "temperature": 0.4,
    "top_p": 1.0,
    "max_tokens": 1024,
    "refine_temperature": 0.4,
}
"""ECCO's decoding (App. B, inference.py): what ECCO's methods use without a protocol too."""


def get_protocol(name: str) -> Protocol:
    if name not in PROTOCOLS:
        raise UnknownNameError("protocol", name, tuple(PROTOCOLS))
    return PROTOCOLS[name]


def protocol_of(config: Mapping[str, object]) -> Protocol | None:
    """The protocol a saved run config names (None: no protocol, or an unknown one)."""
    name = config.get("protocol")
    return PROTOCOLS.get(name) if isinstance(name, str) else None


def run_settings(
    protocol: Protocol | None,
    benchmark: str,
    explicit: Mapping[str, object],
    method_family: str = "perfcodegen",
) -> dict[str, object]:
    """RunConfig fields: what the user gave explicitly, else the protocol's, else defaults
    (ECCO's decoding for ECCO's methods).

    ``explicit`` holds only options the user set (None values are ignored). Loader options
    are merged, the user's winning key by key.
    """
    given = {key: value for key, value in explicit.items() if value is not None}
    settings: dict[str, object] = dict(
        ECCO_DECODING if method_family == "ecco" else DEFAULT_SAMPLING
    )
    if protocol is not None:
        settings.update(
            temperature=protocol.temperature,
            top_p=protocol.top_p,
            max_tokens=protocol.max_tokens,
            refine_temperature=protocol.refine_temperature,
            system_prompt=protocol.system_prompt,
            correctness_prompts=protocol.correctness_prompts,
            protocol=protocol.name,
        )
        fixed = protocol.benchmark_settings.get(benchmark, {})
        for key in ("split", "variant"):
            if key in fixed:
                settings[key] = fixed[key]
        if "max_references" in fixed:
            settings["max_references"] = None  # "all": every reference is timed
        options = {k.removeprefix("option."): v for k, v in fixed.items() if k.startswith("option.")}
        user_options = given.pop("load_options", {})
        assert isinstance(user_options, dict)
        settings["load_options"] = {**options, **user_options}
    settings.update(given)
    return settings
