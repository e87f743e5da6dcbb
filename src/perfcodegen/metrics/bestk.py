"""PerfCodeGen's Best@k metrics: %Correct, %Opt (Eq. 3), Speedup (Eq. 4) and pass@k.

One run gives two views of the same problems:

- ``base``: only the first k sampled programs (phase 'sample'); the final program is the
  fastest correct one.
- ``method``: the paper's rule (Section II-B) over candidates with sample_index < k: the
  fastest correct refinement (any phase other than 'sample'/'correctness') when one exists,
  even if an unrefined program was faster; else the fastest correct program of C_correct;
  else the problem is unsolved.

The released code (evaluate_prompt.py) differs, and `Selection`/`speedup_over_ratios` offer its
choices by name (see perfcodegen.protocols): per sample it takes the last refinement round if
that is correct, else the sample's C_correct program, then the fastest over the first k
samples; it may drop samples more than 100x faster than the reference; and its Speedup is the
mean over problems of reference time / final time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from perfcodegen.errors import PerfCodegenError
from perfcodegen.metrics.correctness import pass_at_k
from perfcodegen.metrics.records import SAMPLE_PHASE, CandidateOutcome, ProblemOutcome
from perfcodegen.metrics.stats import percent
from perfcodegen.protocols import Selection

DEFAULT_KS = (1, 8, 20)
OPT_FACTOR = 0.9
"""Eq. 3: optimized means total time below 0.9 x the fastest reference's total time."""


class View(str, Enum):
    BASE = "base"
    METHOD = "method"


@dataclass(frozen=True)
class ProblemScore:
    """One problem's final program at a given k and view, reduced to what the metrics need."""

    problem_id: str
    solved: bool
    final_time_s: float | None = None
    reference_time_s: float | None = None
    decision: str | None = None
    """The final program's %Opt decision from its ratio interval (`judge.stats.Decision`)."""
    ratio: tuple[float, float, float] | None = None
    """(ratio, low, high): final time / the fastest reference's, with its 95% interval."""
    rounds: int | None = None
    timing_failure: str | None = None

    @property
    def timed(self) -> bool:
        """Solved, and both the final program and the reference have positive total times."""
        return (
            self.solved
            and self.final_time_s is not None
            and self.reference_time_s is not None
            and self.final_time_s > 0
            and self.reference_time_s > 0
        )

    @property
    def optimized(self) -> bool:
        return (
            self.timed
            and self.final_time_s is not None
            and self.reference_time_s is not None
            and self.final_time_s < OPT_FACTOR * self.reference_time_s
        )


@dataclass(frozen=True)
class BestKMetrics:
    """Best@k figures of one view of one run; percentages are 0-100."""

    k: int
    view: str
    problems: int
    solved: int
    correct_pct: float
    opt_problems: int
    """Denominator of %Opt: all problems, or those of the subset present in the run."""
    optimized: int
    opt_pct: float
    speedup: float | None
    """Eq. 4: sum of reference times / sum of final-program times (a ratio of sums)."""
    speedup_problems: int
    pass_at_k_pct: float | None = None
    speedup_mean_of_ratios: float | None = None
    """The released code's Speedup: mean over timed problems of reference / final time."""
    decisions: dict[str, int] = field(default_factory=dict)
    """%Opt as decisions over the solved problems in scope: how many final programs are
    'optimized', 'not_optimized', 'undecided' (interval straddles 0.9) or 'unresolved';
    'no interval' where none was measured (fixed-E runs of earlier versions, instructions)."""

    def with_pass_at_k(self, value: float | None) -> BestKMetrics:
        return replace(self, pass_at_k_pct=value)


def default_ks(samples: int) -> list[int]:
    """The paper's budgets {1, 8, 20} that do not exceed the samples drawn."""
    return [k for k in DEFAULT_KS if k <= samples]


def check_k(k: int, samples: int) -> None:
    if k < 1:
        raise PerfCodegenError(f"k must be at least 1 (got {k})")
    if k > samples:
        raise PerfCodegenError(f"Best@{k} needs {k} samples per problem; the run drew {samples}")


def _fastest(candidates: Iterable[CandidateOutcome]) -> CandidateOutcome | None:
    """The candidate with the smallest total time; untimed ones rank last, ties keep order."""
    return min(
        candidates,
        key=lambda c: c.time_s if c.time_s is not None else math.inf,
        default=None,
    )


def final_program(
    outcome: ProblemOutcome,
    k: int,
    view: View,
    selection: Selection = "fastest-refinement",
    drop_over: float | None = None,
) -> CandidateOutcome | None:
    """The program a view reports for a problem at budget k (None: unsolved).

    ``drop_over``: ignore programs more than this many times faster than the reference.
    """
    if drop_over is not None and outcome.reference_time_s:
        reference = outcome.reference_time_s
        outcome = outcome.model_copy(
            update={
                "candidates": [
                    c for c in outcome.candidates
                    if c.time_s is None or c.time_s <= 0 or reference / c.time_s <= drop_over
                ]
            }
        )
    if selection == "last-round-per-sample":
        picks = (_released_pick(outcome, index, view) for index in range(k))
        return _fastest(p for p in picks if p is not None)
    correct = [c for c in outcome.candidates if c.sample_index < k and c.correct]
    if view is View.BASE:
        return _fastest(c for c in correct if c.phase == SAMPLE_PHASE)
    refined = [c for c in correct if c.is_refinement]
    return _fastest(refined) if refined else _fastest(correct)


def _released_pick(outcome: ProblemOutcome, index: int, view: View) -> CandidateOutcome | None:
    """One sample's program under the released rule: its last refinement round when correct,
    else its C_correct program (the sample, or its correctness fix); Base: the sample."""
    own = [c for c in outcome.candidates if c.sample_index == index]
    if view is View.BASE:
        return next((c for c in own if c.phase == SAMPLE_PHASE and c.correct), None)
    refinements = [c for c in own if c.is_refinement]
    if refinements:
        last = max(reversed(refinements), key=lambda c: c.round)
        if last.correct:
            return last
    c_correct = [c for c in own if not c.is_refinement and c.correct]
    return c_correct[-1] if c_correct else None


def score_problem(
    outcome: ProblemOutcome,
    k: int,
    view: View,
    selection: Selection = "fastest-refinement",
    drop_over: float | None = None,
) -> ProblemScore:
    final = final_program(outcome, k, view, selection, drop_over)
    interval = None
    if final is not None and None not in (final.ratio, final.ratio_low, final.ratio_high):
        interval = (final.ratio or 0.0, final.ratio_low or 0.0, final.ratio_high or 0.0)
    return ProblemScore(
        problem_id=outcome.problem_id,
        solved=final is not None,
        final_time_s=final.time_s if final else None,
        reference_time_s=outcome.reference_time_s,
        decision=final.decision if final else None,
        ratio=interval,
        rounds=final.rounds if final else None,
        timing_failure=final.timing_failure if final else None,
    )


def summarize(
    scores: Sequence[ProblemScore],
    k: int,
    view: View,
    subset: Collection[str] | None = None,
) -> BestKMetrics:
    """%Correct over all problems; %Opt and Speedup over ``subset`` when given (else all)."""
    in_scope = [s for s in scores if subset is None or s.problem_id in subset]
    timed = [s for s in in_scope if s.timed]
    final_total = sum(s.final_time_s for s in timed if s.final_time_s is not None)
    reference_total = sum(s.reference_time_s for s in timed if s.reference_time_s is not None)
    solved = sum(s.solved for s in scores)
    optimized = sum(s.optimized for s in in_scope)
    return BestKMetrics(
        k=k,
        view=view.value,
        problems=len(scores),
        solved=solved,
        correct_pct=percent(solved, len(scores)),
        opt_problems=len(in_scope),
        optimized=optimized,
        opt_pct=percent(optimized, len(in_scope)),
        speedup=reference_total / final_total if timed and final_total > 0 else None,
        speedup_problems=len(timed),
        speedup_mean_of_ratios=speedup_over_ratios(timed),
        decisions=decision_counts(in_scope),
    )


DECISIONS = ("optimized", "not_optimized", "undecided", "unresolved", "no interval")


def decision_counts(scores: Iterable[ProblemScore]) -> dict[str, int]:
    """How many solved problems' final programs have each %Opt decision (`DECISIONS`; a
    program whose timing failed counts under 'no interval')."""
    counts = Counter(s.decision or "no interval" for s in scores if s.solved)
    return {name: counts[name] for name in DECISIONS} if counts else {}


def speedup_over_ratios(scores: Iterable[ProblemScore]) -> float | None:
    """Mean over timed problems of reference time / final time (the released code's Speedup)."""
    ratios = [
        s.reference_time_s / s.final_time_s
        for s in scores
        if s.timed and s.reference_time_s is not None and s.final_time_s is not None
    ]
    return sum(ratios) / len(ratios) if ratios else None


def mean_pass_at_k(outcomes: Sequence[ProblemOutcome], k: int) -> float | None:
    """Unbiased pass@k (percent) over the sampled programs, averaged over problems.

    n is the samples drawn for the problem; a problem with fewer than k samples (e.g. one that
    errored) counts its missing samples as failures, so n = max(drawn, k).
    """
    if not outcomes:
        return None
    total = 0.0
    for outcome in outcomes:
        n = max(outcome.samples_drawn, k)
        c = sum(1 for x in outcome.candidates if x.phase == SAMPLE_PHASE and x.correct)
        total += pass_at_k(n, c, k)
    return 100.0 * total / len(outcomes)


def best_at_k(
    outcomes: Sequence[ProblemOutcome],
    k: int,
    view: View,
    subset: Collection[str] | None = None,
) -> BestKMetrics:
    scores = [score_problem(o, k, view) for o in outcomes]
    metrics = summarize(scores, k, view, subset)
    return metrics.with_pass_at_k(mean_pass_at_k(outcomes, k))


def solved_by_all(score_lists: Iterable[Sequence[ProblemScore]]) -> frozenset[str]:
    """Problems solved in every score list (the paper's common subset for %Opt)."""
    common: set[str] | None = None
    for scores in score_lists:
        solved = {s.problem_id for s in scores if s.solved}
        common = solved if common is None else common & solved
    return frozenset(common or ())
