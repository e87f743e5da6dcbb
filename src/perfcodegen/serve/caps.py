"""The largest limits a submitter may ask for, as Judge0 enforces them.

Judge0 validates every submission against its configured maxima (`MAX_CPU_TIME_LIMIT`,
`MAX_WALL_TIME_LIMIT`, `MAX_MEMORY_LIMIT`, `MAX_MAX_PROCESSES_AND_OR_THREADS`,
`MAX_MAX_FILE_SIZE`, `MAX_NUMBER_OF_RUNS`) and refuses one that asks for more with 422 and
its validation errors, `{"cpu_time_limit": ["must be less than or equal to 60.0"]}`; nothing
is clamped. `perfcodegen serve` does the same, for Judge0 submissions and for the native
endpoint's jobs, whose limits are the same figures in the judge's own units. The maxima are
options of `perfcodegen serve` and are what `/config_info` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfcodegen.judge.model import JudgeJob, Limits

Errors = dict[str, list[str]]
"""Judge0's (Rails') validation errors: field -> messages."""


@dataclass(frozen=True)
class LimitCaps:
    """Judge0's maxima, in Judge0's units (seconds, kilobytes)."""

    max_cpu_time_limit: float = 60.0
    max_wall_time_limit: float = 60.0
    max_memory_limit: int = 8192 * 1024
    max_max_processes_and_or_threads: int = 64
    max_max_file_size: int = 64 * 1024
    max_number_of_runs: int = 20

    def submission_errors(self, fields: dict[str, float | int | None]) -> Errors:
        """The Judge0 fields (`cpu_time_limit`, ...) above their maximum."""
        maxima: dict[str, float | int] = {
            "cpu_time_limit": self.max_cpu_time_limit,
            "wall_time_limit": self.max_wall_time_limit,
            "memory_limit": self.max_memory_limit,
            "max_processes_and_or_threads": self.max_max_processes_and_or_threads,
            "max_file_size": self.max_max_file_size,
            "number_of_runs": self.max_number_of_runs,
        }
        return {
            name: [f"must be less than or equal to {maximum}"]
            for name, maximum in maxima.items()
            if (value := fields.get(name)) is not None and value > maximum
        }

    def job_errors(self, job: JudgeJob) -> Errors:
        """A native job's limits (and timed runs) above the same maxima."""
        return self.submission_errors(
            {
                "cpu_time_limit": job.limits.cpu_time_s,
                "wall_time_limit": job.limits.wall_time_s,
                "memory_limit": job.limits.memory_mb * 1024,
                "max_processes_and_or_threads": job.limits.max_processes,
                "max_file_size": job.limits.file_size_mb * 1024,
                "number_of_runs": job.repeats,
            }
        )

    def check_defaults(self, limits: Limits) -> None:
        """The service's own defaults must fit its maxima (a one-line error otherwise)."""
        from perfcodegen.errors import PerfCodegenError

        errors = self.submission_errors(
            {
                "cpu_time_limit": limits.cpu_time_s,
                "wall_time_limit": limits.wall_time_s,
                "memory_limit": limits.memory_mb * 1024,
                "max_processes_and_or_threads": limits.max_processes,
                "max_file_size": limits.file_size_mb * 1024,
            }
        )
        if errors:
            raise PerfCodegenError(f"the default limits exceed the maxima: {describe(errors)}")


def describe(errors: Errors) -> str:
    return "; ".join(f"{name} {' and '.join(messages)}" for name, messages in errors.items())
