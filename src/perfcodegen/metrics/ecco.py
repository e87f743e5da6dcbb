"""ECCO's metrics for its two paradigms (ECCO §3.3).

The output program of a problem is ``final_candidate_id`` when the run recorded one, else the
last candidate recorded (the latest refinement): ECCO scores what the method returns, with no
oracle choice among candidates.

Runtime% and memory% against ECCO's definitions (docs/reproducing.md has the full list):

- Eq. 3-4 count human programs *strictly* slower (more memory); ECCO's released
  generate_eval.py counts ties as slower and, through ``if not percentile``, gives 100% to a
  program slower than every human one. ``PercentileRule`` names both.
- The program's figure: with a spectrum from the dataset (``generate_eval``), the mean time
  per test, as generate_eval.py computes it; with a spectrum re-measured here, the total over
  tests, the same quantity the human programs were measured with.
- Memory: the judge's peak resident memory of the program, where generate_eval.py averages
  Judge0's per-test memory; both are KB.
- Only a program that passes every test is placed on the spectrum (as generate_eval.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from perfcodegen.metrics.records import CandidateOutcome, ProblemOutcome
from perfcodegen.metrics.stats import percent
from perfcodegen.protocols import PercentileRule

DATASET_SPECTRUM = "dataset"


def output_program(outcome: ProblemOutcome) -> CandidateOutcome | None:
    if outcome.final_candidate_id is not None:
        chosen = outcome.candidate(outcome.final_candidate_id)
        if chosen is not None:
            return chosen
    return outcome.candidates[-1] if outcome.candidates else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or numerator <= 0 or denominator <= 0:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class EditPair:
    """One (input, output) pair of history-based editing.

    Speedup and memory reduction are defined only when BOTH programs pass all tests. ECCO's
    released code also scored partially correct outputs; we do not.
    """

    problem_id: str
    output_correct: bool
    speedup: float | None
    """ECCO Eq. 1: input time / output time."""
    memory_reduction: float | None
    """ECCO Eq. 2: input memory / output memory."""

    @property
    def runtime_optimized(self) -> bool:
        return self.speedup is not None and self.speedup > 1.0

    @property
    def memory_optimized(self) -> bool:
        return self.memory_reduction is not None and self.memory_reduction > 1.0


def edit_pair(outcome: ProblemOutcome) -> EditPair:
    output = output_program(outcome)
    both_pass = output is not None and output.correct and outcome.input_correct is True
    speedup = memory = None
    if both_pass and output is not None:
        speedup = _ratio(outcome.input_time_s, output.time_s)
        memory = _ratio(
            float(outcome.input_memory_kb) if outcome.input_memory_kb is not None else None,
            float(output.memory_kb) if output.memory_kb is not None else None,
        )
    return EditPair(
        problem_id=outcome.problem_id,
        output_correct=output is not None and output.correct,
        speedup=speedup,
        memory_reduction=memory,
    )


@dataclass(frozen=True)
class EditMetrics:
    """ECCO Tables 2/3/8 for history-based editing; percentages are 0-100."""

    problems: int
    passed: int
    pass_at_1_pct: float
    speedup: float | None
    """Mean over pairs where both programs pass (ECCO reports the average per pair)."""
    speedup_pairs: int
    memory_reduction: float | None
    memory_pairs: int
    runtime_optimized_pct: float
    """Share of all pairs whose output is faster than the input (failures count as not)."""
    memory_optimized_pct: float


def edit_metrics(outcomes: Sequence[ProblemOutcome]) -> EditMetrics:
    pairs = [edit_pair(o) for o in outcomes]
    speedups = [p.speedup for p in pairs if p.speedup is not None]
    memory = [p.memory_reduction for p in pairs if p.memory_reduction is not None]
    passed = sum(p.output_correct for p in pairs)
    return EditMetrics(
        problems=len(pairs),
        passed=passed,
        pass_at_1_pct=percent(passed, len(pairs)),
        speedup=statistics.fmean(speedups) if speedups else None,
        speedup_pairs=len(speedups),
        memory_reduction=statistics.fmean(memory) if memory else None,
        memory_pairs=len(memory),
        runtime_optimized_pct=percent(sum(p.runtime_optimized for p in pairs), len(pairs)),
        memory_optimized_pct=percent(sum(p.memory_optimized for p in pairs), len(pairs)),
    )


def share_strictly_above(values: Sequence[float], threshold: float) -> float:
    """Percent of ``values`` strictly greater than ``threshold`` (ECCO Eq. 3-4)."""
    return percent(sum(1 for v in values if v > threshold), len(values))


def spectrum_share(values: Sequence[float], figure: float, rule: PercentileRule) -> float:
    """Percent of the spectrum ``values`` the program at ``figure`` beats, by ``rule``."""
    if rule == "strictly-slower":
        return share_strictly_above(values, figure)
    at_or_above = sum(1 for v in values if v >= figure)
    # generate_eval.py: index of the first human figure below the program's, in descending
    # order, over the count; an index of 0 is falsy and becomes 1 (100%).
    return 100.0 if at_or_above == 0 else percent(at_or_above, len(values))


def program_time(output: CandidateOutcome, spectrum_source: str | None) -> float | None:
    """The figure placed on the spectrum: per-test mean against dataset figures, else total."""
    if spectrum_source == DATASET_SPECTRUM and output.per_test_s:
        return statistics.fmean(output.per_test_s)
    return output.time_s


@dataclass(frozen=True)
class SpectrumPosition:
    """Where a correct program lies in the problem's spectrum of human solutions."""

    problem_id: str
    runtime_pct: float | None
    """Percent of human solutions strictly slower than the program (ECCO Eq. 3)."""
    memory_pct: float | None
    """Percent of human solutions using strictly more memory (ECCO Eq. 4)."""
    from_dataset: bool


def spectrum_position(
    outcome: ProblemOutcome, rule: PercentileRule = "strictly-slower"
) -> SpectrumPosition | None:
    """None when the output is incorrect (positions are averaged over correct programs)."""
    output = output_program(outcome)
    if output is None or not output.correct:
        return None
    runtime = memory = None
    figure = program_time(output, outcome.spectrum_source)
    if outcome.spectrum_time_s and figure is not None:
        runtime = spectrum_share(outcome.spectrum_time_s, figure, rule)
    if outcome.spectrum_memory_kb and output.memory_kb is not None:
        memory = spectrum_share(outcome.spectrum_memory_kb, float(output.memory_kb), rule)
    return SpectrumPosition(
        problem_id=outcome.problem_id,
        runtime_pct=runtime,
        memory_pct=memory,
        from_dataset=outcome.spectrum_source == DATASET_SPECTRUM,
    )


@dataclass(frozen=True)
class GenerationMetrics:
    """ECCO Tables 2/3 for NL-instructed generation; percentages are 0-100."""

    problems: int
    passed: int
    pass_at_1_pct: float
    runtime_pct: float | None
    runtime_programs: int
    memory_pct: float | None
    memory_programs: int
    dataset_spectrum_problems: int
    """Problems whose spectrum came from the dataset: absolute figures measured elsewhere,
    so runtime%/memory% are not comparable across machines."""


def generation_metrics(
    outcomes: Sequence[ProblemOutcome], rule: PercentileRule = "strictly-slower"
) -> GenerationMetrics:
    outputs = [output_program(o) for o in outcomes]
    correct = sum(1 for program in outputs if program is not None and program.correct)
    positions = [pos for o in outcomes if (pos := spectrum_position(o, rule)) is not None]
    runtimes = [p.runtime_pct for p in positions if p.runtime_pct is not None]
    memories = [p.memory_pct for p in positions if p.memory_pct is not None]
    return GenerationMetrics(
        problems=len(outcomes),
        passed=correct,
        pass_at_1_pct=percent(correct, len(outcomes)),
        runtime_pct=statistics.fmean(runtimes) if runtimes else None,
        runtime_programs=len(runtimes),
        memory_pct=statistics.fmean(memories) if memories else None,
        memory_programs=len(memories),
        dataset_spectrum_problems=sum(
            1 for o in outcomes if o.spectrum_source == DATASET_SPECTRUM and o.spectrum_time_s
        ),
    )


def has_spectrum(outcomes: Sequence[ProblemOutcome]) -> bool:
    return any(o.spectrum_time_s or o.spectrum_memory_kb for o in outcomes)
