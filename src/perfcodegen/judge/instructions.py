"""Deterministic measurement: per-test instruction counts (MeasureMode.INSTRUCTIONS).

Hardware counters (`perf_event_open`, user space only) when the machine has them, else
callgrind. One runner process per program (all its tests: each valgrind start costs about a
second), started inside the judge's sandbox by `sandbox_exec` (the fork server's namespaces,
filesystem view, uid and limits), so programs never share a process and candidates reach
neither the network nor the project. The runner (:mod:`perfcodegen.judge.instr_runner`)
sends back observed values as plain data and the judge compares them here. A task that
crashes or hangs the runner is marked, and ends that program (its other tests are not run).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfcodegen.judge import wire
from perfcodegen.judge.client import lean_command, program_result
from perfcodegen.judge.instr_counters import (
    InstructionMethod,
    build_callgrind_shim,
    hardware_counters_available,
    require_valgrind,
)
from perfcodegen.judge.instr_runner import (
    BASELINE_LABEL,
    RUNNER_COMMAND,
    RunnerSpec,
    is_compile_error,
    task_label,
)
from perfcodegen.judge.model import (
    JudgeJob,
    JudgeResult,
    Limits,
    MeasureMode,
    ProgramResult,
    TestOutcome,
)
from perfcodegen.judge.sandbox import WORK_DIR, isolation_rank
from perfcodegen.judge.sandbox_exec import ISOLATION_REFUSED
from perfcodegen.judge.verdicts import outcome_from_observation

CALLGRIND_SLOWDOWN = 50.0
"""Time budgets are multiplied by this under valgrind (measured: 35 to 70x native)."""
CALLGRIND_MEMORY_OVERHEAD_MB = 512
"""Address space valgrind and callgrind's cost tables need on top of the program's limit."""
STARTUP_TIMEOUT_S = 120.0
"""Runner start-up (valgrind, imports, baseline) and the gaps between tasks."""
TASK_GRACE_S = 3.0
"""Added to each task's budget: preparing the program, re-translation after a restart."""
EXIT_GRACE_S = 5.0
"""How long a runner whose output has ended may take to exit before its sandbox is killed."""
TOOL_FILE_SIZE_MB = 64
"""Callgrind writes its dumps under the same file-size limit as the program."""
_READ_CHUNK = 1 << 16
_RECORD_BYTES = 64 * 1024
"""Room per record besides the observed value (error messages, tracebacks)."""


@dataclass
class _Task:
    program: int
    test: int


@dataclass
class _Outcomes:
    """Everything learnt about a job so far."""

    observed: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    """(program, test) -> what the runner observed, in `verdicts.outcome_from_observation` form."""
    baselines: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    isolation: str | None = None
    """The weakest isolation level any runner of the job had."""


class _RunnerFailed(Exception):
    """The runner died or hung outside any task (valgrind or interpreter start-up)."""


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
    """Count instructions per (program, test); verdicts as the judge gives them.

    Each program gets runner processes of its own (never shared with the program it is
    compared with), started inside the judge's sandbox (`sandbox_exec`)."""
    started = time.perf_counter()
    chosen = resolve_method(method)
    outcomes = _Outcomes()
    if method is None and chosen is InstructionMethod.CALLGRIND:
        outcomes.notes.append("hardware instruction counters unavailable; using callgrind")
    outcomes.notes.append(
        f"instructions counted with {chosen.value}"
        + (" (bit-identical across runs)" if chosen is InstructionMethod.CALLGRIND else "")
    )
    launch = _launcher(chosen)
    for program in range(len(job.programs)):
        tasks = [_Task(program, t) for t in range(len(job.tests))]
        _run_batch(job, chosen, tasks, launch, outcomes, isolation)
    programs = [_program_result(job, p, outcomes) for p in range(len(job.programs))]
    return JudgeResult(
        job_id=job.job_id,
        mode=MeasureMode.INSTRUCTIONS,
        programs=programs,
        elapsed_s=time.perf_counter() - started,
        notes=outcomes.notes,
        isolation=outcomes.isolation or "none",
    )


def _launcher(method: InstructionMethod) -> Callable[[Path], list[str]]:
    """Command line of one runner, given its dump directory."""
    runner = [sys.executable, "-c", RUNNER_COMMAND]
    if method is InstructionMethod.HARDWARE:
        return lambda dumps: runner
    valgrind = require_valgrind()
    return lambda dumps: [
        valgrind,
        "--tool=callgrind",
        "-q",
        "--instr-atstart=no",
        "--collect-atstart=no",
        f"--callgrind-out-file={dumps / 'callgrind.out'}",
        *runner,
    ]


def _slowdown(method: InstructionMethod) -> float:
    return CALLGRIND_SLOWDOWN if method is InstructionMethod.CALLGRIND else 1.0


def _sandbox_config(
    limits: Limits, method: InstructionMethod, tasks: int, dumps: Path, isolation: str
) -> dict[str, Any]:
    """Limits for the runner process (which runs every task of its batch), for `sandbox_exec`."""
    slowdown = _slowdown(method)
    overhead_mb = CALLGRIND_MEMORY_OVERHEAD_MB if method is InstructionMethod.CALLGRIND else 0
    shim = [str(build_callgrind_shim().parent)] if method is InstructionMethod.CALLGRIND else []
    return {
        "allow": isolation,
        "writable": [str(dumps)],
        "read_only": shim,
        "memory_mb": limits.memory_mb + overhead_mb,
        "cpu_time_s": STARTUP_TIMEOUT_S + tasks * (limits.cpu_time_s * slowdown + TASK_GRACE_S),
        "file_size_mb": max(limits.file_size_mb, TOOL_FILE_SIZE_MB),
        "max_processes": limits.max_processes,
        "no_aslr": True,
    }


def _run_batch(
    job: JudgeJob,
    method: InstructionMethod,
    tasks: list[_Task],
    launch: Callable[[Path], list[str]],
    outcomes: _Outcomes,
    isolation: str,
) -> None:
    """Run one program's tasks in one sandboxed runner; a task that crashes or hangs it ends
    the program (its remaining tests are not run)."""
    shim = str(build_callgrind_shim()) if method is InstructionMethod.CALLGRIND else None
    spec = RunnerSpec(
        job=job.model_copy(update={"job_id": ""}),  # the runner's history must not vary
        tasks=[(t.program, t.test) for t in tasks],
        method=method,
        shim_library=shim,
    )
    root = Path(tempfile.mkdtemp(prefix="perfcodegen-instr-"))
    try:
        work, dumps = root / "work", root / "dumps"
        work.mkdir()
        dumps.mkdir()
        spec_path = root / "spec.json"
        spec_path.write_text(spec.model_dump_json(), encoding="utf-8")
        read_fd, write_fd = os.pipe()
        try:
            config = _sandbox_config(job.limits, method, len(tasks), dumps, isolation)
            command = lean_command(
                "perfcodegen.judge.sandbox_exec.main", json.dumps(config), "--", *launch(dumps)
            )
            with (root / "stderr.txt").open("wb") as stderr, spec_path.open("rb") as spec_file:
                process = subprocess.Popen(
                    command,
                    cwd=work,
                    env=_runner_env(),
                    stdin=spec_file,
                    stdout=write_fd,  # fixed fd number: the runner's history never varies
                    stderr=stderr,
                    start_new_session=True,
                )
            os.close(write_fd)
            write_fd = -1
            _follow(process, read_fd, job.limits, method, outcomes, len(tasks))
        except _RunnerFailed as exc:
            _fail_runner(tasks, str(exc), root / "stderr.txt", outcomes)
            return
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        if method is InstructionMethod.CALLGRIND:
            _attach_callgrind_counts(dumps, outcomes)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _runner_env() -> dict[str, str]:
    return {
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": WORK_DIR,
        "TMPDIR": WORK_DIR,
        "LANG": "C.UTF-8",
    }


def _follow(
    process: subprocess.Popen[bytes],
    read_fd: int,
    limits: Limits,
    method: InstructionMethod,
    outcomes: _Outcomes,
    tasks: int,
) -> _Task | None:
    """Read the runner's records until it finishes (None) or dies in a task (that task)."""
    task_budget = limits.wall_time_s * _slowdown(method) + TASK_GRACE_S
    frames = wire.FrameBuffer(max_bytes=(limits.output_bytes + _RECORD_BYTES) * (tasks + 4))
    current: _Task | None = None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while True:
            readable, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(read_fd, _READ_CHUNK) if readable else b""
            if not chunk:
                break
            try:
                records = frames.feed(chunk)
            except (wire.FrameTooLarge, ValueError, EOFError, TypeError) as exc:
                if current is None:
                    raise _RunnerFailed(f"unreadable runner output ({exc})") from exc
                message = f"the program's output exceeded the limit ({exc})"
                outcomes.observed[(current.program, current.test)] = _failure(
                    "output_limit", message
                )
                return current
            for record in records:
                event = record.get("event") if isinstance(record, dict) else None
                if event == "finished":
                    return None
                if event == "isolation":
                    _note_isolation(outcomes, record)
                elif event == "baseline" and isinstance(record.get("count"), int):
                    outcomes.baselines.append(record["count"])
                elif event == "start":
                    current = _Task(int(record["program"]), int(record["test"]))
                elif event == "done" and current is not None:
                    outcomes.observed[(current.program, current.test)] = record
                    current = None
                budget = STARTUP_TIMEOUT_S if current is None else task_budget
                deadline = time.monotonic() + budget
    finally:
        _kill_group(process, grace_s=EXIT_GRACE_S if readable else 0.0)
    if current is None:
        raise _RunnerFailed(f"the runner stopped outside any test ({_exit_text(process)})")
    key = (current.program, current.test)
    if not readable:
        message = f"no result within {task_budget:.0f} s ({method.value})"
        outcomes.observed[key] = _failure("timeout", message)
    else:
        outcomes.observed[key] = _death_observation(process.returncode)
    return current


def _note_isolation(outcomes: _Outcomes, record: dict[str, Any]) -> None:
    level = str(record.get("level"))
    if outcomes.isolation is None or isolation_rank(level) < isolation_rank(outcomes.isolation):
        outcomes.isolation = level
    for note in record.get("notes") or []:
        if str(note) not in outcomes.notes:
            outcomes.notes.append(str(note))


def _signal_of(returncode: int) -> int | None:
    """The signal that ended the runner: the sandbox's PID 1 reports it as 128 + signal."""
    if returncode < 0:
        return -returncode
    return returncode - 128 if returncode > 128 else None


def _exit_text(process: subprocess.Popen[bytes]) -> str:
    code = process.returncode
    if code == ISOLATION_REFUSED:
        return "the sandbox is below the accepted isolation level (see --isolation)"
    sig = _signal_of(code)
    return f"killed by {signal.Signals(sig).name}" if sig else f"exit status {code}"


def _kill_group(process: subprocess.Popen[bytes], grace_s: float = 0.0) -> None:
    """Kill the runner's sandbox, after `grace_s` for it to exit on its own (its output has
    ended: the sandbox's PID 1 is reaping it and will report how it ended)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _failure(status: str, message: str) -> dict[str, Any]:
    return {"status": status, "message": message}


def _death_observation(returncode: int) -> dict[str, Any]:
    sig = _signal_of(returncode)
    if sig == signal.SIGXCPU:
        return _failure("timeout", "CPU time limit exceeded")
    if sig:
        return _failure("crash", f"the program was killed by {signal.Signals(sig).name}")
    return _failure("crash", f"the program exited (status {returncode}) during the test")


def _fail_runner(tasks: list[_Task], reason: str, stderr_path: Path, outcomes: _Outcomes) -> None:
    tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-1000:].strip()
    message = f"instruction-counting runner failed: {reason}; stderr: {tail or 'empty'}"
    outcomes.notes.append(message)
    for task in tasks:
        key = (task.program, task.test)
        outcomes.observed.setdefault(key, _failure("sandbox", message))


def read_callgrind_dumps(directory: Path) -> dict[str, int]:
    """Label -> smallest instruction count over callgrind dumps made by DUMP_STATS_AT(label)."""
    counts: dict[str, int] = {}
    trigger = "desc: Trigger: Client Request: "
    for path in directory.glob("callgrind.out*"):
        label, total = None, None
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(trigger):
                    label = line[len(trigger) :].strip()
                elif line.startswith(("totals:", "summary:")):
                    total = int(line.split(":", 1)[1].split()[0])
                    break
        if label is not None and total is not None:
            counts[label] = min(total, counts.get(label, total))
    return counts


def _attach_callgrind_counts(dumps: Path, outcomes: _Outcomes) -> None:
    counts = read_callgrind_dumps(dumps)
    if BASELINE_LABEL in counts:
        outcomes.baselines.append(counts[BASELINE_LABEL])
    for (program, test), record in outcomes.observed.items():
        if record.get("count") is None:
            record["count"] = counts.get(task_label(program, test))


def _program_result(job: JudgeJob, program: int, outcomes: _Outcomes) -> ProgramResult:
    baseline = min(outcomes.baselines, default=0)
    tests: list[TestOutcome] = []
    compile_error = None
    for index, test in enumerate(job.tests):
        observed = outcomes.observed.get((program, index))
        if observed is None:
            continue
        if is_compile_error(observed):
            compile_error = observed["error"]
            break
        outcome = outcome_from_observation(index, test, observed, job.compare)
        count = observed.get("count")
        if isinstance(count, int):
            outcome = outcome.model_copy(update={"instructions": max(count - baseline, 0)})
        tests.append(outcome)
    return program_result(job, tests, compile_error)
