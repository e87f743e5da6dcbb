"""The pristine zygote: the only process that forks run processes, and one that never holds
any job's data.

The fork server (which holds jobs: programs, tests, results) starts the zygote once, after
its warm-up and before it reads any job, as PID 1 of a nested PID namespace with its own
/proc. From then on the zygote only:
- on a *fork* request, which carries one descriptor (the run's socket, SCM_RIGHTS), forks a
  process that reads its own task (one program's code and one test's arguments, or one
  program's check batch) from that socket (`runproc.child_main`): the task never passes
  through the zygote, not even through its freed memory;
- on a *reap* request, kills a run process and everything left in its namespace (but the
  check batches it is told to spare), reaps them with `wait4`, and answers with their exit
  status, CPU time (microseconds, waited-for children included) and peak memory.
While a run is alive the zygote sits in `recvmsg` and writes nothing, so its memory stays as
the run found it. A run therefore reaches, through frames, `gc` or the heap, nothing of
another program, another test, an expected value or an earlier job.

Signals: runs cannot name the fork server (it is outside their PID namespace), which ignores
every catchable signal anyway. The zygote is their namespace's PID 1: the kernel never
delivers it, from inside, a signal it has no handler for, and it ignores SIGINT, the one
Python handles; so no signal a run sends reaches it, and a run only restores SIGINT's
handler. (Where it cannot be PID 1, it ignores every catchable signal, and runs restore
them all.)

Imported by the lean fork server: standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import marshal
import os
import resource
import signal
import socket
import sys
import time
from typing import Any

from perfcodegen.judge import runproc, sandbox, seccomp

_FORK, _REAP = b"f", b"r"
_CLONE_NEWNS = 0x00020000
_CLONE_NEWPID = 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 2, 4, 8
_MAX_MESSAGE = 1 << 16
"""Requests and answers are a few bytes (a reap request names the batches to spare)."""
_FD_SPACE = socket.CMSG_SPACE(4)


def ignore_signals(every: bool = True) -> None:
    """SIG_IGN for every catchable signal but SIGCHLD (ignoring it would have the kernel reap
    runs before their CPU time is read); or, `every` False, for SIGINT (the one signal Python
    handles) alone, SIG_DFL for the others."""
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
            continue
        keep = every or sig == signal.SIGINT or sig in runproc.PYTHON_IGNORES
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_IGN if keep else signal.SIG_DFL)


class Zygote:
    """The fork server's handle on its zygote (started in `__init__`)."""

    def __init__(self, isolation: sandbox.ServerIsolation) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        libc = sandbox._libc()
        nested = isolation.level is not sandbox.IsolationLevel.NONE and (
            libc.unshare(_CLONE_NEWPID) == 0
        )
        pid = os.fork()
        if pid == 0:  # the zygote: never returns
            ours.close()
            _main(isolation, theirs, nested)
        theirs.close()
        self.pid = pid
        self._socket = ours
        notes = marshal.loads(ours.recv(_MAX_MESSAGE) or marshal.dumps(["the zygote died"]))
        self.notes: list[str] = [str(note) for note in notes]
        if not nested and isolation.level is not sandbox.IsolationLevel.NONE:
            self.notes.append("runs share the fork server's PID namespace")

    def fork(self, run_socket: socket.socket) -> None:
        """Have the zygote fork a run process that serves on `run_socket`."""
        socket.send_fds(self._socket, [_FORK], [run_socket.fileno()])

    def reap(self, pid: int, spare: frozenset[int] = frozenset()) -> dict[str, Any]:
        """Kill and reap run process `pid` (a pid of the zygote's namespace; 0: unknown) and
        every other process of that namespace but those in `spare`:
        {"status": wait status of `pid` or None, "self_ns": its own CPU time, "total_ns":
        its CPU time with its waited-for children's, "leftover_ns": CPU time of the others,
        "maxrss_kb": the largest peak memory among them}."""
        self._socket.sendall(_REAP + marshal.dumps((pid, sorted(spare))))
        answer: dict[str, Any] = marshal.loads(self._socket.recv(_MAX_MESSAGE))
        return answer


def _main(isolation: sandbox.ServerIsolation, control: socket.socket, nested: bool) -> None:
    code = 0
    try:
        # As PID 1 of the runs' namespace, the kernel drops every signal a run sends it that
        # it does not handle: ignoring SIGINT suffices, and runs restore only SIGINT. Where it
        # is not PID 1, it ignores them all, and each run restores them all.
        ignore_signals(every=not nested)
        sandbox._libc().prctl(sandbox._PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):  # the judge's pipes: only the fork server may hold them
            os.dup2(devnull, fd)
        os.close(devnull)
        notes = _private_proc() if nested else []
        own_proc = nested and not notes
        try:  # inherited by every run: keyrings, message queues, SIGCHLD (`seccomp`)
            seccomp.install(sandbox._libc(), seccomp.RUNS)
        except OSError as exc:
            notes.append(f"no seccomp filter for the runs ({exc})")
        control.sendall(marshal.dumps(notes))
        _serve(isolation, control, nested, own_proc)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _private_proc() -> list[str]:
    """A /proc of the nested PID namespace (runs see only their own processes; the zygote
    lists its children there), in a mount namespace of the zygote's own."""
    libc = sandbox._libc()
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    if libc.unshare(_CLONE_NEWNS) != 0 or libc.mount(
        b"proc", b"/proc", b"proc", flags, b"hidepid=2"
    ) != 0:  # fmt: skip
        return [f"no /proc for the runs' PID namespace ({os.strerror(ctypes.get_errno())})"]
    return []


def _serve(
    isolation: sandbox.ServerIsolation, control: socket.socket, nested: bool, own_proc: bool
) -> None:
    while True:
        message, ancillary, _, _ = control.recvmsg(_MAX_MESSAGE, _FD_SPACE)
        fds = [
            int.from_bytes(data[:4], sys.byteorder)
            for level, kind, data in ancillary
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
        ]
        if not message:
            return  # the fork server is gone
        if message[:1] == _FORK and fds:
            pid = os.fork()
            if pid == 0:  # a run process: never returns
                control.close()
                runproc.child_main(isolation, fds[0], restore_all=not nested)
            os.close(fds[0])
        elif message[:1] == _REAP:
            pid, spare = marshal.loads(message[1:])
            control.sendall(marshal.dumps(_reap(isolation, pid, frozenset(spare), own_proc)))
        else:
            for fd in fds:
                os.close(fd)


def _reap(
    isolation: sandbox.ServerIsolation, pid: int, spare: frozenset[int], own_proc: bool
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "status": None, "self_ns": 0, "total_ns": 0, "leftover_ns": 0, "maxrss_kb": 0,
    }  # fmt: skip
    if pid > 0:
        for target in (pid, -pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(target, signal.SIGKILL)
        _reap_run(pid, answer)
    for leftover in _kill_the_rest(spare, own_proc):
        answer["leftover_ns"] += _ns(leftover)
        answer["maxrss_kb"] = max(answer["maxrss_kb"], leftover.ru_maxrss)
    sandbox.wipe_work_dir(isolation)
    return answer


def _reap_run(pid: int, answer: dict[str, Any]) -> None:
    """Reap run process `pid` (killed), with its own CPU time read while it is a zombie."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # a zombie: its clock holds
    except ChildProcessError:
        return  # not ours
    try:
        own: int | None = time.clock_gettime_ns(((~pid) << 3) | 2)
    except OSError:
        own = None
    _, answer["status"], usage = os.wait4(pid, 0)
    answer["total_ns"] = _ns(usage)
    answer["self_ns"] = answer["total_ns"] if own is None else own  # no figure: no children
    answer["maxrss_kb"] = usage.ru_maxrss


def _kill_the_rest(spare: frozenset[int], own_proc: bool) -> list[resource.struct_rusage]:
    """Kill and reap every other process of the namespace but `spare`. As PID 1 with nothing
    to spare, `kill(-1)` reaches them all at once; otherwise they are listed in /proc."""
    if spare or os.getpid() != 1:
        return sandbox.kill_descendants(spare) if own_proc or os.getpid() != 1 else []
    usages = []
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        try:
            usages.append(os.wait4(-1, 0)[2])
        except ChildProcessError:
            return usages


def _ns(usage: resource.struct_rusage) -> int:
    return round((usage.ru_utime + usage.ru_stime) * 1e6) * 1000
