"""The lean fork server: one per worker, started fresh by the judge, never runs candidate code.

The process the judge starts (the *outer* server) unshares its namespaces and forks the
*inner* server, PID 1 of a new PID namespace, which builds the filesystem view (`sandbox`)
and serves jobs. For every run (one program, one test, once) the inner server forks a fresh
run process (`runproc`), measures it from outside and reaps it and everything it left.

Protocol (marshal frames on stdin/stdout, see `wire`):
  server -> judge  {"op": "hello", "level", "notes", "uid", "pid"}
  judge -> server  {"op": "job", "programs", "entry_point", "test_setup", "tests", "memory",
                    "repeats", "warmup", "limits"}          (tests carry no expected values)
  server -> judge  {"op": "compiled", "errors": [None | error dict per program],
                    "baseline_kb": peak memory of the null program (memory jobs), or None}
  per test:
  server -> judge  {"op": "checked", "index", "results": {program: run}}
  judge -> server  {"time": [programs]}   or   {"active": [programs]} (skip timing)
  server -> judge  {"op": "timed", "index", "runs": {program: timing}, "null": timing}
  judge -> server  {"active": [programs]}                     (empty: stop the job)
  server -> judge  {"op": "done"}
A run is {"ending": status or None, "message", "payload": bytes, "wall_ns", "cpu_ns",
"maxrss_kb"}; the payload is the run's result frame, passed on undecoded: the judge decodes
and compares it. Timed runs are compared with the check run byte for byte; the first one that
differs is passed on as "changed" for the judge to compare.
"""

from __future__ import annotations

# Pre-imported so run processes do not pay for them (candidates use them often).
import bisect  # noqa: F401
import collections  # noqa: F401
import contextlib
import ctypes
import dataclasses
import functools  # noqa: F401
import gc
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import os
import random  # noqa: F401
import re  # noqa: F401
import select
import signal
import socket
import string  # noqa: F401
import sys
import tempfile
import time
import typing  # noqa: F401
from types import CodeType
from typing import Any

from perfcodegen.judge import runproc, sandbox, wire
from perfcodegen.judge.child import TestSpec, compile_program, describe_error

IN_FD, OUT_FD = 0, 1
RESULT_SLACK_BYTES = 64 * 1024
"""Room in a result frame besides the captured output (error messages, tracebacks)."""
BUDGET_FRACTION = 0.8
"""Timing rounds of one test stop before they would exceed this share of the wall limit."""
_PR_SET_PDEATHSIG = 1


class ForkServer:
    def __init__(self, isolation: sandbox.ServerIsolation) -> None:
        self.isolation = isolation

    def serve(self) -> None:
        wire.write_frame(
            OUT_FD,
            {
                "op": "hello",
                "level": self.isolation.level.value,
                "notes": list(self.isolation.notes),
                "uid": self.isolation.sandbox_uid,
                "pid": os.getpid(),
            },
        )
        while True:
            try:
                request = wire.read_frame(IN_FD)
            except EOFError:
                return
            if request.get("op") == "job":
                self._run_job(request)

    def _run_job(self, request: dict[str, Any]) -> None:
        job = _Job(request)
        baseline_kb = None
        if request.get("memory") and job.tests:  # the null program's peak, for net memory
            baseline_kb = self._run(job.null_task(job.tests[0]), False)["maxrss_kb"]
        wire.write_frame(
            OUT_FD, {"op": "compiled", "errors": job.errors, "baseline_kb": baseline_kb}
        )
        active = sorted(job.codes)
        for index, test in enumerate(job.tests):
            if not active:
                break
            checked = {p: self._run(job.task(p, test, timed=False)) for p in active}
            wire.write_frame(OUT_FD, {"op": "checked", "index": index, "results": checked})
            reply = wire.read_frame(IN_FD)
            timed = [p for p in reply.get("time", []) if p in checked]
            if timed:
                runs, null_runs = self._time(job, test, checked, timed)
                wire.write_frame(
                    OUT_FD, {"op": "timed", "index": index, "runs": runs, "null": null_runs}
                )
                reply = wire.read_frame(IN_FD)
            active = [p for p in reply.get("active", []) if p in job.codes]
        wire.write_frame(OUT_FD, {"op": "done"})

    def _time(
        self, job: _Job, test: TestSpec, checked: dict[int, dict[str, Any]], timed: list[int]
    ) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
        """Rounds of [null, A, B, ...], rotated each round (A B / B A), each run a fresh process.

        The leading `warmup` rounds are discarded; rounds stop when the next one would not fit
        in the test's share of the wall limit (at least one timed round is kept)."""
        tasks: dict[int | None, runproc.RunTask] = {p: job.task(p, test) for p in timed}
        tasks[None] = job.null_task(test, timed=True)
        lanes: list[int | None] = [None, *timed]
        runs: dict[int, dict[str, Any]] = {
            p: {"wall_ns": [], "cpu_ns": [], "changed": None, "ending": None} for p in timed
        }
        null_runs: dict[str, Any] = {"wall_ns": [], "cpu_ns": []}
        budget_ns = job.limits["wall_time_s"] * BUDGET_FRACTION * 1e9 * len(timed)
        started = time.monotonic_ns()
        round_ns = 0
        for round_index in range(job.warmup + job.repeats):
            shift = round_index % len(lanes)
            begun = time.monotonic_ns()
            kept = round_index >= job.warmup
            for lane in lanes[shift:] + lanes[:shift]:
                target = null_runs if lane is None else runs[lane]
                if lane is not None and target["ending"] is not None:
                    continue
                run = self._run(tasks[lane], keep_payload=lane is not None)
                if lane is not None and (run["ending"] or run["payload"] != checked[lane]["payload"]):
                    target["ending"] = run["ending"] or "changed"
                    target["changed"] = run
                    continue
                if kept:
                    target["wall_ns"].append(run["wall_ns"])
                    target["cpu_ns"].append(run["cpu_ns"])
            round_ns = max(round_ns, time.monotonic_ns() - begun)
            spent = time.monotonic_ns() - started
            if kept and spent + round_ns > budget_ns:
                break
            if all(r["ending"] is not None for r in runs.values()):
                break
        return runs, null_runs

    def _run(self, task: runproc.RunTask, keep_payload: bool = True) -> dict[str, Any]:
        """Fork one run process, measure it from outside, kill and reap it and its leftovers."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        start_read, start_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the run process: never returns
            ours.close()
            os.close(start_read)
            runproc.main(self.isolation, task, theirs.fileno(), start_write)
        theirs.close()
        os.close(start_write)
        try:
            frame_limit = task.output_limit + RESULT_SLACK_BYTES
            run = _supervise(pid, ours.fileno(), start_read, task.wall_time_s, frame_limit)
        finally:
            ours.close()
            os.close(start_read)
            for target in (pid, -pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(target, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        peak = usage.ru_maxrss
        for leftover in sandbox.kill_descendants():
            peak = max(peak, leftover.ru_maxrss)  # work in children nobody waited for counts
        sandbox.wipe_work_dir(self.isolation)
        if run["ending"] is None and run["payload"] is None:
            run["ending"], run["message"] = _ending(status)
        run["cpu_ns"] = int((usage.ru_utime + usage.ru_stime) * 1e9)
        run["maxrss_kb"] = peak
        if not keep_payload:
            run["payload"] = None
        return run


class _Job:
    """One job as the server holds it: compiled programs, decoded tests, and run tasks."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.codes: dict[int, CodeType] = {}
        self.errors: list[Any] = []
        programs: list[str] = request["programs"]
        for index, source in enumerate(programs):
            try:
                name = "<candidate>" if len(programs) == 1 else f"<candidate {index}>"
                self.codes[index] = compile_program(source, name)
                self.errors.append(None)
            except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as exc:
                self.errors.append(describe_error(exc))
        self.tests = [TestSpec(kind=k, args=a, assertion=s, stdin=i) for k, a, s, i in request["tests"]]
        self.limits: dict[str, Any] = request["limits"]
        self.warmup, self.repeats = int(request["warmup"]), int(request["repeats"])
        entry_point = request["entry_point"]
        null_source = f"def {entry_point}(*args, **kwargs):\n    return None\n" if entry_point else "pass\n"
        # The baseline program: the same harness path as a candidate, doing nothing itself.
        self.null_code = compile_program(null_source, "<null>")
        self._base = runproc.RunTask(
            code=self.null_code,
            entry_point=entry_point,
            test_setup=request["test_setup"],
            test=TestSpec("call", []),
            output_limit=self.limits["output_bytes"],
            wall_time_s=self.limits["wall_time_s"],
            cpu_time_s=self.limits["cpu_time_s"],
            memory_mb=self.limits["memory_mb"],
            file_size_mb=self.limits["file_size_mb"],
            max_processes=self.limits["max_processes"],
        )

    def null_task(self, test: TestSpec, timed: bool = False) -> runproc.RunTask:
        """The null program on `test` (same arguments or stdin; assertions are not run)."""
        null_test = TestSpec("call", []) if test.kind == "assert" else test
        task = dataclasses.replace(self._base, code=self.null_code, test=null_test)
        return dataclasses.replace(task, null=task) if timed else task

    def task(self, program: int, test: TestSpec, timed: bool = True) -> runproc.RunTask:
        """A run of `program` on `test`; timed runs first run the null program untimed (the
        prelude that keeps page faults out of the measurement, see `runproc`)."""
        task = dataclasses.replace(self._base, code=self.codes[program], test=test)
        return dataclasses.replace(task, null=self.null_task(test)) if timed else task


def _supervise(
    pid: int, result_fd: int, start_fd: int, wall_time_s: float, max_bytes: int
) -> dict[str, Any]:
    """Wait for the result frame and take the end reading the moment it is whole.

    Only the result socket and the process are watched: the trusted start record waits in its
    own pipe, so writing it wakes nobody inside the measured window."""
    run: dict[str, Any] = {
        "ending": None, "message": "", "payload": None, "wall_ns": None, "cpu_ns": None,
    }  # fmt: skip
    os.set_blocking(result_fd, False)
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(result_fd, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    deadline = time.monotonic() + wall_time_s
    buffer = bytearray()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                run["ending"], run["message"] = "timeout", "wall-clock time limit exceeded"
                return run
            events = poller.poll(remaining * 1000)
            readable = any(f == result_fd for f, _ in events)
            exited = any(f == pidfd for f, _ in events)
            eof = readable and _drain(result_fd, buffer, max_bytes + wire.HEADER_SIZE)
            size = wire.frame_size(buffer)
            if size is not None and len(buffer) >= wire.HEADER_SIZE + size:
                end = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
                return _finish(run, start_fd, end, bytes(buffer[wire.HEADER_SIZE :][:size]))
            if len(buffer) > max_bytes + wire.HEADER_SIZE or (size or 0) > max_bytes:
                run["ending"] = "output_limit"
                run["message"] = "the program sent more data than the output limit"
                return run
            if eof or (exited and not readable):
                return _finish(run, start_fd, None, None)
    finally:
        os.close(pidfd)


def _drain(fd: int, buffer: bytearray, limit: int) -> bool:
    """Read what is there (at most a little past `limit`); True at end of file."""
    while len(buffer) <= limit:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        buffer += chunk
    return False


def _finish(
    run: dict[str, Any], start_fd: int, end_ns: int | None, payload: bytes | None
) -> dict[str, Any]:
    """Pair the result with the trusted start record (or the sandbox's failure frame)."""
    os.set_blocking(start_fd, False)
    record = bytearray()
    _drain(start_fd, record, runproc.START.size + 1024)
    size = wire.frame_size(record)
    if size is not None and size != runproc.START.size:
        run["ending"], run["message"] = "sandbox", "the sandbox could not be entered"
    elif size is not None and len(record) >= wire.HEADER_SIZE + size and payload is not None:
        _, start_ns = runproc.START.unpack_from(record, wire.HEADER_SIZE)
        run["payload"] = payload
        run["wall_ns"] = max(0, (end_ns or start_ns) - start_ns)
    return run


def _ending(status: int) -> tuple[str, str]:
    """How a run process that sent no result ended."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "timeout", "CPU time limit exceeded"
        name = signal.Signals(sig).name if sig in set(signal.Signals) else f"signal {sig}"
        return "crash", f"the process was killed by {name}"
    code = os.WEXITSTATUS(status)
    if code == runproc.SANDBOX_EXIT:
        return "sandbox", "the sandbox could not be entered"
    return "crash", f"the process exited with status {code} before reporting a result"


def _inner(outer_pid: int, allow: str) -> None:
    """PID 1 of the sandbox's PID namespace: build the view, then serve."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    notes: list[str] = []
    level = sandbox.IsolationLevel.FULL
    try:
        root = tempfile.mkdtemp(prefix="perfcodegen-view-")
        notes += sandbox.build_view(root, [sandbox.package_dir()])
    except OSError as exc:
        level = sandbox.IsolationLevel.PARTIAL
        notes.append(f"filesystem view unavailable ({exc})")
    if notes and level is sandbox.IsolationLevel.FULL:
        level = sandbox.IsolationLevel.PARTIAL
    uid = sandbox.SANDBOX_UID_BASE + outer_pid if sandbox.choose_sandbox_uid(1) else None
    _serve(sandbox.ServerIsolation(level, uid, uid is None, tuple(notes)))


def _serve(isolation: sandbox.ServerIsolation) -> None:
    server = ForkServer(isolation)
    runproc.warm_up()
    gc.collect()
    gc.freeze()
    server.serve()


def serve(argv: list[str]) -> None:
    """Entry point of the outer server: `serve([cpu, allow])`."""
    cpu = int(argv[0]) if argv and int(argv[0]) >= 0 else None
    allow = argv[1] if len(argv) > 1 else "full"
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.chdir("/")
    complete, notes = sandbox.unshare_namespaces() if allow != "none" else (False, [])
    if not complete:
        level = sandbox.IsolationLevel.NONE
        notes = notes or ["isolation switched off by the user"]
        uid = sandbox.choose_sandbox_uid(os.getpid())
        os.chdir(tempfile.mkdtemp(prefix="perfcodegen-work-"))
        _serve(sandbox.ServerIsolation(level, uid, False, tuple(notes)))
        return
    outer = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _inner(outer, allow)
        except BaseException:
            import traceback

            traceback.print_exc()  # the judge's stderr: a bug of ours, never a candidate's
            code = 1
        finally:
            os._exit(code)
    for fd in (IN_FD, OUT_FD):
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    serve(sys.argv[1:])
