"""Where judge jobs run: the `Backend` protocol (`judge.pool.LocalBackend` by default;
`perfcodegen.backends` has the others)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import JudgeJob, JudgeResult, MeasureMode

ALL_MODES = frozenset(MeasureMode)


@runtime_checkable
class Backend(Protocol):
    """Runs judge jobs. Jobs and results are plain picklable pydantic data.

    `modes` lists the job modes the backend runs; the judge refuses a job in any other mode
    (`require_mode`) rather than running it somewhere else."""

    modes: frozenset[MeasureMode]

    async def start(self) -> None:
        """Start workers or connections (idempotent); `submit` may also start lazily."""
        ...

    async def submit(self, job: JudgeJob) -> JudgeResult: ...

    async def aclose(self) -> None: ...


class UnsupportedMode(PerfCodegenError):
    """A job mode the backend cannot run."""


def require_mode(backend: Backend, mode: MeasureMode) -> None:
    """Raise `UnsupportedMode` (one line, for the user) unless `backend` runs `mode` jobs."""
    if mode not in backend.modes:
        runs = ", ".join(m.value for m in MeasureMode if m in backend.modes)
        raise UnsupportedMode(
            f"the {type(backend).__name__} backend cannot run {mode.value!r} jobs (it runs: "
            f"{runs}); choose another --measure, or --backend local"
        )
