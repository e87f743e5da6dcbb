"""Where judge jobs run: the `Backend` protocol (`judge.pool.LocalBackend` by default;
`perfcodegen.backends` has the others)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from perfcodegen.judge.model import JudgeJob, JudgeResult


@runtime_checkable
class Backend(Protocol):
    """Runs judge jobs. Jobs and results are plain picklable pydantic data."""

    async def submit(self, job: JudgeJob) -> JudgeResult: ...

    async def aclose(self) -> None: ...
