"""The judge's seccomp filters: one BPF builder and installer, three rule sets.

A `Rules` value names what a filter refuses; `build` turns it into a BPF program and
`install` puts it on the calling process (its threads and children inherit it, and cannot
remove it). Rule sets, composed with `|`:
- `NO_STATE`: the kernel keyring calls (`add_key`, `request_key`, `keyctl`: keys live in
  the kernel, per uid, and would outlive the run and the eval), the POSIX message queue
  calls (`mq_*`: a queue would outlive the run; the sandbox's IPC namespace also allows no
  queue, `fs.mqueue.queues_max = 0`) and every call of the x32 ABI (another numbering of
  the same calls) fail with EPERM.
- `RUNS` (`NO_STATE` and `rt_sigaction` on SIGCHLD -> EPERM: a process that ignores SIGCHLD
  has its children reaped by the kernel, and their CPU time is then added to nobody, `wait4`
  accounting, docs/judge.md): installed once in the zygote, before it forks any run, so
  every run inherits it.
- `BATCH`: added by a check batch: creating a process (`fork`, `vfork`, `clone` without
  CLONE_THREAD) kills the batch process, and the server runs that test again in a fresh
  process, where every child's CPU time is accounted (`runwatch`).
- `COUNTING` (`NO_STATE` and `NO_PROCESSES`): installed by the instruction-counting runner
  (`instr_runner`, not a zygote child) before any candidate code runs. Under callgrind the
  candidate shares its process with valgrind, which writes the count when the process ends:
  a process that could `exec` would end valgrind without a dump and could then write one of
  its own, and a child could write into the dump pipe while valgrind does. So `execve`,
  `execveat`, `fork`, `vfork`, `clone` without CLONE_THREAD (threads stay allowed), `unshare`,
  `setns`, `mount`, `umount2` and `ptrace` fail with EPERM. The SIGCHLD rule is left out: a
  process without children has nothing to reap, and valgrind queries every signal's action
  (SIGCHLD's included) whenever the candidate sets one.
Wherever a process is refused, `clone3` answers ENOSYS, so the C library falls back to
`clone`, whose flags the filter can read. Another ABI than the machine's own is killed.

Imported by the lean fork server and the counting runner: standard library only, and
none of the modules it keeps out (`tests/judge/test_lean_server.py`).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import signal
import struct
from typing import NamedTuple

_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_MODE_FILTER = 2
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_BIT = 0x40000000
_CLONE_THREAD = 0x00010000
_CALLS = {  # the system call numbers the rule sets name, per machine (aarch64 has no fork)
    "x86_64": {
        "add_key": 248, "request_key": 249, "keyctl": 250, "mq_open": 240, "mq_unlink": 241,
        "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
        "rt_sigaction": 13, "clone": 56, "fork": 57, "vfork": 58, "clone3": 435, "execve": 59,
        "execveat": 322, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
        "ptrace": 101,
    },
    "aarch64": {
        "add_key": 217, "request_key": 218, "keyctl": 219, "mq_open": 180, "mq_unlink": 181,
        "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185,
        "rt_sigaction": 134, "clone": 220, "clone3": 435, "execve": 221, "execveat": 281,
        "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "ptrace": 117,
    },
}  # fmt: skip
# BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
KILL = 0x80000000
"""Kill the whole process (SECCOMP_RET_KILL_PROCESS)."""
EPERM = 0x00050000 | errno.EPERM
"""Fail the call with EPERM."""
ENOSYS = 0x00050000 | errno.ENOSYS
"""Fail the call with ENOSYS (as if the kernel did not have it)."""
_ALLOW = 0x7FFF0000
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (arg0's low half, little-endian)


class Rules(NamedTuple):
    """What a filter refuses: `calls` (name, return) pairs, `clone` the return for a `clone`
    without CLONE_THREAD (None: allowed), `sigchld` refuses `rt_sigaction(SIGCHLD, ...)`
    with EPERM, `x32` every x32 call with EPERM (x86_64 only). Calls a machine lacks are
    skipped. `a | b` refuses what either refuses (a's return wins where both name a call)."""

    calls: tuple[tuple[str, int], ...] = ()
    clone: int | None = None
    sigchld: bool = False
    x32: bool = False

    def __or__(self, other: Rules) -> Rules:
        names = {name for name, _ in self.calls}
        return Rules(
            calls=self.calls + tuple(call for call in other.calls if call[0] not in names),
            clone=self.clone if self.clone is not None else other.clone,
            sigchld=self.sigchld or other.sigchld,
            x32=self.x32 or other.x32,
        )


_KEYS = ("add_key", "request_key", "keyctl")
_MQ = ("mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr")
_PROCESSES = ("execve", "execveat", "fork", "vfork", "unshare", "setns", "mount", "umount2")

NO_STATE = Rules(calls=tuple((name, EPERM) for name in (*_KEYS, *_MQ)), x32=True)
"""No kernel keyring, no message queue, no x32 call: EPERM."""
RUNS = NO_STATE | Rules(sigchld=True)
"""The zygote's filter, inherited by every run."""
BATCH = Rules(calls=(("clone3", ENOSYS), ("fork", KILL), ("vfork", KILL)), clone=KILL)
"""A check batch's: the first new process kills the batch process."""
NO_PROCESSES = Rules(
    calls=(("clone3", ENOSYS), *((name, EPERM) for name in (*_PROCESSES, "ptrace"))),
    clone=EPERM,
)
"""No new process, no new namespace, no mount, no ptrace: EPERM."""
COUNTING = NO_STATE | NO_PROCESSES
"""The instruction-counting process's filter."""


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _instruction(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def build(rules: Rules, machine: str | None = None) -> bytes:
    """The filter program (struct sock_filter array) refusing `rules` on `machine` (this
    one by default); KeyError for a machine without a table."""
    machine = machine or os.uname().machine
    numbers = _CALLS[machine]
    body = [_instruction(_LD_W_ABS, _ARCH), _instruction(_JEQ_K, _AUDIT_ARCH[machine], 1, 0)]
    body.append(_instruction(_RET_K, KILL))  # a foreign ABI: never ours
    body.append(_instruction(_LD_W_ABS, _NR))
    if rules.x32 and machine == "x86_64":
        body += [_instruction(_JGE_K, _X32_BIT, 0, 1), _instruction(_RET_K, EPERM)]
    for name, action in rules.calls:
        if name in numbers:
            body += [_instruction(_JEQ_K, numbers[name], 0, 1), _instruction(_RET_K, action)]
    if rules.sigchld:  # rt_sigaction(SIGCHLD, ...) -> EPERM (the last load of nr's test)
        body += [
            _instruction(_JEQ_K, numbers["rt_sigaction"], 0, 3),
            _instruction(_LD_W_ABS, _ARG0),
            _instruction(_JEQ_K, signal.SIGCHLD, 0, 1),
            _instruction(_RET_K, EPERM),
        ]
        if rules.clone is not None:  # arg0 is loaded now: reload the number
            body.append(_instruction(_LD_W_ABS, _NR))
    if rules.clone is not None:  # clone without CLONE_THREAD -> rules.clone
        body += [
            _instruction(_JEQ_K, numbers["clone"], 0, 3),
            _instruction(_LD_W_ABS, _ARG0),
            _instruction(_JSET_K, _CLONE_THREAD, 1, 0),
            _instruction(_RET_K, rules.clone),
        ]
    body.append(_instruction(_RET_K, _ALLOW))
    return b"".join(body)


@functools.cache
def _program(rules: Rules) -> tuple[ctypes.Array[ctypes.c_char], _Program]:
    """The filter as the kernel takes it, built once in the fork server (`prepare`): a batch
    process only makes the one system call, and touches no fresh memory to build it."""
    code = build(rules)
    buffer = ctypes.create_string_buffer(code, len(code))
    return buffer, _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p).value)


def prepare() -> None:
    """Build the runs' and the batches' filters (in the fork server, before it forks)."""
    _program(RUNS)
    _program(BATCH)


def install(libc: ctypes.CDLL, rules: Rules = RUNS) -> None:
    """Install a filter in the calling process (its threads and children inherit it: the
    kernel compiles it once, a few hundred microseconds, so the zygote installs `RUNS` for
    every run). Sets `no_new_privs`, which a filter requires; raises OSError if refused (or
    for a machine without a table)."""
    if os.uname().machine not in _CALLS:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {os.uname().machine}")
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    program = _program(rules)[1]
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"seccomp: {os.strerror(ctypes.get_errno())}")
