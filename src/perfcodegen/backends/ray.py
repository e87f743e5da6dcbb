"""Run judge jobs on a Ray cluster: one remote task per job, one CPU each.

Jobs and results cross the wire as JSON (pydantic), so workers only need the same
perfcodegen version installed. Each worker runs `perfcodegen.judge.execute_job`, which
gives the job a private fork server on that machine.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from perfcodegen.errors import require
from perfcodegen.judge.backend import Backend
from perfcodegen.judge.model import JudgeJob, JudgeResult


def _execute_job_json(job_json: str) -> str:
    """The remote task body (module level, so Ray pickles it by reference)."""
    from perfcodegen.judge.pool import execute_job

    result: JudgeResult = execute_job(JudgeJob.model_validate_json(job_json))
    return result.model_dump_json()


class RayBackend(Backend):
    """A `Backend` that submits each job as a Ray task.

    `address=None` connects to a running cluster if Ray finds one (RAY_ADDRESS or a local
    head node) and otherwise starts a local Ray instance, which `aclose` shuts down again.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus_per_job: float = 1.0,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        self._ray = cast(Any, require("ray", "ray"))
        self._owns_runtime = not self._ray.is_initialized()
        if self._owns_runtime:
            self._ray.init(address=address, **(init_options or {}))
        self._remote: Any = self._ray.remote(num_cpus=num_cpus_per_job)(_execute_job_json)

    async def submit(self, job: JudgeJob) -> JudgeResult:
        ref = self._remote.remote(job.model_dump_json())
        result_json: str = await ref  # ObjectRef is awaitable
        return JudgeResult.model_validate_json(result_json)

    async def aclose(self) -> None:
        if self._owns_runtime and self._ray.is_initialized():
            await asyncio.to_thread(self._ray.shutdown)
