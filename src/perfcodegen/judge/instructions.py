"""Deterministic measurement: per-test instruction counts (MeasureMode.INSTRUCTIONS).

Hardware counters (`perf_event_open`, user space only) when the machine has them, else
callgrind. Every (program, test) gets a fresh sandboxed process (`sandbox_exec`: the fork
server's namespaces, filesystem view, uid and limits) that holds that program and that
test's inputs, nothing else: no expected value, no other test, no other program. It counts
what a timed run times (`instr_runner`): the program's definitions, one cold call, the
encoding of the value. The null program's count on the same test is subtracted, as the
timed modes subtract the null run.

The count never comes from the candidate's output. Under callgrind, valgrind writes its one
dump into a pipe that the counted process holds only inside valgrind's reserved descriptors;
the judge reads it, and accepts exactly one dump of the whole count
(`instr_counters.parse_callgrind_dump`).
With hardware counters, the sandbox's PID 1 opens the counter on the process and reports it
on a pipe the process never holds. The observed value is compared here, by the judge.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import marshal
import os
import select
import signal
import site
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from perfcodegen.judge import wire
from perfcodegen.judge.client import lean_command, program_result
from perfcodegen.judge.decode import UnsafeValue, decode_payload
from perfcodegen.judge.instr_counters import (
    DumpRejected,
    InstructionMethod,
    build_callgrind_shim,
    hardware_counters_available,
    parse_callgrind_dump,
    require_valgrind,
)
from perfcodegen.judge.instr_runner import COMPILE_STATUS, READY
from perfcodegen.judge.model import (
    JudgeJob,
    JudgeResult,
    MeasureMode,
    ProgramResult,
    TestOutcome,
    Verdict,
)
from perfcodegen.judge.sandbox import WORK_DIR, isolation_rank, package_dir
from perfcodegen.judge.sandbox_exec import DUMP_FD, ISOLATION_REFUSED
from perfcodegen.judge.verdicts import outcome_from_run, recorded_calls, replayed_outcome
from perfcodegen.vocabulary import TestCase, TestKind

CALLGRIND_SLOWDOWN = 50.0
"""Time budgets are multiplied by this under valgrind (measured: 35 to 70x native)."""
CALLGRIND_MEMORY_OVERHEAD_MB = 512
"""Address space valgrind and callgrind's cost tables need on top of the program's limit."""
STARTUP_S = 60.0
"""CPU and wall-clock time for a counting process's start-up (valgrind, the interpreter,
the uncounted prelude), until its READY frame (about 1.5 s of CPU here under valgrind)."""
TASK_GRACE_S = 3.0
"""Added to each test's wall-clock budget after READY: re-translation once the count starts."""
DUMP_LIMIT_BYTES = 64 << 20
"""The largest callgrind dump accepted (a run's is about 1 MB)."""
_REPORT_LIMIT_BYTES = 1 << 16
_READ_CHUNK = 1 << 16
_RUNNER = "perfcodegen.judge.instr_runner.main"
_NO_ARGUMENTS: tuple[Any, ...] = ("call", [], None, None, None)


@dataclass
class _Ended:
    """What one sandboxed counting process gave back."""

    result: bytes = b""
    dump: bytes = b""
    report: bytes = b""
    overflow: str | None = None
    timed_out: bool = False
    returncode: int = 0
    stderr: str = ""


@dataclass
class _Counted:
    run: dict[str, Any]
    """In `verdicts.outcome_from_run` form: {"payload": bytes} or {"ending", "message"}."""
    count: int | None = None
    compile_error: dict[str, Any] | None = None


@dataclass
class _State:
    notes: list[str] = field(default_factory=list)
    isolation: str | None = None
    """The weakest isolation level any process of the job had."""
    nulls: dict[int, _Counted] = field(default_factory=dict)


def resolve_method(method: InstructionMethod | None) -> InstructionMethod:
    """The requested method, or hardware counters when this machine has them, else callgrind."""
    if method is not None:
        return method
    return (
        InstructionMethod.HARDWARE if hardware_counters_available() else InstructionMethod.CALLGRIND
    )


def run_instructions(
    job: JudgeJob, method: InstructionMethod | None = None, isolation: str = "full"
) -> JudgeResult:
    """Count instructions per (program, test), each in a fresh sandboxed process; verdicts as
    the judge gives them."""
    started = time.perf_counter()
    chosen = resolve_method(method)
    counter = _Counter(job, chosen, isolation)
    if method is None and chosen is InstructionMethod.CALLGRIND:
        counter.state.notes.append("hardware instruction counters unavailable; using callgrind")
    counter.state.notes.append(
        f"instructions counted with {chosen.value}, one process per (program, test), net of "
        "the null program" + (" (bit-identical across runs)" if counter.callgrind else "")
    )
    programs = [counter.program(p) for p in range(len(job.programs))]
    return JudgeResult(
        job_id=job.job_id,
        mode=MeasureMode.INSTRUCTIONS,
        programs=programs,
        elapsed_s=time.perf_counter() - started,
        notes=counter.state.notes,
        isolation=counter.state.isolation or "none",
    )


class _Counter:
    def __init__(self, job: JudgeJob, method: InstructionMethod, isolation: str) -> None:
        self.job, self.method, self.allow = job, method, isolation
        self.callgrind = method is InstructionMethod.CALLGRIND
        self.valgrind = require_valgrind() if self.callgrind else ""
        self.shim = str(build_callgrind_shim()) if self.callgrind else ""
        _refresh_bytecode()
        entry = job.entry_point
        self.null_source = (
            f"def {entry}(*args, **kwargs):\n    return None\n" if entry else "pass\n"
        )
        self.state = _State()

    def program(self, index: int) -> ProgramResult:
        outcomes: list[TestOutcome] = []
        for t, test in enumerate(self.job.tests):
            counted = self.count(self.job.programs[index], _inputs(test))
            if counted.compile_error is not None:
                return program_result(self.job, [], counted.compile_error)
            outcomes.append(self._outcome(t, test, counted))
        return program_result(self.job, outcomes, None)

    def _outcome(self, index: int, test: TestCase, counted: _Counted) -> TestOutcome:
        outcome = outcome_from_run(index, test, counted.run, self.job.compare, None)
        if outcome.verdict is Verdict.PASSED and test.kind is TestKind.ASSERT:
            replay = (test.kind.value, None, test.assertion, None, recorded_calls(counted.run))
            ended = self._launch(self.null_source, replay, counted=False)
            outcome = replayed_outcome(outcome, self._interpret(ended, counted=False).run)
        if outcome.verdict is Verdict.PASSED and counted.count is not None:
            null = self._null(index, test).count
            if null is None:
                message = "the null program's count failed (see the notes)"
                update = {"verdict": Verdict.SANDBOX_ERROR, "error_message": message}
                outcome = outcome.model_copy(update=update)
            else:
                outcome.instructions = max(counted.count - null, 0)
        return outcome

    def _null(self, index: int, test: TestCase) -> _Counted:
        """The null program's count on `test` (on no arguments for an assertion test, whose
        assertion the null program would fail: as the timed modes' null run)."""
        if index not in self.state.nulls:
            inputs = _inputs(test) if test.kind is not TestKind.ASSERT else _NO_ARGUMENTS
            null = self.count(self.null_source, inputs)
            if null.count is None:
                reason = null.run.get("message") or "no count"
                self.state.notes.append(f"the null program's count on test {index}: {reason}")
            self.state.nulls[index] = null
        return self.state.nulls[index]

    def count(self, source: str, inputs: tuple[Any, ...]) -> _Counted:
        """Count `source` on one test's inputs (kind, args, assertion, stdin, replay)."""
        return self._interpret(self._launch(source, inputs, counted=True), counted=True)

    def _slowdown(self) -> float:
        return CALLGRIND_SLOWDOWN if self.callgrind else 1.0

    def _budget_s(self) -> float:
        """Wall-clock time a test may take once the count has started."""
        return self.job.limits.wall_time_s * self._slowdown() + TASK_GRACE_S

    def _launch(self, source: str, test: tuple[Any, ...], counted: bool) -> _Ended:
        """Run one counting process to its end; returns its three pipes' contents."""
        limits = self.job.limits
        spec = {
            "source": source,
            "null_source": self.null_source,
            "entry_point": self.job.entry_point,
            "test_setup": self.job.test_setup,
            "test": test,
            "output_limit": limits.output_bytes,
        }
        under_valgrind = counted and self.callgrind
        inner = lean_command(_RUNNER, *(("callgrind", self.shim) if under_valgrind else ()))
        inner[1:1] = ["-S"]  # no site: a second less under valgrind (the hash seed stays 0)
        if under_valgrind:
            inner = [
                self.valgrind, "--tool=callgrind", "-q", "--vgdb=no", "--instr-atstart=no",
                f"--callgrind-out-file=/proc/self/fd/{DUMP_FD}", *inner,
            ]  # fmt: skip
        report_r, report_w = os.pipe()
        dump_r, dump_w = os.pipe() if under_valgrind else (-1, -1)
        result_r, result_w = os.pipe()
        config = {
            "allow": self.allow,
            "report_fd": report_w,
            "dump_fd": dump_w if under_valgrind else None,
            "hardware": counted and not self.callgrind,
            "read_only": [os.path.dirname(self.shim)] if under_valgrind else [],
            "memory_mb": limits.memory_mb + (CALLGRIND_MEMORY_OVERHEAD_MB if under_valgrind else 0),
            "cpu_time_s": STARTUP_S + self.job.limits.cpu_time_s * self._slowdown(),
            "file_size_mb": limits.file_size_mb,
            "max_processes": limits.max_processes,
            "no_aslr": True,
        }
        command = lean_command("perfcodegen.judge.sandbox_exec.main", json.dumps(config), "--")
        ended = _Ended()
        with tempfile.TemporaryFile() as spec_file, tempfile.TemporaryFile() as stderr:
            spec_file.write(marshal.dumps(spec))
            spec_file.seek(0)
            try:
                process = subprocess.Popen(
                    [*command, *inner],
                    cwd="/",
                    env=_runner_env(),
                    stdin=spec_file,
                    stdout=result_w,
                    stderr=stderr,
                    pass_fds=tuple(fd for fd in (report_w, dump_w) if fd >= 0),
                    start_new_session=True,
                )
            finally:
                for fd in (report_w, dump_w, result_w):
                    if fd >= 0:
                        os.close(fd)
            pipes = {result_r: "result", report_r: "report"}
            if dump_r >= 0:
                pipes[dump_r] = "dump"
            try:
                self._drain(process, pipes, ended)
            finally:
                for fd in pipes:
                    os.close(fd)
            stderr.seek(0)
            ended.stderr = stderr.read()[-2000:].decode("utf-8", errors="replace").strip()
        ended.returncode = process.returncode
        return ended

    def _drain(
        self, process: subprocess.Popen[bytes], pipes: dict[int, str], ended: _Ended
    ) -> None:
        limits = {
            "result": self.job.limits.result_bytes + self.job.limits.output_bytes + 65536,
            "dump": DUMP_LIMIT_BYTES,
            "report": _REPORT_LIMIT_BYTES,
        }
        chunks: dict[str, list[bytes]] = {name: [] for name in limits}
        sizes = dict.fromkeys(limits, 0)
        deadline = time.monotonic() + STARTUP_S
        ready = len(READY) + wire.HEADER_SIZE
        open_fds = set(pipes)
        try:
            while open_fds and ended.overflow is None:
                left = deadline - time.monotonic()
                readable = (
                    select.select(list(open_fds), [], [], max(left, 0))[0] if left > 0 else []
                )
                if not readable:
                    ended.timed_out = True
                    break
                for fd in readable:
                    chunk = os.read(fd, _READ_CHUNK)
                    name = pipes[fd]
                    if not chunk:
                        open_fds.discard(fd)
                        continue
                    if name == "result" and sizes[name] < ready <= sizes[name] + len(chunk):
                        deadline = time.monotonic() + self._budget_s()  # the count started
                    sizes[name] += len(chunk)
                    chunks[name].append(chunk)
                    if sizes[name] > limits[name]:
                        ended.overflow = name
        finally:
            if open_fds:  # timed out or over a limit: end the whole sandbox
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        ended.result, ended.dump, ended.report = (b"".join(chunks[n]) for n in limits)

    def _interpret(self, ended: _Ended, counted: bool) -> _Counted:
        """The run (for the verdict) and the count of one ended process."""
        exit_record = self._reports(ended)
        if exit_record and exit_record.get("counter_error"):
            message = f"no hardware instruction counter: {exit_record['counter_error']}"
            return _Counted({"ending": "sandbox", "message": message})
        problem = _ending(ended, exit_record, self._budget_s(), self.method)
        if problem is not None:
            return _Counted({"ending": problem[0], "message": problem[1]})
        payload = _single_frame(ended.result)
        if isinstance(payload, str):
            return _Counted({"ending": "crash", "message": payload})
        with contextlib.suppress(UnsafeValue):
            decoded = decode_payload(payload)
            if isinstance(decoded, tuple) and decoded[:1] == (COMPILE_STATUS,):
                error = decoded[1] if len(decoded) > 1 and isinstance(decoded[1], dict) else {}
                return _Counted({"payload": payload}, compile_error=error)
        if not counted:
            return _Counted({"payload": payload})
        if not self.callgrind:
            count = exit_record.get("instructions") if exit_record else None
            if not isinstance(count, int):
                message = "the hardware instruction counter could not be read"
                return _Counted({"ending": "sandbox", "message": message})
            return _Counted({"payload": payload}, count=count)
        try:
            return _Counted({"payload": payload}, count=parse_callgrind_dump(ended.dump))
        except DumpRejected as exc:
            return _Counted({"ending": "crash", "message": f"instruction count rejected: {exc}"})

    def _reports(self, ended: _Ended) -> dict[str, Any] | None:
        """Note the isolation PID 1 reported; return its exit record, if any."""
        exit_record = None
        buffer = wire.FrameBuffer(_REPORT_LIMIT_BYTES)
        with contextlib.suppress(wire.FrameTooLarge, ValueError, EOFError, TypeError):
            for record in buffer.feed(ended.report):  # PID 1's own frames: trusted
                if record.get("event") == "isolation":
                    self._note_isolation(record)
                elif record.get("event") == "exit":
                    exit_record = record
        return exit_record

    def _note_isolation(self, record: dict[str, Any]) -> None:
        level, state = str(record.get("level")), self.state
        if state.isolation is None or isolation_rank(level) < isolation_rank(state.isolation):
            state.isolation = level
        for note in record.get("notes") or []:
            if str(note) not in state.notes:
                state.notes.append(str(note))


def _ending(
    ended: _Ended, exit_record: dict[str, Any] | None, budget_s: float, method: InstructionMethod
) -> tuple[str, str] | None:
    """(status, message) for a process that did not end normally, else None."""
    if ended.overflow == "result":
        return "output_limit", "the program's result exceeded the limit"
    if ended.overflow:
        return "crash", f"the {ended.overflow} pipe exceeded its limit"
    if ended.timed_out:
        return "timeout", f"no result within {budget_s:.0f} s ({method.value})"
    if exit_record is None:
        if ended.returncode == ISOLATION_REFUSED:
            reason = "the sandbox is below the accepted isolation level (see --isolation)"
        else:
            reason = f"the sandbox ended without a report; stderr: {ended.stderr or 'empty'}"
        return "sandbox", reason
    status = int(exit_record.get("status", -1))
    if status > 128:
        sig = signal.Signals(status - 128)
        if sig is signal.SIGXCPU:
            return "timeout", "CPU time limit exceeded"
        return "crash", f"the program was killed by {sig.name}"
    if status != 0:
        said = ended.stderr.strip().splitlines()[-2:]  # valgrind's reason, when it is valgrind's
        detail = f": {' '.join(said)[-300:]}" if said else ""
        return "crash", f"the program exited (status {status}) during the test{detail}"
    return None


def _single_frame(data: bytes) -> bytes | str:
    """The payload of the one result frame that must follow the prelude's READY frame in
    `data` (or the prelude's compile-error frame alone), or why there is none."""
    frames: list[bytes] = []
    while (size := wire.frame_size(data)) is not None and len(frames) < 3:
        end = wire.HEADER_SIZE + size
        if len(data) < end:
            return "the program exited in the middle of its result"
        frames.append(data[wire.HEADER_SIZE : end])
        data = data[end:]
    if frames and frames[0] != READY:
        return frames[0]  # the prelude's own frame: the program did not compile
    if len(frames) < 2:
        return "the program exited without a result (status 0)"
    if len(frames) > 2 or data:
        return "the program wrote more than its one result frame"
    return frames[1]


def _refresh_bytecode() -> None:
    """Compile the package's stale modules, as an import would. The counting processes never
    write bytecode; a stale .pyc makes each of them compile the module again in its prelude,
    which leaves another heap behind for the count (seen: +4.6% on a loop that allocates)."""
    with contextlib.suppress(OSError):
        compileall.compile_dir(package_dir(), quiet=2)


def _inputs(test: TestCase) -> tuple[Any, ...]:
    return (test.kind.value, test.args, test.assertion, test.stdin, None)


def _runner_env() -> dict[str, str]:
    return {
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": WORK_DIR,
        "TMPDIR": WORK_DIR,
        "LANG": "C.UTF-8",
        # Installed packages, for programs that import them; not the judge's own sys.path,
        # which varies with how it was started (and would move every count a little).
        "PYTHONPATH": os.pathsep.join(site.getsitepackages()),
    }
