"""Run judge jobs on a Ray cluster: one actor per CPU, each owning a fork server.

Every actor holds one `ForkServerProcess` for its whole life, exactly as a local worker
does, so the sandbox and the measurement protocol (docs/judge.md) are the same code on every
node; a figure does not depend on the backend. Jobs and results cross the wire as JSON
(pydantic), so workers need only the same perfcodegen version installed.

An actor runs one job at a time (Ray's default for a synchronous actor) and asks Ray for one
CPU, so timed jobs never share a core, as locally. Results stream back as each call finishes:
a call holds one timed job, or up to `CHECK_BATCH` verdict-only jobs when that many are
waiting. When an actor dies in the middle of a call (its node lost, its process killed), Ray
restarts it and the call's jobs are sent again to the next free actor: no job is lost, and
since a dead actor returns nothing, no job yields two results.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from perfcodegen.errors import PerfCodegenError, require
from perfcodegen.judge.backend import ALL_MODES
from perfcodegen.judge.model import JudgeJob, JudgeResult, MeasureMode

log = logging.getLogger(__name__)

SHARES_PER_SLOT = 4
"""A call takes at most 1/`SHARES_PER_SLOT` of an even share of the waiting jobs per call
slot: one slow job then holds few others behind it, while the other actors go on."""

CHECK_BATCH = 8
"""The most verdict-only jobs one actor call carries. A Ray call costs about as much CPU, in
the driver, the actor and the raylet, as checking a small job: on HumanEval's references,
one job per call gave 0.85 of the local backend's throughput and eight per call 1.12
(measured side by side, docs/scale-out.md). Timed jobs run long enough to go one per call,
which also spreads them evenly over the actors."""


class JudgeWorker:
    """The body of a Ray actor: a long-lived fork server on the actor's node, pinned to a
    core of its own when one is free (as local workers are: unpinned, the same runs cost
    about 7% more CPU and, on a busy machine, a third of the throughput; bench/scale_out.py)."""

    def __init__(self, isolation: str) -> None:
        from perfcodegen.judge.client import ForkServerProcess

        self._isolation = isolation
        self._niceness = _unnice()
        self._cpu_claim, cpu = _claim_cpu()
        self._server = ForkServerProcess(cpu, isolation)
        self._server.start()

    def niceness(self) -> int:
        """The nice value the fork server and its runs inherited (0 unless it could not be
        restored, see `_unnice`)."""
        return self._niceness

    def cpu(self) -> int | None:
        return self._server.cpu

    def pid(self) -> int:
        return os.getpid()

    def run_many(self, jobs_json: list[str]) -> list[str]:
        """Several jobs, one after another, in one call (see `CHECK_BATCH`)."""
        return [self.run(job_json) for job_json in jobs_json]

    def run(self, job_json: str) -> str:
        job = JudgeJob.model_validate_json(job_json)
        if job.mode is MeasureMode.INSTRUCTIONS:
            from perfcodegen.judge.instructions import run_instructions

            return run_instructions(job, None, self._isolation).model_dump_json()
        return self._server.run_job(job).model_dump_json()


def _unnice() -> int:
    """Undo Ray's nice value for worker processes (15 by default, `worker_niceness`) before
    the fork server starts: at 15, every run loses its core to any other process that wants
    it, which slowed checks by a third against the local backend (bench/scale_out.py) and
    would make wall-clock figures depend on the backend. Lowering it needs CAP_SYS_NICE (root)
    or RLIMIT_NICE; otherwise the value stays and is returned (the backend warns)."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if current > 0:
        with contextlib.suppress(PermissionError):
            os.setpriority(os.PRIO_PROCESS, 0, 0)
    return os.getpriority(os.PRIO_PROCESS, 0)


def _claim_cpu() -> tuple[IO[bytes] | None, int | None]:
    """A core of this node that no other judge actor holds: an exclusive lock on a file per
    core (released by the kernel when the actor's process ends, however it ends)."""
    import fcntl

    from perfcodegen.judge.client import available_cpus

    folder = Path(tempfile.gettempdir()) / f"perfcodegen-cpus-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    for cpu in available_cpus():
        claim = (folder / f"cpu{cpu}.lock").open("ab")
        try:
            fcntl.flock(claim.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            claim.close()
            continue
        return claim, cpu
    return None, None  # more actors than cores here: run unpinned


@dataclass
class RayStats:
    """What the backend did, per job id (for progress and for checking that no job is lost
    or judged twice after a worker dies)."""

    dispatched: dict[str, int] = field(default_factory=dict)
    completed: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    """Actor calls made (verdict-only jobs share calls, see `CHECK_BATCH`)."""
    lost_calls: int = 0
    """Dispatches of a job that failed because its actor died (each is dispatched again; a
    call of several jobs counts once per job)."""


@dataclass
class _Waiting:
    """A submitted job waiting for (or in) an actor call."""

    job: JudgeJob
    job_json: str
    result: asyncio.Future[JudgeResult]
    attempts: int = 0


class RayBackend:
    """A `Backend` whose workers are Ray actors.

    `address=None` starts a local Ray instance (or joins the one `RAY_ADDRESS` names);
    otherwise it joins the cluster at `address` ("host:port" or "auto"). A runtime this
    backend started is shut down by `aclose`. `workers=None`: one actor per CPU of the
    cluster. A job is sent again at most `max_retries` times when its actor dies.
    `calls_in_flight`: calls handed to one actor at a time; it runs them one after another
    (never two at once). One by default: a second call queued on an actor cannot move to
    another one when the call before it holds a slow job (MBPP+-sized checks: 0.89 of the
    local backend's throughput with two, 0.92 with one; HumanEval's: 0.95 either way, since
    verdict-only jobs share calls and the round trip between calls is spread over them).
    """

    modes = ALL_MODES
    """Instruction counts too: the worker runs them on its node (`JudgeWorker.run`)."""

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        isolation: str = "full",
        max_retries: int = 3,
        calls_in_flight: int = 1,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        self._ray = cast(Any, require("ray", "ray"))
        self._owns_runtime = not self._ray.is_initialized()
        if self._owns_runtime:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address is None and "RAY_ADDRESS" not in os.environ:
                # A runtime of our own: workers at nice 0 (see `_unnice`), root or not.
                options["_system_config"] = {"worker_niceness": 0}
            options.update(init_options or {})
            try:
                self._ray.init(address=address, **options)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise PerfCodegenError(f"cannot join the Ray cluster at {address}: {exc}") from exc
        cpus = int(self._ray.cluster_resources().get("CPU", 1))
        self.workers = max(1, workers or cpus)
        self.isolation = isolation
        self.max_retries = max_retries
        self.calls_in_flight = max(1, calls_in_flight)
        self.stats = RayStats()
        actor_class = self._ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)
        self._actor_class: Any = actor_class(JudgeWorker)
        self._actors: list[Any] = []
        self._idle: asyncio.Queue[Any] | None = None
        self._waiting: collections.deque[_Waiting] = collections.deque()
        self._dispatches: set[asyncio.Task[None]] = set()
        self._start_lock = asyncio.Lock()
        self._closed = False

    async def start(self) -> None:
        """Create the actors and wait until every fork server is up (`submit` also starts)."""
        async with self._start_lock:
            if self._idle is not None:
                return
            self._actors = [self._actor_class.remote(self.isolation) for _ in range(self.workers)]
            try:
                await asyncio.gather(*(actor.pid.remote() for actor in self._actors))
            except self._ray.exceptions.RayActorError as exc:
                raise PerfCodegenError(f"the Ray judge workers could not start: {exc}") from exc
            niceness = await asyncio.gather(*(actor.niceness.remote() for actor in self._actors))
            if max(niceness) > 0:
                log.warning(
                    "Ray runs the judge workers at nice %d and they cannot undo it: other "
                    "processes on their nodes will slow their runs (wall-clock figures more "
                    "than CPU time); start the cluster with RAY_worker_niceness=0",
                    max(niceness),
                )
            idle: asyncio.Queue[Any] = asyncio.Queue()
            for _ in range(self.calls_in_flight):
                for actor in self._actors:
                    idle.put_nowait(actor)
            self._idle = idle

    async def worker_pids(self) -> list[int]:
        """Process ids of the actors (one per worker), in the order jobs are first handed out."""
        await self.start()
        return [int(pid) for pid in await asyncio.gather(*(a.pid.remote() for a in self._actors))]

    async def worker_niceness(self) -> list[int]:
        """The nice value each actor's fork server runs at (0 unless Ray's could not be undone)."""
        await self.start()
        return list(await asyncio.gather(*(a.niceness.remote() for a in self._actors)))

    async def worker_cpus(self) -> list[int | None]:
        """The core each actor's fork server is pinned to (None: none was free)."""
        await self.start()
        return list(await asyncio.gather(*(a.cpu.remote() for a in self._actors)))

    async def submit(self, job: JudgeJob) -> JudgeResult:
        if self._closed:
            raise RuntimeError("the backend is closed")
        await self.start()
        waiting = _Waiting(job, job.model_dump_json(), asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._dispatch_soon()
        return await waiting.result

    def _dispatch_soon(self) -> None:
        task = asyncio.ensure_future(self._dispatch())
        self._dispatches.add(task)
        task.add_done_callback(self._dispatches.discard)

    def _next_call(self) -> list[_Waiting]:
        """The jobs of the next call: the first waiting one and, if it is verdict-only, the
        verdict-only jobs behind it, at most `CHECK_BATCH` and at most an even share of what
        is waiting over every call slot (so the last jobs do not queue behind one actor)."""
        while self._waiting and self._waiting[0].result.done():  # its submitter gave up
            self._waiting.popleft()
        if not self._waiting:
            return []
        call = [self._waiting.popleft()]
        if call[0].job.mode is MeasureMode.CHECK:
            slots = self.workers * self.calls_in_flight * SHARES_PER_SLOT
            share = min(CHECK_BATCH, -(-(len(self._waiting) + 1) // slots))
            while (
                len(call) < share
                and self._waiting
                and self._waiting[0].job.mode is MeasureMode.CHECK
            ):
                waiting = self._waiting.popleft()
                if not waiting.result.done():
                    call.append(waiting)
        return call

    async def _dispatch(self) -> None:
        """One call on the next free actor, with whatever is waiting by then (another call may
        have taken it all: then nothing)."""
        assert self._idle is not None
        actor = await self._idle.get()
        try:
            call = self._next_call()
            if not call:
                return
            for waiting in call:
                job_id = waiting.job.job_id
                self.stats.dispatched[job_id] = self.stats.dispatched.get(job_id, 0) + 1
                waiting.attempts += 1
            self.stats.calls += 1
            try:
                results: list[str] = await actor.run_many.remote([w.job_json for w in call])
            except self._ray.exceptions.RayActorError:
                self._requeue(call)  # Ray restarts the actor; the jobs go to the next free one
                return
            except asyncio.CancelledError:  # the backend is closing
                _fail(call, RuntimeError("the backend is closed"))
                raise
            except Exception as exc:  # the call itself failed: every job of it fails
                _fail(call, exc)
                return
            for waiting, result_json in zip(call, results, strict=True):
                job_id = waiting.job.job_id
                self.stats.completed[job_id] = self.stats.completed.get(job_id, 0) + 1
                if not waiting.result.done():
                    waiting.result.set_result(JudgeResult.model_validate_json(result_json))
        finally:
            self._idle.put_nowait(actor)

    def _requeue(self, call: list[_Waiting]) -> None:
        self.stats.lost_calls += len(call)
        for waiting in reversed(call):
            if waiting.result.done():
                continue
            if waiting.attempts > self.max_retries:
                message = f"its Ray worker died {self.max_retries + 1} times"
                _fail([waiting], PerfCodegenError(f"judge job {waiting.job.job_id}: {message}"))
            else:
                self._waiting.appendleft(waiting)
                self._dispatch_soon()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in list(self._dispatches):
            task.cancel()
        _fail(list(self._waiting), RuntimeError("the backend is closed"))
        self._waiting.clear()
        for actor in self._actors:
            self._ray.kill(actor, no_restart=True)
        self._actors = []
        if self._owns_runtime and self._ray.is_initialized():
            await asyncio.to_thread(self._ray.shutdown)


def _fail(call: list[_Waiting], error: BaseException) -> None:
    for waiting in call:
        if not waiting.result.done():
            waiting.result.set_exception(error)
