"""The lean fork server: one per worker, started fresh (never the main process).

Protocol (marshal frames on stdin/stdout, see `wire`):
  server -> judge  {"op": "hello", "notes", "baseline_kb", "uid", "pid"}
  judge -> server  {"op": "job", "programs", "entry_point", "test_setup", "tests", "mode",
                    "repeats", "warmup", "limits"}         (tests carry no expected values)
  server -> judge  {"op": "compiled", "errors": [None | error dict per program]}
  per test:
  server -> judge  {"op": "test", "index", "results": {program index: observation}}
  judge -> server  [program indices still to run]     (empty list: stop the job)
  server -> judge  {"op": "done"}
For each (test) the server forks one child that applies the sandbox and runs
`measure.run_test`; it waits with a wall-clock deadline, reaps with `os.wait4` (ru_maxrss)
and kills every leftover descendant. The judge compares outputs; the server never sees them.
"""

from __future__ import annotations

# Pre-imported so children do not pay for them (candidates use them often).
import bisect  # noqa: F401
import collections  # noqa: F401
import contextlib
import functools  # noqa: F401
import gc
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import os
import random  # noqa: F401
import re  # noqa: F401
import select
import shutil
import signal
import string  # noqa: F401
import sys
import tempfile
import time
import typing  # noqa: F401
from types import CodeType
from typing import Any

from perfcodegen.judge import sandbox, wire
from perfcodegen.judge.child import TestSpec, compile_program, describe_error
from perfcodegen.judge.measure import ChildTask, run_test
from perfcodegen.plain import is_plain

IN_FD, OUT_FD = 0, 1
MAX_CHILD_BYTES = 256 * 1024 * 1024
_SANDBOX_EXIT = 70


def _decode_tests(raw: list[Any]) -> list[TestSpec]:
    return [TestSpec(kind=k, args=a, assertion=s, stdin=i) for k, a, s, i in raw]


class ForkServer:
    def __init__(self, cpu: int | None) -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        self.isolation = sandbox.isolate_server()
        os.chdir("/")
        self.baseline_kb = self._measure_baseline()

    def _measure_baseline(self) -> int:
        empty = compile_program("pass", "<baseline>")
        task = ChildTask({0: empty}, "f", "", TestSpec("call", []), "memory", 0, 0, 5.0, 5.0, 1000)
        samples = []
        for _ in range(3):
            observed = self._execute(task, memory_mb=1024, file_size_mb=1, max_processes=1)
            samples.append(int(observed["maxrss_kb"]))
        return sorted(samples)[1]

    def serve(self) -> None:
        hello = {
            "op": "hello",
            "notes": list(self.isolation.notes),
            "baseline_kb": self.baseline_kb,
            "uid": self.isolation.sandbox_uid,
            "pid": os.getpid(),
        }
        wire.write_frame(OUT_FD, hello)
        while True:
            try:
                request = wire.read_frame(IN_FD)
            except EOFError:
                return
            if request.get("op") == "job":
                self._run_job(request)

    def _run_job(self, request: dict[str, Any]) -> None:
        codes: dict[int, CodeType] = {}
        errors: list[Any] = []
        for index, source in enumerate(request["programs"]):
            try:
                codes[index] = compile_program(source, _filename(index, request["programs"]))
                errors.append(None)
            except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
                errors.append(describe_error(exc))
        wire.write_frame(OUT_FD, {"op": "compiled", "errors": errors})
        limits = request["limits"]
        scale = max(len(codes), 1) if request["mode"] == "paired" else 1
        active = sorted(codes)
        for index, test in enumerate(_decode_tests(request["tests"])):
            if not active:
                break
            task = ChildTask(
                codes={i: codes[i] for i in active},
                entry_point=request["entry_point"],
                test_setup=request["test_setup"],
                test=test,
                mode=request["mode"],
                repeats=request["repeats"],
                warmup=request["warmup"],
                wall_time_s=limits["wall_time_s"] * scale,
                cpu_time_s=limits["cpu_time_s"] * scale,
                output_limit=limits["output_bytes"],
            )
            observed = self._execute(
                task,
                memory_mb=limits["memory_mb"],
                file_size_mb=limits["file_size_mb"],
                max_processes=limits["max_processes"],
            )
            wire.write_frame(OUT_FD, {"op": "test", "index": index, "results": observed["results"]})
            reply = wire.read_frame(IN_FD)
            active = [i for i in reply if i in codes]
        wire.write_frame(OUT_FD, {"op": "done"})

    def _execute(
        self, task: ChildTask, *, memory_mb: int, file_size_mb: int, max_processes: int
    ) -> dict[str, Any]:
        """Fork one child for one test, supervise it, and return what it observed."""
        workdir = tempfile.mkdtemp(prefix="pcg-", dir="/tmp")
        uid = self.isolation.sandbox_uid
        if uid is not None:
            os.chown(workdir, uid, uid)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child(self.isolation, task, workdir, write_fd, memory_mb, file_size_mb, max_processes)
        os.close(write_fd)
        try:
            frames, timed_out, too_much = _supervise(pid, read_fd, task.wall_time_s)
            _, status, usage = os.wait4(pid, 0)
        finally:
            os.close(read_fd)
            sandbox.kill_descendants()
            shutil.rmtree(workdir, ignore_errors=True)
            sandbox.wipe_private_tmp(self.isolation)
        results = _collect(task, frames, _ending(status, timed_out, too_much))
        if task.mode == "memory":
            for entry in results.values():
                entry["maxrss_kb"] = usage.ru_maxrss
        return {"results": results, "maxrss_kb": usage.ru_maxrss}


def _filename(index: int, programs: list[str]) -> str:
    return "<candidate>" if len(programs) == 1 else f"<candidate {index}>"


def _child(
    isolation: sandbox.ServerIsolation,
    task: ChildTask,
    workdir: str,
    result_fd: int,
    memory_mb: int,
    file_size_mb: int,
    max_processes: int,
) -> None:
    code = 0
    try:
        gc.freeze()
        try:
            sandbox.enter_child(
                isolation,
                workdir,
                result_fd,
                cpu_time_s=task.cpu_time_s,
                memory_mb=memory_mb,
                file_size_mb=file_size_mb,
                max_processes=max_processes,
            )
        except BaseException as exc:
            wire.write_frame(result_fd, ("sandbox", describe_error(exc)))
            code = _SANDBOX_EXIT
        else:
            run_test(task, result_fd)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _supervise(pid: int, read_fd: int, wall_time_s: float) -> tuple[list[Any], bool, bool]:
    """Collect frames until the child exits or the deadline passes (then kill its group)."""
    os.set_blocking(read_fd, False)
    pidfd = os.pidfd_open(pid)
    buffer = wire.FrameBuffer(MAX_CHILD_BYTES)
    frames: list[Any] = []
    poller = select.poll()
    poller.register(read_fd, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    deadline = time.monotonic() + wall_time_s
    timed_out = too_much = exited = False
    try:
        while not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for fd, _ in poller.poll(remaining * 1000):
                if fd == pidfd:
                    exited = True
                elif not _drain(read_fd, buffer, frames):
                    poller.unregister(read_fd)
            if exited:
                _drain(read_fd, buffer, frames)
    except (wire.FrameTooLarge, ValueError, EOFError, TypeError):
        too_much = True
    finally:
        os.close(pidfd)
    if not exited:
        for target in (pid, -pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGKILL)
    return frames, timed_out, too_much


def _drain(read_fd: int, buffer: wire.FrameBuffer, frames: list[Any]) -> bool:
    """Read what is available; False at end of file."""
    while True:
        try:
            chunk = os.read(read_fd, 1 << 16)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        frames.extend(buffer.feed(chunk))


def _ending(status: int, timed_out: bool, too_much: bool) -> dict[str, Any]:
    """How the child ended: the verdict of programs whose run did not finish cleanly."""
    if too_much:
        return {"status": "output_limit", "message": "the program sent too much data back"}
    if timed_out:
        return {"status": "timeout", "message": "wall-clock time limit exceeded"}
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return {"status": "timeout", "message": "CPU time limit exceeded"}
        name = signal.Signals(sig).name if sig in set(signal.Signals) else f"signal {sig}"
        return {"status": "crash", "message": f"the process was killed by {name}"}
    code = os.WEXITSTATUS(status)
    return {
        "status": "crash",
        "message": f"the process exited with status {code} before reporting a result",
    }


def _collect(task: ChildTask, frames: list[Any], ending: dict[str, Any]) -> dict[int, Any]:
    """Turn the child's frames into one observation per program (first frame wins)."""
    results: dict[int, dict[str, Any]] = {}
    finished = False
    for frame in frames:
        if not isinstance(frame, tuple) or not frame:
            continue
        tag = frame[0]
        if tag == "end":
            finished = True
        elif tag == "sandbox":
            for index in task.codes:
                results.setdefault(index, {"status": "sandbox", "error": frame[1]})
        elif tag == "check" and len(frame) == 6 and frame[1] in task.codes:
            _, index, status, payload, truncated, elapsed = frame
            if index in results:
                continue
            if status == "value" and is_plain(payload):
                results[index] = {"status": "value", "value": payload, "check_s": elapsed}
            else:
                error = payload if isinstance(payload, dict) else {"type": "Error"}
                results[index] = {"status": "error", "error": error}
            results[index]["truncated"] = bool(truncated)
        elif tag in ("times", "timing_error") and frame[1] in results:
            timed_entry = results[frame[1]]
            if timed_entry["status"] == "value" and not timed_entry.keys() & {
                "times",
                "timing_error",
            }:
                if tag == "times" and is_plain(frame[2]):
                    timed_entry["times"], timed_entry["cpu"] = frame[2], frame[3]
                elif tag == "timing_error":
                    timed_entry["timing_error"] = frame[2]
    for index in task.codes:
        entry = results.get(index)
        if entry is not None and (entry["status"] != "value" or finished):
            continue
        results[index] = {"status": ending["status"], "message": ending["message"]}
    return results


def serve(argv: list[str]) -> None:
    cpu = int(argv[0]) if argv and int(argv[0]) >= 0 else None
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    server = ForkServer(cpu)
    gc.collect()
    gc.freeze()
    server.serve()


if __name__ == "__main__":
    serve(sys.argv[1:])
