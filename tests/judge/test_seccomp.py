"""The one seccomp builder: each rule set refuses what it names and allows the rest."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import threading
from collections.abc import Callable

import pytest

from perfcodegen.judge import seccomp

MACHINE = os.uname().machine
pytestmark = pytest.mark.skipif(MACHINE not in ("x86_64", "aarch64"), reason="no filter table")


def _errno_of(call: Callable[[], object]) -> int:
    """0 if `call` succeeds, else the errno of the OSError it raises."""
    try:
        call()
    except OSError as exc:
        return exc.errno or -1
    return 0


def _keyctl() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    # KEYCTL_GET_KEYRING_ID (0) of the session keyring (-3), without creating one.
    if libc.syscall(seccomp._CALLS[MACHINE]["keyctl"], 0, -3, 0) == -1:
        raise OSError(ctypes.get_errno(), "keyctl")


def _fork() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7


def _thread() -> None:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()


def _sigchld() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def _under(rules: seccomp.Rules, probes: dict[str, Callable[[], object]]) -> dict[str, int]:
    """Each probe's errno (0: allowed) in a forked child that installed `rules`."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            seccomp.install(ctypes.CDLL(None, use_errno=True), rules)
            result = ",".join(f"{name}={_errno_of(probe)}" for name, probe in probes.items())
            os.write(write, result.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(pid, 0)
    assert text, "the child could not install the filter"
    return {name: int(value) for name, value in (item.split("=") for item in text.split(","))}


def _keyring_available() -> bool:
    return _errno_of(_keyctl) != errno.ENOSYS


def test_no_state_refuses_keyrings_and_allows_processes() -> None:
    if not _keyring_available():
        pytest.skip("this kernel has no keyrings")
    seen = _under(seccomp.NO_STATE, {"keyctl": _keyctl, "fork": _fork, "sigchld": _sigchld})
    assert seen == {"keyctl": errno.EPERM, "fork": 0, "sigchld": 0}


def test_runs_adds_the_sigchld_rule() -> None:
    seen = _under(seccomp.RUNS, {"sigchld": _sigchld, "fork": _fork, "thread": _thread})
    assert seen == {"sigchld": errno.EPERM, "fork": 0, "thread": 0}


def test_counting_is_the_union_and_keeps_threads() -> None:
    probes = {"fork": _fork, "thread": _thread, "sigchld": _sigchld}
    if _keyring_available():
        probes["keyctl"] = _keyctl
    seen = _under(seccomp.COUNTING, probes)
    assert seen.pop("fork") == errno.EPERM
    assert seen.pop("keyctl", errno.EPERM) == errno.EPERM
    assert seen == {"thread": 0, "sigchld": 0}


def test_union_keeps_every_rule_once() -> None:
    both = seccomp.NO_STATE | seccomp.NO_PROCESSES
    names = [name for name, _ in both.calls]
    assert len(names) == len(set(names))
    assert set(names) == {n for n, _ in seccomp.NO_STATE.calls} | {
        n for n, _ in seccomp.NO_PROCESSES.calls
    }
    assert both.clone == seccomp.EPERM and both.x32 and not both.sigchld
    # A machine without fork/vfork (aarch64) still gets a program: those rules are skipped.
    assert len(seccomp.build(seccomp.BATCH, "aarch64")) < len(seccomp.build(seccomp.BATCH, "x86_64"))
