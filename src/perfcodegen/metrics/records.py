"""What a finished problem leaves behind for scoring: its candidates with their final timings.

The pipeline stores ``ProblemOutcome.model_dump(mode="json")`` as a ``ProblemRecord``'s
``result``; every metric is a pure function over these records.
"""

from __future__ import annotations

from pydantic import BaseModel

from perfcodegen.judge.model import Verdict
from perfcodegen.store.records import Phase
from perfcodegen.vocabulary.measure import unit_of

SAMPLE_PHASE = Phase.SAMPLE
CORRECTNESS_PHASE = Phase.CORRECTNESS
PERFORMANCE_PHASE = Phase.PERFORMANCE


class CandidateOutcome(BaseModel):
    """One program of a problem, judged; times come from the final paired timing session."""

    candidate_id: str
    sample_index: int
    """Root sample it descends from (Best@k keeps candidates with sample_index < k)."""
    phase: Phase
    round: int = 0
    correct: bool
    verdict: Verdict | None = None
    """The final verdict on all tests ('passed', 'wrong_answer', 'timeout', ...)."""
    passed: int = 0
    total: int = 0
    time_s: float | None = None
    """Total over tests of trimmed-mean times (Eq. 1 summed over tests)."""
    per_test_s: list[float] | None = None
    memory_kb: int | None = None
    ratio: float | None = None
    """Paired mode: time / the fastest reference's, geometric mean over paired rounds of the
    resolved tests (`judge.stats`); `ratio_low`..`ratio_high` is its 95% interval."""
    ratio_low: float | None = None
    ratio_high: float | None = None
    decision: str | None = None
    """%Opt as a decision: 'optimized', 'not_optimized', 'undecided' (the interval straddles
    the threshold) or 'unresolved' (no test above the harness's resolution)."""
    rounds: int | None = None
    """Timed runs per test behind `time_s` (pooled over batches)."""
    per_test_ratio: list[list[float] | None] | None = None
    """Per timing test: [ratio, low, high], or None where unresolved."""
    unresolved_tests: int = 0
    timing_failure: str | None = None
    """Why the program has no time although it is correct (a time-out on a stress input);
    its verdict and pass@k are the benchmark's own tests' and do not change."""

    @property
    def is_refinement(self) -> bool:
        """A performance-style refinement: any phase other than 'sample' and 'correctness'."""
        return self.phase not in (SAMPLE_PHASE, CORRECTNESS_PHASE)


class ProblemOutcome(BaseModel):
    problem_id: str
    reference_time_s: float | None = None
    """Fastest reference, timed in the same paired session as the candidates."""
    reference_per_test_s: list[float] | None = None
    reference_memory_kb: int | None = None
    input_time_s: float | None = None
    """History-based editing: the input (slow) program."""
    input_memory_kb: int | None = None
    input_correct: bool | None = None
    spectrum_time_s: list[float] | None = None
    """ECCO NL generation: the human solutions' times."""
    spectrum_memory_kb: list[float] | None = None
    spectrum_source: str | None = None
    """'measured' (re-run on this machine) | 'dataset' (figures from the dataset)."""
    candidates: list[CandidateOutcome]
    measure: str = "paired"
    """How `*time_s` figures were taken ('paired', 'wall'); with 'instructions' they hold
    instruction counts (see `cost_unit`)."""
    timing_tests: str = "all"
    """Which tests the times cover ('base' or 'all'; see RunConfig.timing_tests)."""
    timing_test_count: int | None = None
    timed_level: int | None = None
    """The stress level the figures come from (smaller levels that left a decision open are
    not kept); None: the given tests."""
    resolution_s: float | None = None
    """The smallest net time per test that counts (the harness's measured spread)."""
    timing_cpu_s: float | None = None
    """CPU seconds the timed runs of this problem took (harness included)."""
    final_candidate_id: str | None = None
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def cost_unit(self) -> str:
        """'s' for times, 'instructions' for instruction counts (`Measure.unit`; an untimed
        run's, which has no figures, is 's')."""
        return unit_of(self.measure) or "s"

    @property
    def samples_drawn(self) -> int:
        return sum(1 for c in self.candidates if c.phase == SAMPLE_PHASE)

    def candidate(self, candidate_id: str) -> CandidateOutcome | None:
        return next((c for c in self.candidates if c.candidate_id == candidate_id), None)
