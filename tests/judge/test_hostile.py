"""Hostile candidates: each is contained, gets a non-passing verdict, and the judge keeps serving.

After every hostile job we check that a normal job still passes on the same fork server
(same pid: it was not killed or restarted), that no process of the sandbox survives, and
that a sentinel file outside the sandbox is unchanged.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import JudgeResult, Limits, Verdict
from perfcodegen.problems.model import TestCase

from .conftest import make_job

LIMITS = Limits(wall_time_s=1.0, cpu_time_s=1.0, memory_mb=512)
RETURNS_ONE = [TestCase.call([], 1)]


@pytest.fixture(scope="module")
def sentinel() -> Iterator[Path]:
    """A file outside every sandbox (not under /tmp, which the sandbox replaces)."""
    folder = Path(tempfile.mkdtemp(prefix=".pcg-sentinel-", dir=Path.cwd()))
    path = folder / "sentinel.txt"
    path.write_text("untouched")
    os.chmod(folder, 0o755)
    yield path
    path.unlink(missing_ok=True)
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()


def _sandbox_processes(server: ForkServerProcess) -> list[int]:
    """Live (non-zombie) processes running as the server's sandbox uid, or its children."""
    assert server.server_pid is not None
    uid = 100000 + server.server_pid
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            status = Path(f"/proc/{name}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)] and "Z" not in fields.get("State", ""):
            found.append(int(name))
    return found


def _children(pid: int | None) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _server_children(server: ForkServerProcess) -> list[int]:
    """Processes under the zygote (the inner server's only child; the inner server is PID 1
    of the sandbox and the outer server's only child)."""
    inner = _children(server.server_pid)
    assert len(inner) == 1, "the outer server should have exactly one child, the inner server"
    zygote = _children(inner[0])
    assert len(zygote) == 1, "the inner server should have exactly one child, the zygote"
    return _children(zygote[0])


def _judge(
    server: ForkServerProcess,
    sentinel: Path,
    program: str,
    tests: list[TestCase] = RETURNS_ONE,
    entry_point: str | None = "f",
    limits: Limits = LIMITS,
) -> JudgeResult:
    pid_before = server.server_pid
    result = server.run_job(make_job(program, tests, entry_point, limits=limits))
    assert server.server_pid == pid_before, "the fork server was restarted"
    assert _sandbox_processes(server) == []
    assert _server_children(server) == []
    assert sentinel.read_text() == "untouched"
    assert sorted(p.name for p in sentinel.parent.iterdir()) == ["sentinel.txt"]
    follow_up = server.run_job(make_job("def f():\n    return 1\n", RETURNS_ONE))
    assert follow_up.result.ok, "the judge stopped serving"
    return result


HOSTILE = {
    "fork bomb": (
        "import os\ndef f():\n    while True:\n        os.fork()\n",
        Verdict.RUNTIME_ERROR,
    ),
    "forgiving fork bomb": (
        "import os\ndef f():\n    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n",
        Verdict.TIMEOUT,
    ),
    "memory bomb": (
        "def f():\n    hog = []\n    while True:\n        hog.append(bytearray(10**7))\n",
        Verdict.MEMORY_LIMIT,
    ),
    "disk filler": (
        "def f():\n    with open('big', 'wb') as fh:\n        while True:\n"
        "            fh.write(b'0' * 10**6)\n",
        Verdict.RUNTIME_ERROR,
    ),
    "many files": (
        "def f():\n    for i in range(10**6):\n        with open(f'/tmp/f{i}', 'wb') as fh:\n"
        "            fh.write(b'0' * 10**7)\n",
        Verdict.RUNTIME_ERROR,
    ),
    "infinite loop": ("def f():\n    while True:\n        pass\n", Verdict.TIMEOUT),
    "sleeper": ("import time\ndef f():\n    time.sleep(60)\n    return 1\n", Verdict.TIMEOUT),
    "kills its parent": (
        "import os\ndef f():\n    os.kill(os.getppid(), 9)\n    return 1\n",
        Verdict.RUNTIME_ERROR,
    ),
    "kills its process group": (
        "import os\ndef f():\n    os.killpg(0, 9)\n    return 1\n",
        Verdict.RUNTIME_ERROR,
    ),
    "kills every process it can (none: it is alone in its PID namespace)": (
        "import os\ndef f():\n    os.kill(-1, 9)\n    return 1\n",
        Verdict.RUNTIME_ERROR,
    ),
    "daemonises a grandchild": (
        "import os, time\ndef f():\n    if os.fork() == 0:\n        os.setsid()\n"
        "        if os.fork() == 0:\n            time.sleep(30)\n        os._exit(0)\n"
        "    time.sleep(0.2)\n    return 1\n",
        Verdict.RUNTIME_ERROR,
    ),
    "floods stdout": ("def f():\n    while True:\n        print('x' * 1000)\n", Verdict.TIMEOUT),
    "segfaults": (
        "import ctypes\ndef f():\n    return ctypes.string_at(0)\n",
        Verdict.RUNTIME_ERROR,
    ),
    "os._exit(0)": ("import os\ndef f():\n    os._exit(0)\n", Verdict.RUNTIME_ERROR),
    "sys.exit(0)": ("import sys\ndef f():\n    sys.exit(0)\n", Verdict.RUNTIME_ERROR),
    "sys.exit at import": (
        "import sys\nsys.exit(0)\ndef f():\n    return 1\n",
        Verdict.RUNTIME_ERROR,
    ),
    "prints fake success": (
        "def f():\n    print('PASSED')\n    return 2\n",
        Verdict.WRONG_ANSWER,
    ),
    "__eq__ always True": (
        "class Liar:\n    def __eq__(self, other):\n        return True\n"
        "def f():\n    return Liar()\n",
        Verdict.WRONG_ANSWER,
    ),
    "int subclass": (
        "class One(int):\n    def __eq__(self, other):\n        return True\n"
        "def f():\n    return One(7)\n",
        Verdict.WRONG_ANSWER,
    ),
    "threads spawn": (
        "import threading, time\ndef f():\n    for _ in range(100):\n"
        "        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "    return 1\n",
        Verdict.RUNTIME_ERROR,
    ),
    "forges a result frame": (
        "import os, marshal, struct\ndef f():\n    payload = marshal.dumps(('check', 0, 'value', 1, False, 0.0))\n"
        "    for fd in range(3, 64):\n        try:\n            os.write(fd, struct.pack('<Q', len(payload)) + payload)\n"
        "        except OSError:\n            pass\n    os._exit(0)\n",
        Verdict.WRONG_ANSWER,  # a frame is at most the program's own observed value
    ),
    "reads the environment for secrets": (
        "import os\ndef f():\n    return 1 if any('KEY' in k or 'TOKEN' in k for k in os.environ) else 0\n",
        Verdict.WRONG_ANSWER,
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_candidate_is_contained(
    server: ForkServerProcess, sentinel: Path, name: str
) -> None:
    program, verdict = HOSTILE[name]
    limits = LIMITS
    if verdict is Verdict.MEMORY_LIMIT:  # page faults are slow under load: no wall-clock race
        limits = LIMITS.model_copy(update={"wall_time_s": 60.0, "cpu_time_s": 60.0})
    result = _judge(server, sentinel, program, limits=limits)
    if name == "kills its parent" and server.sandbox_uid is None:
        # Without root, runs share the server's uid; the server is PID 1 of the sandbox's PID
        # namespace, which ignores the signal: the program returns normally, harmlessly.
        assert result.result.verdict in (Verdict.PASSED, Verdict.RUNTIME_ERROR)
        return
    assert result.result.verdict is verdict, result.result


def test_writes_outside_the_work_dir_fail(server: ForkServerProcess, sentinel: Path) -> None:
    for action in (
        f"open({str(sentinel)!r}, 'w').write('owned')",
        f"os.remove({str(sentinel)!r})",
        f"open({str(sentinel.parent / 'new.txt')!r}, 'w').write('x')",
    ):
        program = f"import os\ndef f():\n    {action}\n    return 1\n"
        result = _judge(server, sentinel, program)
        assert result.result.verdict is Verdict.RUNTIME_ERROR
        # The sentinel's folder is not even in the sandbox's filesystem view.
        assert result.result.error_type in ("FileNotFoundError", "PermissionError", "OSError")


def test_network_is_unreachable(server: ForkServerProcess, sentinel: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    program = (
        "import socket\ndef f():\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')\n"
        "    return 1\n"
    )
    try:
        result = _judge(server, sentinel, program)
        with pytest.raises(BlockingIOError):  # no connection ever reached the listener
            listener.accept()
    finally:
        listener.close()
    assert result.result.verdict is Verdict.RUNTIME_ERROR
    assert result.result.error_type in ("OSError", "ConnectionRefusedError")


def test_daemon_grandchild_is_killed_even_when_allowed(
    server: ForkServerProcess, sentinel: Path
) -> None:
    limits = LIMITS.model_copy(update={"max_processes": 4})
    program = HOSTILE["daemonises a grandchild"][0]
    result = _judge(server, sentinel, program, limits=limits)
    assert result.result.ok  # the program itself is fine; its daemon must not survive


def test_stdio_flood_is_an_output_limit(server: ForkServerProcess, sentinel: Path) -> None:
    limits = LIMITS.model_copy(update={"output_bytes": 10_000})
    program = "while True:\n    print('PASSED')\n"
    result = _judge(server, sentinel, program, [TestCase.stdio("", "PASSED\n")], None, limits)
    assert result.result.verdict is Verdict.OUTPUT_LIMIT
