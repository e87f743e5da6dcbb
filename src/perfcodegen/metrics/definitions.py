"""One run's headline metrics under each published definition, side by side.

PerfCodeGen's paper and its released code disagree on the final program and on Speedup, and
ECCO's paper and its released evaluation disagree on ties in runtime%; a report shows every
variant in a row of its own so that a reader sees how far the choice moves the number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from perfcodegen.metrics.bestk import View, score_problem, summarize
from perfcodegen.metrics.ecco import generation_metrics
from perfcodegen.metrics.records import ProblemOutcome
from perfcodegen.protocols import PROTOCOLS, PercentileRule, Protocol, Selection


@dataclass(frozen=True)
class DefinitionRow:
    """A metric at budget k under one named definition."""

    k: int
    definition: str
    opt_pct: float | None
    correct_pct: float | None
    speedup: float | None


@dataclass(frozen=True)
class PercentileRow:
    definition: str
    runtime_pct: float | None
    memory_pct: float | None


def _bestk_variants(benchmark: str) -> list[tuple[str, Selection, bool, float | None]]:
    """(label, selection, mean of ratios?, drop threshold) per published definition."""
    code = PROTOCOLS["perfcodegen-code"].metrics
    drop = code.drop_speedup_over if benchmark in code.drop_speedup_benchmarks else None
    released = "released rule, mean of ratios" + (f", >{drop:g}x dropped" if drop else "")
    return [
        ("paper rule, ratio of sums (Eq. 4)", "fastest-refinement", False, None),
        ("paper rule, mean of ratios", "fastest-refinement", True, None),
        (released, "last-round-per-sample", True, drop),
    ]


def best_k_definitions(
    outcomes: Sequence[ProblemOutcome], ks: Sequence[int], view: View, benchmark: str
) -> list[DefinitionRow]:
    rows = []
    for k in ks:
        for label, selection, mean_of_ratios, drop in _bestk_variants(benchmark):
            scores = [score_problem(o, k, view, selection, drop) for o in outcomes]
            m = summarize(scores, k, view)
            speedup = m.speedup_mean_of_ratios if mean_of_ratios else m.speedup
            rows.append(DefinitionRow(k, label, m.opt_pct, m.correct_pct, speedup))
    return rows


PERCENTILE_LABELS: dict[PercentileRule, str] = {
    "strictly-slower": "Eq. 3-4: strictly slower / more memory",
    "released-code": "generate_eval.py: ties count, slower than all = 100%",
}


def percentile_definitions(outcomes: Sequence[ProblemOutcome]) -> list[PercentileRow]:
    rows = []
    for rule, label in PERCENTILE_LABELS.items():
        m = generation_metrics(outcomes, rule)
        rows.append(PercentileRow(label, m.runtime_pct, m.memory_pct))
    return rows


def verified_outcomes(outcomes: Sequence[ProblemOutcome]) -> list[ProblemOutcome]:
    """Problems whose reference passed every test and was timed (a sanitized benchmark)."""
    return [o for o in outcomes if o.reference_time_s is not None]


def percentile_rule(protocol: Protocol | None) -> PercentileRule:
    return protocol.metrics.percentile if protocol is not None else "strictly-slower"
