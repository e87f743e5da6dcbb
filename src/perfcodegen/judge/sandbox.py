"""Isolation of the fork server (once) and of each child (after every fork).

What this machine offers and what we use (all checked by tests/judge/test_hostile.py):
- Network: the fork server moves itself into a new, empty network namespace
  (unshare(CLONE_NEWNET); only a down loopback), so every child is offline.
- Files: the fork server gets a private mount namespace with fresh tmpfs on /tmp, /var/tmp,
  /dev/shm and /run/lock (the world-writable places); children run as an unprivileged uid
  that is unique to their fork server (100000 + server pid), so they can write only in their
  work dir and those private, wiped tmpfs.
- Processes: running as root, RLIMIT_NPROC is not enforced; as an unprivileged uid it is,
  and because the uid is unique to one fork server (which runs one child at a time), the
  limit counts exactly the candidate's own processes and threads (fork bombs stop there).
- Process trees: the fork server is a child subreaper, so daemonised grandchildren
  reparent to it and are killed after each execution; children also get a new session and
  PR_SET_PDEATHSIG.
Where a step is not possible (not root, no namespaces), it is skipped and reported once as
a note.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
PRIVATE_TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
SANDBOX_UID_BASE = 100000
_MB = 1024 * 1024


@dataclass(frozen=True)
class ServerIsolation:
    """What the fork server managed to set up (reported to the judge once)."""

    sandbox_uid: int | None
    network_isolated: bool
    private_tmp: bool
    notes: tuple[str, ...]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _errno_text() -> str:
    return os.strerror(ctypes.get_errno())


def isolate_server(tmpfs_mb: int = 256) -> ServerIsolation:
    """Set up the fork server's namespaces, subreaper role and sandbox uid."""
    libc = _libc()
    notes: list[str] = []
    is_root = os.geteuid() == 0
    network = libc.unshare(_CLONE_NEWNET) == 0
    if not network:
        notes.append(f"network isolation unavailable (unshare: {_errno_text()})")
    private_tmp = False
    if is_root and libc.unshare(_CLONE_NEWNS) == 0:
        private_tmp = libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) == 0
        options = f"size={tmpfs_mb}m,mode=1777".encode()
        for path in PRIVATE_TMP_DIRS:
            if os.path.isdir(path):
                ok = libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, options) == 0
                private_tmp = private_tmp and ok
    if not private_tmp:
        notes.append("private /tmp unavailable: candidates may leave files in shared /tmp")
    else:
        _expose_paths(libc, [sys.base_prefix, sys.prefix, *(p for p in sys.path if p)])
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        notes.append(f"child subreaper unavailable ({_errno_text()})")
    uid = SANDBOX_UID_BASE + os.getpid() if is_root else None
    if uid is None:
        notes.append(
            "not running as root: candidates run as the current user; the process limit "
            "counts all of this user's processes and files outside the work dir are not protected"
        )
    elif not _uid_can_import(uid):
        uid = None
        notes.append(
            "the Python installation is not readable by an unprivileged user: candidates run "
            "as root (no process limit, files outside the work dir not protected)"
        )
    return ServerIsolation(uid, network, private_tmp, tuple(notes))


def _hidden_ancestors(paths: list[str]) -> dict[str, set[str]]:
    """For each path, its first ancestor that others cannot search, and the child to re-expose."""
    plan: dict[str, set[str]] = {}
    for path in paths:
        if not os.path.exists(path):
            continue
        current = "/"
        for part in Path(path).resolve().parts[1:]:
            if not os.stat(current).st_mode & stat.S_IXOTH:
                plan.setdefault(current, set()).add(part)
                break
            current = os.path.join(current, part)
    return plan


def _expose_paths(libc: ctypes.CDLL, paths: list[str]) -> None:
    """Let the sandbox uid read the interpreter under a private dir such as /root.

    Inside the server's own mount namespace, a private directory on the way (mode 0700) is
    covered by an empty tmpfs and only the entries Python needs are bind-mounted back, so the
    rest of it (secrets, caches) stays invisible to candidates.
    """
    for _ in range(4):  # nested private directories: one level per round
        plan = _hidden_ancestors(paths)
        if not plan:
            return
        for hidden, names in plan.items():
            handles = {name: os.open(os.path.join(hidden, name), os.O_PATH) for name in names}
            if libc.mount(b"tmpfs", hidden.encode(), b"tmpfs", 0, b"size=1m,mode=0755") != 0:
                return
            for name, handle in handles.items():
                source, target = f"/proc/self/fd/{handle}", os.path.join(hidden, name)
                if os.path.isdir(source):
                    os.mkdir(target)
                else:
                    open(target, "w").close()
                libc.mount(source.encode(), target.encode(), None, _MS_BIND | _MS_REC, None)
                os.close(handle)


def _uid_can_import(uid: int) -> bool:
    """Check in a throw-away child that `uid` can read the standard library."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            stdlib = os.path.dirname(os.__file__)
            os.listdir(stdlib)
            with open(os.path.join(stdlib, "threading.py"), "rb"):
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def enter_child(
    isolation: ServerIsolation,
    workdir: str,
    keep_fd: int,
    *,
    cpu_time_s: float,
    memory_mb: int,
    file_size_mb: int,
    max_processes: int,
) -> None:
    """Apply the per-execution sandbox in a freshly forked child (the order matters)."""
    os.setsid()
    libc = _libc()
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 65536)
    cpu = max(1, int(cpu_time_s + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_mb * _MB, file_size_mb * _MB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if isolation.sandbox_uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (1 + max_processes, 1 + max_processes))
        os.setgroups([])
        os.setgid(isolation.sandbox_uid)
        os.setuid(isolation.sandbox_uid)
    else:
        current = _count_own_processes()
        limit = current + max_processes
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    memory = memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _count_own_processes() -> int:
    uid = os.getuid()
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                continue
    return count


def own_children() -> list[int]:
    """Pids of this process's children (orphans reparented to us as subreaper included)."""
    pid = os.getpid()
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def kill_descendants() -> int:
    """Kill and reap every remaining descendant; returns how many were killed."""
    killed = 0
    for _ in range(1000):
        children = own_children()
        if not children:
            break
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    _reap_zombies()
    return killed


def _reap_zombies() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wipe_private_tmp(isolation: ServerIsolation) -> None:
    """Remove what candidates left in the private tmpfs (never the shared /tmp)."""
    if not isolation.private_tmp:
        return
    import shutil

    for root in PRIVATE_TMP_DIRS:
        try:
            entries = os.listdir(root)
        except OSError:
            continue
        for name in entries:
            path = os.path.join(root, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
