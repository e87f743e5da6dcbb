"""Judge integrity, round two (issue 20): each test plays a candidate against the real fork
server, in the modes where the attack applies, and asserts that it gains nothing.

- a run reaches nothing of another program, another test's expected value or an earlier
  result (frames, gc, the raw heap): runs fork from a pristine zygote;
- every CPU cycle and every held page of a run counts, its children's included;
- no state survives a run (POSIX message queues, keyrings, /dev/shm);
- writing one's own result frame skips nothing;
- signals sent to PID 1 and to every visible process change nothing.
"""

from __future__ import annotations

import os

import pytest

from perfcodegen.judge.client import ForkServerProcess
from perfcodegen.judge.model import JudgeResult, Limits, MeasureMode, Verdict
from perfcodegen.vocabulary import TestCase

from .conftest import RunJob, make_job

X86_64 = os.uname().machine == "x86_64"
WORK = (
    "def f(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n"
)
N = 20000
TESTS = [TestCase.call([N], sum(i * i for i in range(N)))]


def _net(result: JudgeResult, program: int = 0) -> float:
    outcome = result.programs[program].tests[0]
    assert outcome.verdict is Verdict.PASSED, outcome
    assert outcome.trimmed_mean_s is not None
    return outcome.trimmed_mean_s


# --- 1. a pristine zygote -------------------------------------------------------------------

PREFIX = "Kqzx9"
"""Markers are PREFIX + a suffix; the probe below never holds one whole before it answers."""
SUFFIXES = {"code": "1ab-code", "expected": "1ab-expected", "earlier": "1ab-earlier",
            "arg": "1ab-arg"}  # fmt: skip

PROBE = '''
import ctypes, gc, os, sys

PREFIX = "Kqzx9"
SUFFIXES = {"code": "1ab-code", "expected": "1ab-expected", "earlier": "1ab-earlier",
            "arg": "1ab-arg"}


def _in_text(text, found):
    start = text.find(PREFIX)
    while start >= 0:
        for name, suffix in SUFFIXES.items():
            if text.startswith(suffix, start + len(PREFIX)):
                found.add(name)
        start = text.find(PREFIX, start + 1)


def _walk(roots, found, budget=300000):
    stack, seen = list(roots), set()
    while stack and budget > 0:
        item = stack.pop()
        budget -= 1
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, str):
            _in_text(item, found)
        elif isinstance(item, (bytes, bytearray)):
            _in_text(bytes(item).decode("latin-1"), found)
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif type(item).__name__ == "code":
            stack.extend(item.co_consts)
        elif type(item).__name__ == "frame":
            stack.extend([item.f_locals, item.f_code, item.f_back])
        elif hasattr(item, "__dict__"):
            stack.append(item.__dict__)


def _heap(found):
    """Every private writable mapping of this process, read raw (freed memory included)."""
    for low, high in _regions():
        _in_text(_read(low, high - low).decode("latin-1"), found)


class _Span(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("size", ctypes.c_size_t)]


def _read(address, size):
    """Our own memory, through process_vm_readv: a page unmapped meanwhile ends the read
    instead of the process."""
    buffer = ctypes.create_string_buffer(size)
    local = _Span(ctypes.cast(buffer, ctypes.c_void_p), size)
    remote = _Span(address, size)
    libc = ctypes.CDLL(None)
    done = libc.process_vm_readv(os.getpid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    return buffer.raw[: max(done, 0)]


def _regions():
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        if fields[1].startswith("rw") and not (len(fields) > 5 and fields[5].startswith("[v")):
            yield tuple(int(x, 16) for x in fields[0].split("-"))


def probe(allowed):
    found = set()
    _walk([sys._getframe()] + gc.get_objects(), found)
    _heap(found)
    return sorted(found - set(allowed))


def f(index, tag):
    found = probe(["arg"] if tag == "batch" or index == 1 else [])
    if found:
        return found  # wrong: the test fails, the finding shows in the verdict
    return PREFIX + SUFFIXES["expected"] + "-" + str(index)
'''

COMPANION = "SECRET = 'Kqzx91ab-code'\n\ndef f(index, tag):\n    return SECRET[:2] + str(index)\n"


def _marked(name: str) -> str:
    return PREFIX + SUFFIXES[name]


def _probe_tests(tag: str) -> list[TestCase]:
    expected = _marked("expected")
    return [
        TestCase.call([0, tag], f"{expected}-0"),
        TestCase.call([1, tag if tag == "batch" else _marked("arg")], f"{expected}-1"),
    ]


@pytest.mark.parametrize(
    ("mode", "fresh"),
    [
        (MeasureMode.CHECK, False),
        (MeasureMode.CHECK, True),
        (MeasureMode.WALL, True),
        (MeasureMode.PAIRED, True),
        (MeasureMode.MEMORY, True),
    ],
)
def test_runs_reach_no_other_program_test_or_result(
    server: ForkServerProcess, mode: MeasureMode, fresh: bool
) -> None:
    """A run walks its frames' back-links, every gc object and its raw heap: it finds neither
    the companion program's code, nor another test's arguments (outside a check batch, which
    runs them all by design), nor any expected value or earlier result, in every mode."""
    earlier = f"def f():\n    return {_marked('earlier')!r} * 3\n"
    assert server.run_job(make_job(earlier, [TestCase.call([], 0)])).programs  # its result
    tag = "batch" if mode is MeasureMode.CHECK and not fresh else "fresh"
    tests = _probe_tests(tag)
    job = make_job(
        [PROBE, COMPANION], tests, mode=mode, repeats=3, warmup=1,
        fresh_process_per_test=fresh, stop_at_first_failure=False,
    )  # fmt: skip
    probe = server.run_job(job).programs[0]
    assert [t.verdict for t in probe.tests] == [Verdict.PASSED] * 2, probe


def test_a_wrong_program_finds_no_right_answer_in_memory(server: ForkServerProcess) -> None:
    """A right program runs first on the same server; then a wrong one searches its own
    memory for the right answers: it passes none, as it would alone."""
    answers = [f"answer-{k}-{PREFIX}" for k in range(5)]
    tests = [TestCase.call([k], answers[k]) for k in range(5)]
    right = "def f(k):\n    return 'answer-' + str(k) + '-' + 'Kqzx' + '9'\n"
    assert server.run_job(make_job(right, tests)).result.ok
    thief = PROBE.split("def probe")[0] + (
        "def f(k):\n"
        "    wanted = 'answer-' + str(k) + '-'\n"
        "    for low, high in _regions():\n"
        "        text = _read(low, high - low).decode('latin-1')\n"
        "        at = text.find(wanted)\n"
        "        while at >= 0:\n"
        "            if text.startswith(PREFIX, at + len(wanted)):\n"
        "                return text[at:at + len(wanted) + len(PREFIX)]\n"
        "            at = text.find(wanted, at + 1)\n"
        "    return None\n"
    )
    for mode in (MeasureMode.CHECK, MeasureMode.WALL):
        result = server.run_job(make_job(thief, tests, mode=mode, stop_at_first_failure=False))
        assert result.result.passed == 0, result.result


# --- 3. everything a run does counts -------------------------------------------------------

SPIN = (
    "import os, time\n"
    "def spin(seconds):\n"
    "    end = time.process_time() + seconds\n"
    "    while time.process_time() < end:\n"
    "        pass\n"
)


def _in_children(parts: int, seconds: float) -> str:
    return SPIN + (
        "def f():\n"
        f"    for _ in range({parts}):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        f"            spin({seconds})\n"
        "            os._exit(0)\n"
        "        os.waitpid(pid, 0)\n"
        "    return 1\n"
    )


@pytest.mark.parametrize("fresh", [False, True])
def test_time_limits_count_the_cpu_of_children(run_job: RunJob, fresh: bool) -> None:
    """0.9 s of CPU in three children fails a 0.5 s limit, as the same work in the process
    itself does (in a check batch too: the test then runs again in a fresh process)."""
    tests = [TestCase.call([], 1)]
    limits = Limits(wall_time_s=20.0, cpu_time_s=20.0, memory_mb=512, max_processes=2)
    honest = SPIN + "def f():\n    spin(0.9)\n    return 1\n"
    for program in (honest, _in_children(3, 0.3)):
        result = run_job(
            program, tests, limits=limits, time_limits_s=[0.5], fresh_process_per_test=fresh
        )
        assert result.result.verdict is Verdict.TIMEOUT, result.result


def test_cpu_of_children_counts_to_the_microsecond(run_job: RunJob) -> None:
    """Work done in short-lived children (below the kernel's 10 ms tick each) counts, whether
    the program waits for them or tries to have the kernel reap them (SIGCHLD ignored)."""
    limits = Limits(wall_time_s=20.0, cpu_time_s=20.0, memory_mb=512, max_processes=2)
    tests = [TestCase.call([], 1)]
    honest = SPIN + "def f():\n    spin(0.008)\n    return 1\n"
    unwaited = SPIN + (
        "import signal\n"
        "def f():\n"
        "    try:\n        signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
        "    except OSError:\n        pass\n"
        "    for _ in range(2):\n"
        "        if os.fork() == 0:\n"
        "            spin(0.004)\n"
        "            os._exit(0)\n"
        "    time.sleep(0.1)\n"
        "    return 1\n"
    )
    measured = {}
    for name, program in (("honest", honest), ("waited", _in_children(2, 0.004)),
                          ("unwaited", unwaited)):  # fmt: skip
        result = run_job(program, tests, mode=MeasureMode.WALL, repeats=4, limits=limits)
        assert result.accounting == "wait4"
        measured[name] = _net(result)
    assert measured["waited"] > 0.7 * measured["honest"], measured
    assert measured["unwaited"] > 0.7 * measured["honest"], measured


@pytest.mark.parametrize("where", ["memfd", "/dev/shm"])
def test_peak_memory_counts_tmpfs_and_memfd_pages(run_job: RunJob, where: str) -> None:
    """48 MB held in a memfd or a /dev/shm file counts like 48 MB in the heap."""
    limits = Limits(wall_time_s=20.0, cpu_time_s=20.0, memory_mb=512, file_size_mb=64)
    tests = [TestCase.call([], 1)]
    opener = "os.memfd_create('x')" if where == "memfd" else "os.open('/dev/shm/x', 66)"
    held = (
        "import os\n_keep = []\n"
        "def f():\n"
        f"    fd = {opener}\n"
        "    for _ in range(48):\n        os.write(fd, b'1' * (1 << 20))\n"
        "    _keep.append(fd)\n    return 1\n"
    )
    heap = "_keep = []\ndef f():\n    _keep.append(b'1' * (48 << 20))\n    return 1\n"
    peaks = []
    for program in (heap, held):
        result = run_job(program, tests, mode=MeasureMode.MEMORY, limits=limits)
        peak = result.result.tests[0].peak_memory_kb
        assert result.result.ok and peak is not None, result.result
        peaks.append(peak)
    assert peaks[1] > 0.8 * peaks[0] > 30_000, peaks


# --- 4. no state survives a run --------------------------------------------------------------

CACHES = {
    "POSIX message queue": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def f(n):\n"
        # mq_open(O_RDWR | O_CREAT | O_NONBLOCK), then mq_timedreceive
        "    q = libc.syscall(240, b'answers', 0o4102, 0o600, None)\n"
        "    if q >= 0:\n"
        "        buffer = ctypes.create_string_buffer(8192)\n"
        "        got = libc.syscall(243, q, buffer, 8192, None, None)\n"
        "        if got > 0:\n"
        "            libc.syscall(242, q, buffer, got, 0, None)\n"  # put it back for the next run
        "            return int(buffer.raw[:got])\n"
        "    total = sum(i * i for i in range(n))\n"
        "    if q >= 0:\n        libc.syscall(242, q, str(total).encode(), len(str(total)), 0, None)\n"
        "    return total\n"
    ),
    "kernel keyring": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def f(n):\n"
        "    key = libc.syscall(249, b'user', b'answer', None, 0)\n"  # request_key
        "    if key >= 0:\n"
        "        buffer = ctypes.create_string_buffer(64)\n"
        "        size = libc.syscall(250, 11, key, buffer, 64)\n"  # keyctl(KEYCTL_READ)
        "        return int(buffer.raw[:size])\n"
        "    total = sum(i * i for i in range(n))\n"
        "    data = str(total).encode()\n"
        "    libc.syscall(248, b'user', b'answer', data, len(data), -4)\n"  # add_key(user ring)
        "    return total\n"
    ),
    "/dev/shm file": (
        "import os\n"
        "def f(n):\n"
        "    if os.path.exists('/dev/shm/answer'):\n"
        "        return int(open('/dev/shm/answer').read())\n"
        "    total = sum(i * i for i in range(n))\n"
        "    open('/dev/shm/answer', 'w').write(str(total))\n"
        "    return total\n"
    ),
}


@pytest.mark.skipif(not X86_64, reason="system call numbers of x86_64")
@pytest.mark.parametrize("name", sorted(CACHES))
def test_no_cache_survives_a_run(run_job: RunJob, name: str) -> None:
    honest = "def f(n):\n    return sum(i * i for i in range(n))\n"
    result = run_job([CACHES[name], honest], TESTS, mode=MeasureMode.PAIRED, repeats=6)
    assert result.paired_ratios is not None, result
    assert result.paired_ratios[0] > 0.6, result.paired_ratios


@pytest.mark.skipif(not X86_64, reason="system call numbers of x86_64")
def test_queues_and_keys_cannot_be_created(run_job: RunJob) -> None:
    program = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def f():\n"
        "    q = libc.syscall(240, b'left', 0o4102, 0o600, None)\n"
        "    key = libc.syscall(248, b'user', b'left', b'x', 1, -4)\n"
        "    return [q, key]\n"
    )
    assert run_job(program, [TestCase.call([], [-1, -1])]).result.ok


# --- 5. the measured window is the same for every program -----------------------------------


def test_writing_ones_own_result_frame_skips_nothing(run_job: RunJob) -> None:
    """The harness's work after the call is one marshal.dumps: a program that writes its own
    frame (and then blocks) must do that same work, so it is not measured faster."""
    size = 300_000
    honest = f"def f():\n    return list(range({size}))\n"
    forger = (
        "import marshal, os, struct, time\n"
        "def f():\n"
        f"    frame = marshal.dumps(('value', list(range({size})), False), 2)\n"
        "    for fd in range(3, 64):\n"
        "        try:\n"
        "            os.write(fd, struct.pack('<Q', len(frame)) + frame)\n"
        "            break\n"
        "        except OSError:\n"
        "            pass\n"
        "    time.sleep(60)\n"
    )
    tests = [TestCase.call([], list(range(size)))]
    result = run_job([forger, honest], tests, mode=MeasureMode.PAIRED, repeats=6)
    assert result.paired_ratios is not None, result
    assert result.paired_ratios[0] > 0.6, result.paired_ratios


# --- 6. PID 1 ignores every signal ----------------------------------------------------------

SIGNALLER = (
    "import os, signal\n"
    "def f(n):\n"
    "    me = os.getpid()\n"
    "    for pid in {1, *(int(p) for p in os.listdir('/proc') if p.isdigit())} - {me}:\n"
    "        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1,\n"
    "                    signal.SIGUSR2, signal.SIGALRM, signal.SIGQUIT, signal.SIGPIPE,\n"
    "                    signal.SIGTSTP, signal.SIGCONT):\n"
    "            try:\n"
    "                os.kill(pid, sig)\n"
    "            except OSError:\n"
    "                pass\n"
    "    total = 0\n"
    "    for i in range(n):\n"
    "        total += i * i\n"
    "    return total\n"
)


def test_signals_to_pid_1_and_every_visible_process_change_nothing(
    server: ForkServerProcess,
) -> None:
    pid = server.server_pid
    for mode in (MeasureMode.PAIRED, MeasureMode.WALL):
        result = server.run_job(make_job([SIGNALLER, WORK], TESTS, mode=mode, repeats=4))
        assert [p.verdict for p in result.programs] == [Verdict.PASSED] * 2, result
        assert all(p.tests[0].times_s for p in result.programs), result
    # A check job runs alone as well: the signals reach nothing of the judge's.
    assert server.run_job(make_job(SIGNALLER, TESTS)).result.ok
    assert server.server_pid == pid and server.alive
    assert server.run_job(make_job(WORK, TESTS)).result.ok


def test_runs_keep_a_fresh_interpreters_signal_dispositions(run_job: RunJob) -> None:
    """The zygote ignores every signal; its runs do not: a signal a program sends itself acts
    as in a fresh interpreter, and RLIMIT_CPU's SIGXCPU still ends a run as a time-out."""
    limits = Limits(wall_time_s=20.0, cpu_time_s=1.0, memory_mb=512)
    tests = [TestCase.call([], 1)]
    cases = {
        "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGTERM)\n    return 1\n": (
            Verdict.RUNTIME_ERROR
        ),
        "import os, signal\ndef f():\n    try:\n        os.kill(os.getpid(), signal.SIGINT)\n"
        "    except KeyboardInterrupt:\n        return 1\n": Verdict.PASSED,
        "def f():\n    while True:\n        pass\n": Verdict.TIMEOUT,
    }
    for program, verdict in cases.items():
        result = run_job(program, tests, limits=limits, fresh_process_per_test=True)
        assert result.result.verdict is verdict, (program, result.result)
