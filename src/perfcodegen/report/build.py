"""Assemble report data (plain dataclasses, JSON-ready) from loaded runs.

`report` gives each run a Table-I section (Base vs the method per k) and/or ECCO sections;
`compare` puts several runs side by side with z-tests and bootstrap intervals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from perfcodegen.errors import PerfCodegenError
from perfcodegen.methods.registry import get_method_info
from perfcodegen.metrics.bestk import (
    BestKMetrics,
    ProblemScore,
    View,
    check_k,
    default_ks,
    mean_pass_at_k,
    score_problem,
    solved_by_all,
    summarize,
)
from perfcodegen.metrics.cost import Cost, run_cost
from perfcodegen.metrics.definitions import (
    DefinitionRow,
    PercentileRow,
    best_k_definitions,
    percentile_definitions,
    percentile_rule,
    verified_outcomes,
)
from perfcodegen.metrics.ecco import (
    EditMetrics,
    GenerationMetrics,
    edit_metrics,
    generation_metrics,
    has_spectrum,
)
from perfcodegen.metrics.run import RunData
from perfcodegen.metrics.samples import timed_tests_note
from perfcodegen.metrics.stats import (
    DEFAULT_RESAMPLES,
    ConfidenceInterval,
    ZTest,
    bootstrap_cis,
    two_proportion_z_test,
)

BASE_METHOD = "base"

EDIT_NOTE = (
    "ECCO speedup and memory reduction are means over pairs where BOTH the input and the "
    "output pass all tests (ECCO's code also counted partially correct outputs; we do not)."
)
BEST_K_NOTE = (
    "%Opt: final program's total time < 0.9 x the fastest reference's (Eq. 3); Speedup: "
    "sum of reference times / sum of final-program times over solved problems (Eq. 4); "
    "pass@k: unbiased estimate over the n raw samples, before refinement (Base row only). "
    "%Opt decisions o/n/u/r: the final program's ratio to the fastest reference has a 95% "
    "interval (Student t on per-round log ratios of paired runs); o(ptimized) when it lies "
    "below 0.9, n(ot optimized) when at or above, u(ndecided) when it straddles 0.9, "
    "u(n)r(esolved) when no test runs above the harness's measured resolution."
)


@dataclass(frozen=True)
class BestKRow:
    """Table I at one k: Base and the method, with the method's gain and its significance."""

    k: int
    base: BestKMetrics
    method: BestKMetrics | None
    opt_test: ZTest | None = None
    """Pooled z-test of %Opt, base vs method (negative z: the method is better)."""
    correct_test: ZTest | None = None
    subset_size: int | None = None


@dataclass(frozen=True)
class RunReport:
    name: str
    path: str
    benchmark: str
    model: str
    method: str
    paradigm: str
    samples: int
    problems: int
    errored: int
    best_k: list[BestKRow]
    edit: EditMetrics | None
    generation: GenerationMetrics | None
    cost: Cost
    notes: list[str] = field(default_factory=list)
    speedups: list[float] = field(default_factory=list)
    """Per-problem reference/final time ratios (method view, largest k), for plots."""
    errors: dict[str, str] = field(default_factory=dict)
    """Errored problems (id -> error): listed apart, not scored."""
    protocol: str | None = None
    best_k_definitions: list[DefinitionRow] = field(default_factory=list)
    """%Opt/%Correct/Speedup per k under the paper's and the released code's definitions."""
    percentile_definitions: list[PercentileRow] = field(default_factory=list)
    ratios: list[ProblemScore] = field(default_factory=list)
    """Per problem (method view, largest k): the final program's ratio to the fastest
    reference with its interval and %Opt decision."""


def method_family(method: str) -> str:
    """'perfcodegen' or 'ecco' as the method registry says; unknown names count as PerfCodeGen."""
    try:
        return get_method_info(method).family
    except PerfCodegenError:
        return "perfcodegen"


def wants_best_k(run: RunData) -> bool:
    """Table I: PerfCodeGen-family runs outside the editing paradigm. ECCO's methods return
    their last iteration, not the paper's fastest refinement, so they get ECCO tables."""
    return run.paradigm != "edit" and method_family(run.method) != "ecco"


def wants_generation(run: RunData) -> bool:
    """ECCO's NL-generation table: ECCO methods, or any run with a solution spectrum."""
    if run.paradigm == "edit":
        return False
    return method_family(run.method) == "ecco" or has_spectrum(run.outcomes)


def views(run: RunData) -> list[View]:
    """Base alone for runs without refinements (`base`, and `given` programs judged by
    `eval`); Base and the method otherwise."""
    if run.method == BASE_METHOD or method_family(run.method) == "judge":
        return [View.BASE]
    return [View.BASE, View.METHOD]


def scores(run: RunData, k: int, view: View) -> list[ProblemScore]:
    return [score_problem(o, k, view) for o in run.outcomes]


def resolve_ks(runs: Sequence[RunData], ks: Sequence[int] | None) -> list[int]:
    """The requested budgets (each checked against every run), else {1, 8, 20} up to the
    smallest sample count plus that count itself (a run with -k 4 shows Best@4)."""
    if ks:
        for run in runs:
            for k in ks:
                check_k(k, run.samples)
        return sorted(set(ks))
    samples = min(run.samples for run in runs)
    if samples < 1:
        raise PerfCodegenError("the runs drew no samples; nothing to score")
    return sorted({*default_ks(samples), samples})


def scored_only(run: RunData) -> RunData:
    """The run without its errored problems: an error is listed apart, never scored as if the
    model had failed the problem."""
    if not run.errored:
        return run
    failed = set(run.errored)
    kept = [outcome for outcome in run.outcomes if outcome.problem_id not in failed]
    return dataclasses.replace(run, outcomes=kept)


def common_subset(runs: Sequence[RunData], k: int) -> frozenset[str]:
    """Problems solved by every run and every view at budget k (the paper's subset); an
    empty subset is refused (%Opt and Speedup would rest on no problem)."""
    subset = solved_by_all(scores(run, k, view) for run in runs for view in views(run))
    if not subset:
        raise PerfCodegenError(
            f"--common-subset: no problem is solved by every run and view at k={k}, so %Opt "
            "and Speedup would rest on 0 problems; compare without --common-subset"
        )
    return subset


def _best_k_row(run: RunData, k: int, subset: frozenset[str] | None) -> BestKRow:
    pass_k = mean_pass_at_k(run.outcomes, k)
    rows = {
        # pass@k is a property of the k raw samples (before any refinement): Base row only.
        view: summarize(scores(run, k, view), k, view, subset).with_pass_at_k(
            pass_k if view is View.BASE else None
        )
        for view in views(run)
    }
    base, method = rows[View.BASE], rows.get(View.METHOD)
    opt_test = correct_test = None
    if method is not None and base.opt_problems and base.problems:
        opt_test = two_proportion_z_test(
            base.optimized, base.opt_problems, method.optimized, method.opt_problems
        )
        correct_test = two_proportion_z_test(
            base.solved, base.problems, method.solved, method.problems
        )
    return BestKRow(
        k=k,
        base=base,
        method=method,
        opt_test=opt_test,
        correct_test=correct_test,
        subset_size=len(subset) if subset is not None else None,
    )


def _run_notes(run: RunData, report_edit: bool, generation: GenerationMetrics | None) -> list[str]:
    notes = []
    if wants_best_k(run):
        notes.append(BEST_K_NOTE)
        if not any(o.reference_time_s for o in run.outcomes):
            notes.append("No reference timings recorded: %Opt and Speedup are undefined.")
        if (timed := timed_tests_note(run.outcomes)) is not None:
            notes.append(timed)
    if report_edit:
        notes.append(EDIT_NOTE)
    if generation is not None and generation.dataset_spectrum_problems:
        notes.append(
            f"WARNING: the human-solution spectrum of {generation.dataset_spectrum_problems} "
            "problem(s) comes from the dataset (measured on other hardware): runtime% and "
            "memory% are not comparable across machines."
        )
    if run.errored:
        notes.append(
            f"{len(run.errored)} problem(s) ended in an error and are not scored "
            "(listed apart); rerun the same command to retry them."
        )
    return notes


def build_run_report(
    run: RunData, ks: Sequence[int], subsets: dict[int, frozenset[str]] | None = None
) -> RunReport:
    from perfcodegen.protocols import protocol_of

    protocol = protocol_of(run.config)
    left_out = 0
    if protocol is not None and protocol.metrics.verified_only:
        kept = verified_outcomes(run.outcomes)
        left_out = len(run.outcomes) - len(kept)
        run = dataclasses.replace(run, outcomes=kept)
    scored = bool(run.outcomes)  # every problem errored: nothing to score, not 0%
    best_k = (
        [_best_k_row(run, k, (subsets or {}).get(k)) for k in ks]
        if scored and wants_best_k(run)
        else []
    )
    report_edit = scored and run.paradigm == "edit"
    rule = percentile_rule(protocol)
    generation = (
        generation_metrics(run.outcomes, rule) if scored and wants_generation(run) else None
    )
    notes = _run_notes(run, report_edit, generation) if scored else []
    if not scored:
        notes.append("No problem finished without an error: nothing is scored.")
    if protocol is not None:
        notes.insert(0, protocol.describe())
    if left_out:
        notes.insert(1, f"{left_out} problem(s) without a reference that passes every test "
                     "are left out, as the protocol's sanitized benchmarks do.")
    benchmark = str(run.config.get("benchmark", ""))
    if subsets:
        sizes = ", ".join(f"{len(s)} at k={k}" for k, s in sorted(subsets.items()))
        notes.append(f"%Opt and Speedup on the problems every run and view solved ({sizes}).")
    top_scores = scores(run, max(ks), views(run)[-1]) if best_k else []
    speedups = [
        s.reference_time_s / s.final_time_s
        for s in top_scores
        if s.timed and s.reference_time_s is not None and s.final_time_s is not None
    ]
    return RunReport(
        name=run.name,
        path=str(run.path),
        benchmark=str(run.config.get("benchmark", "")),
        model=str(run.config.get("model", "")),
        method=run.method,
        paradigm=run.paradigm,
        samples=run.samples,
        problems=len(run.outcomes),
        errored=len(run.errored),
        best_k=best_k,
        edit=edit_metrics(run.outcomes) if report_edit else None,
        generation=generation,
        cost=run_cost(run.outcomes),
        notes=notes,
        speedups=speedups,
        errors={pid: run.error_messages.get(pid, "error") for pid in run.errored},
        protocol=protocol.name if protocol is not None else None,
        best_k_definitions=best_k_definitions(run.outcomes, ks, views(run)[-1], benchmark)
        if best_k
        else [],
        percentile_definitions=percentile_definitions(run.outcomes) if generation else [],
        ratios=[s for s in top_scores if s.solved],
    )


def build_run_reports(
    runs: Sequence[RunData], ks: Sequence[int] | None = None, common: bool = False
) -> list[RunReport]:
    runs = [scored_only(run) for run in runs]
    best_k_runs = [run for run in runs if run.outcomes and wants_best_k(run)]
    chosen = resolve_ks(best_k_runs, ks) if best_k_runs else []
    subsets = {k: common_subset(best_k_runs, k) for k in chosen} if common else None
    return [build_run_report(run, chosen, subsets) for run in runs]


@dataclass(frozen=True)
class CompareEntry:
    """One run in a Table-II style comparison (its method view), against the first run."""

    run: str
    method: str
    metrics: BestKMetrics
    opt_delta: float | None
    correct_delta: float | None
    opt_test: ZTest | None
    correct_test: ZTest | None
    opt_ci: ConfidenceInterval | None
    correct_ci: ConfidenceInterval | None
    speedup_ci: ConfidenceInterval | None


@dataclass(frozen=True)
class CompareAtK:
    k: int
    subset_size: int | None
    entries: list[CompareEntry]


@dataclass(frozen=True)
class EccoEntry:
    run: str
    method: str
    paradigm: str
    edit: EditMetrics | None
    generation: GenerationMetrics | None
    pass_test: ZTest | None
    """pass@1 against the first run of the same paradigm."""


@dataclass(frozen=True)
class CompareReport:
    runs: list[str]
    best_k: list[CompareAtK]
    ecco: list[EccoEntry]
    costs: dict[str, Cost]
    resamples: int
    seed: int
    notes: list[str] = field(default_factory=list)


def _compare_entry(
    run: RunData,
    k: int,
    subset: frozenset[str] | None,
    first: BestKMetrics | None,
    resamples: int,
    seed: int,
) -> CompareEntry:
    view = views(run)[-1]
    run_scores = scores(run, k, view)
    metrics = summarize(run_scores, k, view, subset).with_pass_at_k(mean_pass_at_k(run.outcomes, k))
    cis = bootstrap_cis(
        run_scores,
        {
            "opt": lambda s: summarize(s, k, view, subset).opt_pct,
            "correct": lambda s: summarize(s, k, view).correct_pct,
            "speedup": lambda s: summarize(s, k, view, subset).speedup,
        },
        resamples=resamples,
        seed=seed,
    )
    is_first = first is None
    reference = metrics if first is None else first
    return CompareEntry(
        run=run.name,
        method=run.method,
        metrics=metrics,
        opt_delta=None if is_first else metrics.opt_pct - reference.opt_pct,
        correct_delta=None if is_first else metrics.correct_pct - reference.correct_pct,
        opt_test=None
        if is_first or not metrics.opt_problems
        else two_proportion_z_test(
            reference.optimized, reference.opt_problems, metrics.optimized, metrics.opt_problems
        ),
        correct_test=None
        if is_first
        else two_proportion_z_test(
            reference.solved, reference.problems, metrics.solved, metrics.problems
        ),
        opt_ci=cis["opt"],
        correct_ci=cis["correct"],
        speedup_ci=cis["speedup"],
    )


def _ecco_entries(runs: Sequence[RunData]) -> list[EccoEntry]:
    entries: list[EccoEntry] = []
    first_of_paradigm: dict[str, EditMetrics | GenerationMetrics] = {}
    for run in runs:
        edit = edit_metrics(run.outcomes) if run.paradigm == "edit" else None
        generation = generation_metrics(run.outcomes) if wants_generation(run) else None
        scored = edit or generation
        if scored is None:
            continue
        first = first_of_paradigm.setdefault(run.paradigm, scored)
        test = (
            None
            if first is scored
            else two_proportion_z_test(first.passed, first.problems, scored.passed, scored.problems)
        )
        entries.append(EccoEntry(run.name, run.method, run.paradigm, edit, generation, test))
    return entries


def build_compare_report(
    runs: Sequence[RunData],
    ks: Sequence[int] | None = None,
    common: bool = False,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> CompareReport:
    if len(runs) < 2:
        raise PerfCodegenError("compare needs at least two runs")
    runs = [scored_only(run) for run in runs]
    best_k_runs = [run for run in runs if wants_best_k(run)]
    best_k: list[CompareAtK] = []
    if best_k_runs:
        for k in resolve_ks(best_k_runs, ks):
            subset = common_subset(best_k_runs, k) if common else None
            entries: list[CompareEntry] = []
            for run in best_k_runs:
                first = entries[0].metrics if entries else None
                entries.append(_compare_entry(run, k, subset, first, resamples, seed))
            best_k.append(CompareAtK(k, len(subset) if subset is not None else None, entries))
    notes = [BEST_K_NOTE] if best_k else []
    notes.append(
        "z: pooled two-proportion z-test against the first run (negative: this run is "
        f"better); CI: {resamples}-resample percentile bootstrap over problems, 95%."
    )
    from perfcodegen.protocols import protocol_of

    for run in runs:
        if (protocol := protocol_of(run.config)) is not None:
            notes.append(f"{run.name}: {protocol.describe()}")
    ecco = _ecco_entries(runs)
    if any(e.edit for e in ecco):
        notes.append(EDIT_NOTE)
    if any(e.generation and e.generation.dataset_spectrum_problems for e in ecco):
        notes.append(
            "WARNING: some spectra come from the dataset (other hardware): runtime% and "
            "memory% are not comparable across machines."
        )
    return CompareReport(
        runs=[run.name for run in runs],
        best_k=best_k,
        ecco=ecco,
        costs={run.name: run_cost(run.outcomes) for run in runs},
        resamples=resamples,
        seed=seed,
        notes=notes,
    )
