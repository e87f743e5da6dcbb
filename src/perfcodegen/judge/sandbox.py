"""Isolation of the fork server (once, at start) and of each run process (after every fork).

The threat model and what each layer defends are in docs/judge.md. In short, the fork server
process that the judge starts unshares new user (when not root), mount, PID, IPC and network
namespaces and forks the *inner* server, which is PID 1 of the new PID namespace and never
runs candidate code. The inner server then builds a minimal filesystem view and pivots into it:
- `/usr`, `/lib*`, `/bin`, the Python installation and its `sys.path` directories, read-only;
- a few `/dev` nodes and a few `/etc` files (dynamic loader, time zone);
- a fresh `/proc` of the new PID namespace (no process of the judge is visible);
- `/sandbox`, a small tmpfs that is the work directory and TMPDIR of every run, wiped after
  each run (everything else, /tmp included, is read-only).
Nothing else of the host exists there: not the project, not the data, not the run store.
SysV IPC and POSIX message queues are off in the private IPC namespace (shmmni = msgmni =
queues_max = 0), the network namespace has only a down loopback, and the zygote (PID 1 of a
nested PID namespace, `zygote`) kills and reaps every process a run leaves.

Run processes then drop to an unprivileged uid (as root: a uid unique to the fork server;
otherwise the namespace's root with every capability dropped), get rlimits (CPU, address
space, file size, open files, processes), no new privileges, and are not dumpable.

`IsolationLevel` records what was achieved; the judge refuses to run below `FULL` unless the
user allows it explicitly, and every result carries the level.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import signal
import sys
from enum import Enum
from typing import NamedTuple

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MNT_DETACH = 2
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_CAPBSET_DROP = 24
_PR_SET_SECUREBITS = 28
_PR_SET_NO_NEW_PRIVS = 38
_SECURE_NOROOT_ALL = 0x3 | 0x30  # NOROOT + NOROOT_LOCKED, NO_SETUID_FIXUP + its lock
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_CAP_LAST = 63
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}
SANDBOX_UID_BASE = 100000
_MB = 1024 * 1024
WORK_DIR = "/sandbox"
"""Inside the view: every run's working directory and TMPDIR (a tmpfs wiped after each run).
Not /tmp: a checkout (and its virtual environment) may live under /tmp, and the rest of the
view, /tmp included, is read-only."""
_DEV_NODES = ("null", "zero", "full", "random", "urandom")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "nsswitch.conf", "passwd", "group")
_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")


class IsolationLevel(str, Enum):
    """How well candidates are isolated (recorded with every result and run)."""

    FULL = "full"
    """Namespaces (user when not root, mount, PID, IPC, network), minimal filesystem view,
    unprivileged runs with rlimits."""
    PARTIAL = "partial"
    """Some namespace or the filesystem view could not be set up (see the notes)."""
    NONE = "none"
    """No namespace at all: runs share the host's view (only rlimits and a work dir)."""


ISOLATION_ORDER = ("none", "partial", "full")
"""Isolation levels, weakest first."""


def isolation_rank(level: str) -> int:
    """0 for "none" up to 2 for "full"; an unknown level ranks as "none"."""
    return ISOLATION_ORDER.index(level) if level in ISOLATION_ORDER else 0


class IsolationUnavailable(RuntimeError):
    """Full isolation cannot be had here and the user did not allow less."""


class ServerIsolation(NamedTuple):
    """What the fork server set up (reported to the judge once, in the hello frame)."""

    level: IsolationLevel
    sandbox_uid: int | None
    """uid of run processes (root mode), or None when they stay the namespace's root."""
    drop_capabilities: bool
    notes: tuple[str, ...]


@functools.cache
def _libc() -> ctypes.CDLL:
    """Loaded once, in the fork server: every run process inherits the handle (no dlopen and
    none of its page faults after the fork)."""
    return ctypes.CDLL(None, use_errno=True)


def _errno_text() -> str:
    return os.strerror(ctypes.get_errno())


def _write(path: str, text: str) -> bool:
    try:
        with open(path, "w") as fh:
            fh.write(text)
        return True
    except OSError:
        return False


def unshare_namespaces() -> tuple[bool, list[str]]:
    """In the outer fork server, before forking the inner one. True when every namespace exists.

    Without root, a user namespace maps the current user to root inside it, which is what
    allows the other namespaces and the mounts; run processes drop every capability later.
    """
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    notes: list[str] = []
    if uid != 0:
        if libc.unshare(_CLONE_NEWUSER) != 0:
            return False, [f"user namespaces unavailable ({_errno_text()})"]
        _write("/proc/self/setgroups", "deny")
        if not (
            _write("/proc/self/uid_map", f"0 {uid} 1")
            and _write("/proc/self/gid_map", f"0 {gid} 1")
        ):
            return False, ["could not map the user into its namespace"]
    complete = True
    for flag, name in (
        (_CLONE_NEWNS, "mount"),
        (_CLONE_NEWPID, "PID"),
        (_CLONE_NEWIPC, "IPC"),
        (_CLONE_NEWNET, "network"),
    ):
        if libc.unshare(flag) != 0:
            complete = False
            notes.append(f"{name} namespace unavailable ({_errno_text()})")
    return complete, notes


def build_view(
    root: str, extra_paths: list[str], tmp_mb: int = 256, writable: tuple[str, ...] = ()
) -> list[str]:  # pragma: no cover - exercised through the fork server
    """In the inner server (PID 1): build the minimal filesystem view under `root`, pivot into
    it and mount a fresh /proc. Returns notes for anything that could not be set up; raises
    OSError when the view itself cannot be built."""
    libc = _libc()
    notes: list[str] = []

    def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
        if (
            libc.mount(
                source.encode(),
                target.encode(),
                fstype.encode() if fstype else None,
                flags,
                data.encode() if data else None,
            )
            != 0
        ):
            raise OSError(ctypes.get_errno(), f"mount {target}: {_errno_text()}")

    mount("none", "/", None, _MS_REC | _MS_PRIVATE, None)
    os.makedirs(root, exist_ok=True)
    mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=16m,mode=0755")

    def bind(path: str, writable: bool = False) -> None:
        real = os.path.realpath(path)
        if not os.path.exists(real):
            return
        target = root + real
        if os.path.isdir(real):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.exists(target):
                open(target, "w").close()
        mount(real, target, None, _MS_BIND | _MS_REC, None)
        if not writable:
            flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID
            if libc.mount(None, target.encode(), None, flags, None) != 0:
                notes.append(f"could not make {real} read-only ({_errno_text()})")

    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        else:
            bind(path)
    python_dirs = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    python_dirs.update(p for p in sys.path if p and os.path.isdir(p))
    python_dirs.update(extra_paths)
    for path in sorted(python_dirs, key=len):
        real = os.path.realpath(path)
        if any(real.startswith(d + os.sep) or real == d for d in _SYSTEM_DIRS):
            continue  # already visible
        bind(real)
    if sys.executable and not os.path.exists(root + sys.executable):
        bind(sys.executable)
    for path in writable:  # e.g. the folder where callgrind writes its dumps
        bind(path, writable=True)
    os.makedirs(root + "/etc", exist_ok=True)
    for name in _ETC_FILES:
        if os.path.isfile("/etc/" + name):
            bind("/etc/" + name)
    os.makedirs(root + "/dev", exist_ok=True)
    for name in _DEV_NODES:
        target = f"{root}/dev/{name}"
        open(target, "w").close()
        mount(f"/dev/{name}", target, None, _MS_BIND, None)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
                       ("shm", WORK_DIR)):  # fmt: skip
        os.symlink(link, f"{root}/dev/{name}")
    os.makedirs(root + WORK_DIR)
    os.environ["TMPDIR"] = WORK_DIR
    mount("tmpfs", root + WORK_DIR, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={tmp_mb}m,mode=1777")
    os.makedirs(root + "/proc")
    # Before the old root goes: in a user namespace, the kernel allows a new proc mount only
    # while a fully visible one exists in the mount namespace.
    mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV, "hidepid=2")
    os.makedirs(root + "/.old")
    pivot = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if pivot is None or libc.syscall(pivot, root.encode(), (root + "/.old").encode()) != 0:
        raise OSError(ctypes.get_errno(), f"pivot_root: {_errno_text()}")
    os.chdir("/")
    libc.umount2(b"/.old", _MNT_DETACH)
    os.rmdir("/.old")
    for name in ("kernel/shmmni", "kernel/msgmni", "fs/mqueue/queues_max"):
        if not _write(f"/proc/sys/{name}", "0"):
            notes.append(f"could not switch off IPC objects ({name})")
    _write("/proc/sys/kernel/sem", "0 0 0 0")
    if libc.mount(None, b"/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY, None) != 0:
        notes.append(f"could not make the view's root read-only ({_errno_text()})")
    return notes


def isolate(
    allow: str,
    keep_fds: tuple[int, ...],
    writable: tuple[str, ...] = (),
    read_only: tuple[str, ...] = (),
) -> ServerIsolation:
    """Put the calling process's future in the sandbox; returns in the process that goes on.

    With namespaces: unshare them, fork the inner process (PID 1 of the new PID namespace),
    which builds the filesystem view and returns; the calling (outer) process closes
    `keep_fds` (the judge then sees end-of-file when the inner one dies), waits, and exits
    with its status. Without namespaces (or with `allow == "none"`), returns at once with
    level NONE in a temporary work dir."""
    os.chdir("/")
    complete, notes = unshare_namespaces() if allow != "none" else (False, [])
    if not complete:
        os.chdir(private_dir("perfcodegen-work-"))
        notes = notes or ["isolation switched off by the user"]
        uid = choose_sandbox_uid(os.getpid())
        return ServerIsolation(IsolationLevel.NONE, uid, False, tuple(notes))
    outer = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            return _inner(outer, writable, read_only)
        except BaseException:
            import traceback

            traceback.print_exc()  # the judge's stderr: a bug of ours, never a candidate's
            os._exit(1)
    for fd in keep_fds:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _inner(
    outer_pid: int, writable: tuple[str, ...], read_only: tuple[str, ...]
) -> ServerIsolation:
    """PID 1 of the sandbox's PID namespace: build the view and say what was achieved."""
    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    notes: list[str] = []
    level = IsolationLevel.FULL
    try:
        root = private_dir("perfcodegen-view-")
        notes += build_view(root, [package_dir(), *read_only], writable=writable)
    except OSError as exc:
        level = IsolationLevel.PARTIAL
        notes.append(f"filesystem view unavailable ({exc})")
    if notes:
        level = IsolationLevel.PARTIAL
    uid = SANDBOX_UID_BASE + outer_pid if choose_sandbox_uid(1) is not None else None
    return ServerIsolation(level, uid, uid is None, tuple(notes))


def choose_sandbox_uid(server_pid: int) -> int | None:
    """As root, runs use a uid of their own (unique per fork server); else they stay ns-root.
    Writable folders of the view (`build_view(writable=...)`) are handed to that uid."""
    if os.getuid() == 0 and not _in_user_namespace():
        return SANDBOX_UID_BASE + server_pid
    return None


def _in_user_namespace() -> bool:
    try:
        with open("/proc/self/uid_map") as fh:
            first = fh.read().split()
    except OSError:
        return False
    return first[:3] != ["0", "0", "4294967295"]


def enter_run(
    isolation: ServerIsolation,
    keep_fds: tuple[int, ...],
    *,
    cpu_time_s: float,
    memory_mb: int,
    file_size_mb: int,
    max_processes: int,
    keep_stdio: bool = False,
) -> None:
    """Apply the per-run sandbox in a freshly forked run process (the order matters).

    `keep_stdio`: leave descriptors 0-2 as they are (a runner exec'd with its own pipes);
    otherwise they become /dev/null."""
    os.setsid()
    libc = _libc()
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.chdir(WORK_DIR if isolation.level is not IsolationLevel.NONE else os.getcwd())
    if not keep_stdio:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
    low = 3
    for fd in sorted(keep_fds):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
    cpu = max(1, int(cpu_time_s + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_mb * _MB, file_size_mb * _MB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    # The sandbox uid is the runs' own (per user namespace since Linux 5.14).
    nproc = 1 + max_processes
    if isolation.sandbox_uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        os.setgroups([])
        os.setgid(isolation.sandbox_uid)
        os.setuid(isolation.sandbox_uid)
    else:
        # Same uid as the servers: they count too (outer, inner, zygote and the run).
        current = _count_own_processes() if isolation.level is IsolationLevel.NONE else 4
        resource.setrlimit(resource.RLIMIT_NPROC, (current + max_processes,) * 2)
        if isolation.drop_capabilities:
            _drop_capabilities(libc)
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if isolation.sandbox_uid is not None:
        # Not dumpable: nothing else running as this uid may inspect it. Without root the run
        # shares the server's uid, has no capability (so it cannot trace the server), and must
        # stay visible to the server under /proc's hidepid (the server reads its /proc/PID/stat).
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    memory = memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Namespace root without any capability, and unable to regain them through execve."""
    libc.prctl(_PR_SET_SECUREBITS, _SECURE_NOROOT_ALL, 0, 0, 0)
    for cap in range(_CAP_LAST + 1):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    number = _SYS_CAPSET.get(os.uname().machine)
    if number is None:
        raise OSError("capset: unsupported architecture")
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2: all zero
    if libc.syscall(number, header, data) != 0:
        raise OSError(ctypes.get_errno(), f"capset: {_errno_text()}")


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


def private_dir(prefix: str) -> str:
    """`tempfile.mkdtemp` without importing tempfile (and the random, shutil and hashlib it
    loads) into the fork server, whose memory every run's fork copies: a new directory, mode
    0700, in the first of $TMPDIR, /tmp and /var/tmp that takes one (the instruction runner's
    $TMPDIR exists only inside the view)."""
    bases = [base for base in (os.environ.get("TMPDIR"), "/tmp", "/var/tmp") if base]
    for base in bases:
        for _ in range(100):
            path = os.path.join(base, prefix + os.urandom(6).hex())
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                continue
            except OSError:
                break  # not there or not writable: the next base
            return path
    raise OSError(f"cannot create a directory {prefix}* in any of {', '.join(bases)}")


def read_proc_file(path: str) -> bytes:
    """A /proc file's bytes, read without a file object: the fork server reads two after every
    run, and `open()`'s buffered layers would write to some 70 pages of its memory, each one a
    copy-on-write fault while a run process shares them (about 0.2 ms per run, measured)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def own_children() -> list[int]:
    """Pids of this process's children (orphans re-parented to us included)."""
    pid = os.getpid()
    try:
        return [int(p) for p in read_proc_file(f"/proc/{pid}/task/{pid}/children").split()]
    except OSError:
        return []


def kill_descendants(spare: frozenset[int] = frozenset()) -> list[resource.struct_rusage]:
    """Kill and reap every remaining child but those in `spare` (check-batch processes that
    are still serving); returns the rusage of each one reaped."""
    usages: list[resource.struct_rusage] = []
    for _ in range(1000):
        children = [pid for pid in own_children() if pid not in spare]
        if not children:
            break
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                usages.append(os.wait4(pid, 0)[2])
    while not spare:  # zombies that /proc no longer lists (a spared one must keep its status)
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        usages.append(usage)
    return usages


def wipe_work_dir(isolation: ServerIsolation) -> None:
    """Remove what a run left in the work dir (the view's /tmp), so no run sees another's files."""
    if isolation.level is IsolationLevel.NONE:
        return
    try:
        entries = os.listdir(WORK_DIR)
    except OSError:
        return
    if not entries:
        return
    import shutil

    for name in entries:
        path = os.path.join(WORK_DIR, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def package_dir() -> str:
    """The installed perfcodegen package (made visible so the instruction runner can import it)."""
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
