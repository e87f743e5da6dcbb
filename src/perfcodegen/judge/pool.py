"""The local backend: a pool of lean fork servers on this machine, one per worker; and
`execute_job`, one job on a private fork server (what remote workers run).

Each worker owns one fork server process and one thread that talks to it with blocking pipe
I/O. Workers are pinned one per core (round-robin when there are more workers than cores);
timing jobs also hold their core's lock, so at most one timed job runs on a core at a time,
while correctness-only jobs may use every worker.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from perfcodegen.judge.backend import ALL_MODES
from perfcodegen.judge.client import ForkServerProcess, available_cpus
from perfcodegen.judge.instructions import run_instructions
from perfcodegen.judge.model import JudgeJob, JudgeResult, MeasureMode


class LocalBackend:
    modes = ALL_MODES
    """Instruction counts run in processes of their own (callgrind/perf), the rest on the pool."""

    def __init__(
        self, workers: int | None = None, pin_cpus: bool = True, isolation: str = "full"
    ) -> None:
        cpus = available_cpus()
        self.workers = max(1, workers or len(cpus))
        self._cpus = [cpus[i % len(cpus)] for i in range(self.workers)]
        self.isolation = isolation
        self._servers = [
            ForkServerProcess(cpu if pin_cpus else None, isolation) for cpu in self._cpus
        ]
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="judge-worker")
        self._idle: asyncio.Queue[int] | None = None
        self._core_locks: dict[int, asyncio.Lock] = {}
        self._closed = False
        self._start_lock = asyncio.Lock()

    async def start(self) -> None:
        """Start every fork server (in parallel); `submit` also starts lazily."""
        async with self._start_lock:
            if self._idle is not None:
                return
            loop = asyncio.get_running_loop()
            await asyncio.gather(
                *(loop.run_in_executor(self._executor, s.start) for s in self._servers)
            )
            idle: asyncio.Queue[int] = asyncio.Queue()
            for index in range(self.workers):
                idle.put_nowait(index)
            self._core_locks = {cpu: asyncio.Lock() for cpu in set(self._cpus)}
            self._idle = idle

    @property
    def notes(self) -> list[str]:
        return list(self._servers[0].notes) if self._servers else []

    async def submit(self, job: JudgeJob) -> JudgeResult:
        if self._closed:
            raise RuntimeError("the backend is closed")
        if job.mode is MeasureMode.INSTRUCTIONS:  # callgrind/perf run in their own processes
            return await asyncio.to_thread(run_instructions, job, None, self.isolation)
        if self._idle is None:
            await self.start()
        assert self._idle is not None
        idle = self._idle
        index = await idle.get()
        try:
            if job.mode is MeasureMode.CHECK:
                return await self._run_on(index, job)
            async with self._core_locks[self._cpus[index]]:
                return await self._run_on(index, job)
        finally:
            idle.put_nowait(index)

    async def _run_on(self, index: int, job: JudgeJob) -> JudgeResult:
        """Run in the worker's thread; a cancelled caller still waits for the server to finish."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._servers[index].run_job, job)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._executor, s.close) for s in self._servers)
        )
        self._executor.shutdown(wait=True)


def execute_job(job: JudgeJob, allow_isolation: str = "full") -> JudgeResult:
    """Run one job synchronously with a private, short-lived fork server (remote workers)."""
    if job.mode is MeasureMode.INSTRUCTIONS:
        return run_instructions(job, None, allow_isolation)
    with ForkServerProcess(allow_isolation=allow_isolation) as server:
        return server.run_job(job)
