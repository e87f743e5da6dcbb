"""Run one command (an instruction-counting process) inside the judge's sandbox.

    python -c <lean bootstrap> perfcodegen.judge.sandbox_exec CONFIG -- COMMAND...

The same namespaces and filesystem view as the fork server (`sandbox.isolate`), plus the
folders CONFIG names as `read_only` (the compiled callgrind shim). PID 1 reports on
`report_fd`, a pipe that only it holds: first {"event": "isolation", "level", "notes"},
last {"event": "exit", "status", "instructions"}. It forks one process that takes the run
limits and the sandbox uid (`sandbox.enter_run`) and execs COMMAND with the standard
streams it was given, plus, when CONFIG has a `dump_fd`, that pipe as descriptor DUMP_FD
(inside valgrind's reserved range: the candidate's system calls cannot write, close or
replace it; callgrind writes its one dump there when the process ends). With `hardware`,
PID 1 opens a user-space instruction counter on that process before it execs, and reads it
after it ends: the count never passes through the candidate's process. PID 1 ignores every
catchable signal, waits, kills and reaps whatever the process left, and reports how it
ended (128 + the signal when it was killed). Below the accepted isolation level it exits
with ISOLATION_REFUSED before running anything.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys

from perfcodegen.judge import sandbox, wire

ISOLATION_REFUSED = 71
DUMP_FD = 255
"""The dump pipe's descriptor in the counted process: the top of the 256 that
`sandbox.enter_run` allows, inside the range valgrind keeps for itself."""
_RANK = {"none": 0, "partial": 1, "full": 2}
_ADDR_NO_RANDOMIZE = 0x0040000
_PERSONALITY_QUERY = 0xFFFFFFFF
_SPARED = {signal.SIGCHLD, signal.SIGKILL, signal.SIGSTOP}


def _set_signals(handler: signal.Handlers) -> None:
    for sig in signal.valid_signals():
        if sig not in _SPARED:
            try:
                signal.signal(sig, handler)
            except (OSError, ValueError):
                continue


def _exit_status(status: int) -> int:
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def main(argv: list[str]) -> None:
    config = json.loads(argv[0])
    command = argv[argv.index("--") + 1 :]
    report = int(config["report_fd"])
    keep = [0, 1, 2, report]
    dump = config.get("dump_fd")
    if dump is not None:
        os.dup2(int(dump), DUMP_FD)
        os.close(int(dump))
        keep.append(DUMP_FD)
    isolation = sandbox.isolate(
        config["allow"], keep_fds=tuple(keep), read_only=tuple(config.get("read_only", []))
    )
    _set_signals(signal.SIG_IGN)  # PID 1 of the sandbox: the run cannot stop it
    level = isolation.level.value
    wire.write_frame(report, {"event": "isolation", "level": level, "notes": list(isolation.notes)})
    if _RANK[level] < _RANK[config["allow"]]:
        os._exit(ISOLATION_REFUSED)
    if dump is not None and isolation.sandbox_uid is not None:
        # callgrind opens the pipe by its /proc/self/fd path, as the run's uid
        os.fchown(DUMP_FD, isolation.sandbox_uid, isolation.sandbox_uid)
    hardware = bool(config.get("hardware"))
    go_read, go_write = os.pipe() if hardware else (-1, -1)
    pid = os.fork()
    if pid == 0:
        try:
            _set_signals(signal.SIG_DFL)
            sandbox.enter_run(
                isolation,
                tuple(fd for fd in (DUMP_FD if dump is not None else -1, go_read) if fd >= 0),
                cpu_time_s=config["cpu_time_s"],
                memory_mb=config["memory_mb"],
                file_size_mb=config["file_size_mb"],
                max_processes=config["max_processes"],
                keep_stdio=True,
            )
            if config.get("no_aslr"):  # the same layout every run: counts repeat
                libc = ctypes.CDLL(None, use_errno=True)
                libc.personality(libc.personality(_PERSONALITY_QUERY) | _ADDR_NO_RANDOMIZE)
            if hardware and os.read(go_read, 1) != b"g":  # the counter is not attached
                os._exit(127)
            if hardware:
                os.close(go_read)
            os.execv(command[0], command)
        finally:
            os._exit(127)
    if dump is not None:
        os.close(DUMP_FD)  # the judge sees the dump pipe end when the counted process does
    record: dict[str, object] = {"event": "exit", "instructions": None}
    if hardware:
        status = _run_counted(pid, go_read, go_write, record)
    else:
        status = _exit_status(os.waitpid(pid, 0)[1])
    record["status"] = status
    sandbox.kill_descendants()
    wire.write_frame(report, record)
    os._exit(status & 0xFF)


def _run_counted(pid: int, go_read: int, go_write: int, record: dict[str, object]) -> int:
    """Attach a hardware counter to `pid` (enabled at its exec, children included), let it
    exec, wait for it, and read the counter into `record` (or why there is none: the process
    is then never let go, and ends with 127); returns its exit status."""
    from perfcodegen.judge.instr_counters import HardwareCounter

    os.close(go_read)
    try:
        counter: HardwareCounter | None = HardwareCounter(pid=pid, on_exec=True)
    except OSError as exc:
        counter, record["counter_error"] = None, str(exc)
    if counter is not None:
        os.write(go_write, b"g")
    os.close(go_write)
    status = _exit_status(os.waitpid(pid, 0)[1])
    record["instructions"] = counter.read() if counter is not None else None
    return status


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main(sys.argv[1:])
