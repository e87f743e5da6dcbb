"""Judge integrity: no candidate can touch its own figures, the reference's, or its verdict.

Each test plays one attack from docs/judge.md's threat model against the real fork server and
asserts the safe outcome: the forged figure is not taken, the wrong program fails, the
reference's figure is unchanged, nothing is left behind.
"""

from __future__ import annotations

import marshal
import struct
import time

import pytest

from perfcodegen.judge.decode import UnsafeValue, decode_payload
from perfcodegen.judge.model import JudgeResult, Limits, MeasureMode, Verdict
from perfcodegen.plain import bounded_repr, is_plain
from perfcodegen.problems.model import TestCase

from .conftest import RunJob

WORK = (
    "def f(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n"
)
"""An honest program that does measurable work (about a millisecond for n = 20000)."""
N = 20000
EXPECTED = sum(i * i for i in range(N))
TESTS = [TestCase.call([N], EXPECTED)]


def _net(result: JudgeResult, program: int = 0) -> float:
    outcome = result.programs[program].tests[0]
    assert outcome.verdict is Verdict.PASSED, outcome
    value = outcome.trimmed_mean_s
    assert value is not None
    return value


CHEATS = {
    "patched clocks": (
        "import time\n"
        "time.perf_counter = lambda: 0.0\ntime.perf_counter_ns = lambda: 0\n"
        "time.monotonic = lambda: 0.0\ntime.monotonic_ns = lambda: 0\n"
        "time.process_time = lambda: 0.0\ntime.clock_gettime_ns = lambda *a: 0\n" + WORK
    ),
    "answers cached in the module and in a file": (
        "import os\n_cache = {}\n"
        "def f(n):\n"
        "    if n in _cache:\n        return _cache[n]\n"
        "    path = f'answer-{n}'\n"
        "    if os.path.exists(path):\n        return int(open(path).read())\n"
        "    total = 0\n    for i in range(n):\n        total += i * i\n"
        "    _cache[n] = total\n"
        "    open(path, 'w').write(str(total))\n"
        "    return total\n"
    ),
    "work hidden in a copy.deepcopy hook": (
        "import copy\n_deepcopy = copy.deepcopy\n_answers = {}\n"
        "def _hook(value, memo=None):\n"
        "    for item in value if isinstance(value, list) else []:\n"
        "        if isinstance(item, int):\n"
        "            _answers[item] = sum(i * i for i in range(item))\n"
        "    return _deepcopy(value, memo)\n"
        "copy.deepcopy = _hook\n"
        "def f(n):\n"
        "    if n in _answers:\n        return _answers[n]\n"
        "    return sum(i * i for i in range(n))\n"
    ),
}
"""Programs that do the honest work but try to be timed as if they had not."""


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_are_timed_like_the_honest_program(run_job: RunJob, name: str) -> None:
    """Clocks are read outside the candidate's reach, and every run starts from a fresh
    process (no cache survives, and arguments are never copied on the measured path)."""
    honest = _net(run_job(WORK, TESTS, mode=MeasureMode.WALL, repeats=6))
    measured = _net(run_job(CHEATS[name], TESTS, mode=MeasureMode.WALL, repeats=6))
    assert measured > honest / 3, (measured, honest)


def test_paired_reference_is_not_slowed_or_fooled_by_a_patched_clock(run_job: RunJob) -> None:
    patched = "import time\ntime.perf_counter = lambda: 0.0\n" + WORK
    result = run_job([patched, WORK], TESTS, mode=MeasureMode.PAIRED, repeats=6)
    assert result.paired_ratios is not None
    # A clock the candidate could set would give a ratio near 0; the same work gives about 1
    # (wide bounds: a loaded machine adds noise, never a forged figure).
    assert result.paired_ratios[0] > 0.2, result.paired_ratios


def test_sysv_shared_memory_is_unavailable(run_job: RunJob) -> None:
    program = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def f():\n    return libc.shmget(1234, 1 << 20, 0o1666)\n"
    )
    result = run_job(program, [TestCase.call([], -1)])
    assert result.result.ok, "shmget must fail (-1): SysV IPC is switched off in the sandbox"


def test_garbage_after_the_first_call_is_caught_while_timing(run_job: RunJob) -> None:
    """Timed runs are checked too: a program whose later runs differ is not timed on garbage."""
    flaky = (
        "import os\n"
        "def f(n):\n"
        "    marker = '/dev/urandom'\n"
        "    return 0 if os.urandom(1)[0] < 64 else sum(i * i for i in range(n))\n"
    )
    outcomes = []
    for _ in range(4):
        result = run_job(flaky, TESTS, mode=MeasureMode.WALL, repeats=12)
        outcomes.append(result.result.verdict)
    assert Verdict.WRONG_ANSWER in outcomes
    assert all(v in (Verdict.PASSED, Verdict.WRONG_ANSWER) for v in outcomes)


def test_forged_frames_set_no_time_and_no_verdict(run_job: RunJob) -> None:
    """Frames written on every inherited descriptor: at most the program's own observed value."""
    forger = (
        "import os, marshal, struct\n"
        "def _send(fd, value):\n"
        "    data = marshal.dumps(value)\n"
        "    os.write(fd, struct.pack('<Q', len(data)) + data)\n"
        "def f(n):\n"
        "    for fd in range(3, 64):\n"
        "        for frame in (('times', 0, [1e-9], 1e-9), ('value', 12345, False), 'x' * 10):\n"
        "            try:\n                _send(fd, frame)\n"
        "            except OSError:\n                pass\n"
        "    return 12345\n"
    )
    result = run_job(forger, TESTS, mode=MeasureMode.WALL, repeats=3)
    assert result.result.verdict is Verdict.WRONG_ANSWER
    assert result.result.tests[0].times_s == []  # a forged 'times' frame is not a time
    follow_up = run_job(WORK, TESTS)
    assert follow_up.result.ok, "the fork server survived"


def test_malformed_and_oversized_frames_do_not_kill_the_server(run_job: RunJob) -> None:
    for payload in (b"\xff" * 40, struct.pack("<Q", 1 << 60), struct.pack("<Q", 5) + b"ab"):
        program = f"import os\ndef f(n):\n    os.write(3, {payload!r})\n    os._exit(0)\n"
        result = run_job(program, TESTS)
        assert result.result.verdict is not Verdict.PASSED
    assert run_job(WORK, TESTS).result.ok


def test_a_frame_flood_is_an_output_limit(run_job: RunJob) -> None:
    program = (
        "import os, struct\ndef f(n):\n    for fd in range(3, 64):\n        try:\n"
        "            os.write(fd, struct.pack('<Q', 1 << 40))\n            break\n"
        "        except OSError:\n            pass\n"
        "    while True:\n        os.write(fd, b'\\x00' * 65536)\n"
    )
    limits = Limits(wall_time_s=10.0, cpu_time_s=10.0, memory_mb=512, output_bytes=100_000)
    result = run_job(program, TESTS, limits=limits)
    assert result.result.verdict in (Verdict.OUTPUT_LIMIT, Verdict.RUNTIME_ERROR)
    assert run_job(WORK, TESTS).result.ok


def test_shared_nested_values_are_bounded() -> None:
    """A few hundred bytes describing an exponential tree cannot hang the judge."""
    value: list[object] = []
    for _ in range(60):
        value = [value, value]
    started = time.perf_counter()
    assert is_plain(value)  # each container once
    assert len(bounded_repr(value, 1000)) <= 1100
    crafted = bytearray(b">" + struct.pack("<i", 1))
    crafted += bytes([ord("(") | 0x80]) + struct.pack("<i", 2) + marshal.dumps(1) * 2
    for level in range(1, 70):
        ref = b"r" + struct.pack("<i", level - 1)
        crafted += (
            (bytes([ord("(") | 0x80]) + struct.pack("<i", 2) + ref + ref) if level < 69 else b""
        )
    with pytest.raises(UnsafeValue):
        decode_payload(bytes(crafted))
    assert time.perf_counter() - started < 5


def test_paired_programs_never_share_a_process(run_job: RunJob) -> None:
    """A candidate that hunts the reference through gc finds nothing to slow down."""
    saboteur = (
        "import gc, sys\n"
        "def f(n):\n"
        "    for obj in gc.get_objects():\n"
        "        if callable(obj) and getattr(obj, '__name__', '') == 'f' and obj is not f:\n"
        "            obj.__code__ = (lambda n: sum(i * i for i in range(n * 50)) and 0).__code__\n"
        "    sys.settrace(lambda *a: None)\n"
        "    return sum(i * i for i in range(n))\n"
    )
    alone = _net(run_job(WORK, TESTS, mode=MeasureMode.WALL, repeats=6))
    result = run_job([saboteur, WORK], TESTS, mode=MeasureMode.PAIRED, repeats=6)
    assert all(p.ok for p in result.programs)
    reference = _net(result, 1)
    assert reference < alone * 3, (reference, alone)


def test_memory_of_an_unwaited_child_is_counted(run_job: RunJob) -> None:
    program = (
        "import os, time\n"
        "def f():\n"
        "    if os.fork() == 0:\n"
        "        hog = bytearray(200 * 1024 * 1024)\n"
        "        for i in range(0, len(hog), 4096):\n            hog[i] = 1\n"
        "        time.sleep(30)\n"
        "    time.sleep(1.0)\n"
        "    return 1\n"
    )
    limits = Limits(wall_time_s=20.0, cpu_time_s=20.0, memory_mb=1024, max_processes=2)
    result = run_job(program, [TestCase.call([], 1)], mode=MeasureMode.MEMORY, limits=limits)
    assert result.result.ok
    peak = result.result.tests[0].peak_memory_kb
    assert peak is not None and peak > 150 * 1024, peak


def test_float_for_an_exact_big_int_is_wrong(run_job: RunJob) -> None:
    program = "def f():\n    return 1.2345678901234567e19\n"
    result = run_job(program, [TestCase.call([], 12345678901234567891)])
    assert result.result.verdict is Verdict.WRONG_ANSWER


def test_judge_processes_are_invisible(run_job: RunJob) -> None:
    """A private PID namespace: /proc shows no process of the judge, no argv, no data path."""
    program = (
        "import os\n"
        "def f():\n"
        "    seen = []\n"
        "    for name in os.listdir('/proc'):\n"
        "        if name.isdigit():\n"
        "            try:\n"
        "                seen.append(open(f'/proc/{name}/cmdline', 'rb').read())\n"
        "            except OSError:\n"
        "                pass\n"
        "    return [len(seen), any(b'pytest' in s for s in seen), os.getppid()]\n"
    )
    result = run_job(program, [TestCase.call([], [0])])
    actual = result.result.tests[0].actual or ""
    assert "True" not in actual, actual  # no pytest (the judge) among the visible processes


def test_isolation_level_is_recorded(run_job: RunJob) -> None:
    assert run_job(WORK, TESTS).isolation == "full"


ASSERT_TESTS = [
    TestCase(kind="assert", assertion="assert candidate(2) == 4"),
    TestCase(kind="assert", assertion="import math\nassert math.fabs(candidate(3) - 9.0) < 1e-6"),
    TestCase(
        kind="assert",
        assertion="import random\nfor _ in range(20):\n    x = random.randint(0, 99)\n"
        "    assert abs(candidate(x) - x * x) < 1e-6",
    ),
]
HONEST_SQUARE = "import random\ndef f(x):\n    random.random()  # its own draws change nothing\n    return x * x\n"


@pytest.mark.parametrize(
    "program",
    [
        "class Liar:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n"
        "def f(x):\n    return Liar()\n",
        "import math, builtins\n# patched\nmath.fabs = lambda v: 0.0\nbuiltins.abs = lambda v: 0.0\n"
        "def f(x):\n    return 4 if x == 2 else 0.5\n",
        "class Four(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\ndef f(x):\n    return Four(x)\n",
    ],
    ids=["__eq__ always true", "patched abs and math.fabs", "int subclass"],
)
def test_assertions_hold_only_for_what_the_program_returned(run_job: RunJob, program: str) -> None:
    """Assertion tests are replayed without the program: patched modules and hostile objects
    fool only the copy of the assertion that runs in the candidate's own process."""
    result = run_job(program, ASSERT_TESTS, stop_at_first_failure=False)
    verdicts = [t.verdict for t in result.result.tests]
    assert verdicts[0] is (Verdict.PASSED if "patched" in program else Verdict.WRONG_ANSWER)
    assert verdicts[1] is not Verdict.PASSED, result.result.tests  # 9 is neither 0.5 nor a Liar
    assert set(verdicts) <= {Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.RUNTIME_ERROR}


def test_honest_assertions_pass_with_random_inputs_and_mutations(run_job: RunJob) -> None:
    mutating = TestCase(
        kind="assert",
        assertion="xs = [3, 1, 2]\nassert candidate(xs) is None\nassert xs == [1, 2, 3]",
    )
    result = run_job(HONEST_SQUARE, ASSERT_TESTS, mode=MeasureMode.WALL, repeats=2)
    assert result.result.ok, result.result.tests
    sorter = "def f(xs):\n    xs.sort()\n"
    assert run_job(sorter, [mutating]).result.ok
    recursive = "def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\n"
    by_name = TestCase(kind="assert", assertion="assert f(10) == 55 and candidate(5) == 5")
    assert run_job(recursive, [by_name]).result.ok  # its own recursion is not replayed


def test_weaker_isolation_is_recorded_with_the_result() -> None:
    """Isolation switched off on request still judges, and every result says so."""
    from perfcodegen.judge.client import ForkServerProcess

    from .conftest import make_job

    with ForkServerProcess(allow_isolation="none") as server:
        result = server.run_job(make_job(WORK, TESTS))
    assert result.result.ok
    assert result.isolation == "none" and result.notes
