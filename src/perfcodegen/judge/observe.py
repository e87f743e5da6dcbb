"""Values out of the sandbox: call a program's function on arguments and get what it returned.

The judge compares results with expected values and keeps only a short repr of a wrong one.
Stress-input generators and reference solutions need the whole value instead: the generated
input, or the expected output for it. `ValueObserver` runs such calls in the same sandbox as
any candidate (one fresh run process per call, forked from a fork server that never runs the
code), decodes each result with the judge's bounded decoder, and returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import JudgeJob, Limits, MeasureMode
from perfcodegen.judge.verdicts import observation_from_run
from perfcodegen.vocabulary import TestCase


@dataclass(frozen=True)
class Observed:
    """One call's result: its value, or why there is none."""

    value: Any = None
    error: str | None = None
    """`Type: message` of an exception, or the run's ending (timeout, crash, ...)."""

    @property
    def ok(self) -> bool:
        return self.error is None


class ValueObserver:
    """A private fork server for value calls; use as a context manager."""

    def __init__(self, allow_isolation: str = "full") -> None:
        self._server = ForkServerProcess(allow_isolation=allow_isolation)

    def __enter__(self) -> ValueObserver:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()

    @property
    def isolation(self) -> str:
        return self._server.isolation.value

    def call(
        self,
        program: str,
        entry_point: str,
        calls: Sequence[Sequence[Any]],
        limits: Limits | None = None,
        test_setup: str = "",
    ) -> list[Observed]:
        """`entry_point(*args)` of `program` for each argument list, each in a fresh process.

        A program that does not compile gives the same error for every call.
        """
        job = JudgeJob(
            job_id="observe",
            programs=[program],
            entry_point=entry_point,
            tests=[TestCase.call(list(args), None) for args in calls],
            test_setup=test_setup,
            mode=MeasureMode.CHECK,
            limits=limits or Limits(),
            fresh_process_per_test=True,
        )
        error, runs = self._server.raw_runs(job)
        if error is not None:
            text = f"{error.get('type')}: {error.get('message')}"
            return [Observed(error=text) for _ in calls]
        return [_observed(run) for run in runs]


def _observed(run: dict[str, Any]) -> Observed:
    observation = observation_from_run(run)
    status = observation.get("status")
    if status == "value":
        if observation.get("truncated"):
            return Observed(error="OutputLimit: the value is larger than the output limit")
        return Observed(value=observation.get("value"))
    if status == "error":
        details = observation.get("error") or {}
        return Observed(error=f"{details.get('type')}: {details.get('message')}")
    return Observed(error=f"{status}: {observation.get('message') or ''}".strip())
