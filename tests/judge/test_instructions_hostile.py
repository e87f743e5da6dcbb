"""Instruction counts that a candidate cannot game, played as the candidate would play them.

Each attack runs beside its honest twin (the same work, done plainly) in one job; it must
gain nothing: a count within a few percent of the twin's, or a run that fails. Root and
non-root alike (the suite also runs as an unprivileged user from a clone under /tmp).
"""

from __future__ import annotations

import platform
import shutil

import pytest

from perfcodegen.judge.instr_counters import InstructionMethod
from perfcodegen.judge.instructions import run_instructions
from perfcodegen.judge.model import JudgeJob, JudgeResult, Limits, MeasureMode, Verdict
from perfcodegen.problems.model import TestCase

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("valgrind") is None or shutil.which("cc") is None,
        reason="valgrind or cc not installed",
    ),
]

N = 20_000
ANSWER = N * (N - 1) // 2
WORK = "def _work(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
HONEST = WORK + "def f(n):\n    return _work(n)\n"
LIMITS = Limits(wall_time_s=2.0, cpu_time_s=2.0, memory_mb=1024)

PRECOMPUTE = WORK + f"_DONE = {{{N}: _work({N})}}\ndef f(n):\n    return _DONE.get(n) or _work(n)\n"
MEMO = WORK + (
    "_memo = {}\ndef f(n):\n    if n not in _memo:\n        _memo[n] = _work(n)\n    return _memo[n]\n"
)
ARRANGE_HOOK = WORK + (
    "import copy\n_orig, _pre = copy.deepcopy, {}\n"
    "def _hook(x, memo=None, _nil=[]):\n"
    "    _pre.setdefault('v', _work(x[0] if isinstance(x, list) and x else 0))\n"
    "    return _orig(x, memo)\n"
    "copy.deepcopy = _hook\n"
    "def f(n):\n    return _pre.get('v') or _work(n)\n"
)
FAKE_DUMP = (
    "# callgrind format\\nversion: 1\\npart: 1\\ndesc: Timerange: Basic block 0 - 1\\n"
    "desc: Trigger: Program termination\\nevents: Ir\\nsummary: 2\\nfn=(1) f\\n0 2\\ntotals: 2\\n"
)
DUMP_FILES = WORK + (
    "import os\ndef f(n):\n"
    "    for name in ('callgrind.out', 'callgrind.out.1', '/sandbox/callgrind.out.2'):\n"
    f"        with open(name, 'w') as fh:\n            fh.write('{FAKE_DUMP}')\n"
    "    return _work(n)\n"
)
DUMP_PIPE = WORK + (  # the dump pipe itself, reopened through /proc
    "import os\ndef f(n):\n    value = _work(n)\n"
    f"    with open('/proc/self/fd/255', 'w') as fh:\n        fh.write('{FAKE_DUMP}')\n"
    "    return value\n"
)
DUMP_FD_AND_FORK = WORK + (  # a fake on fd 255 itself, and a child that could write one
    "import os\ndef f(n):\n    value = _work(n)\n"
    f"    try:\n        os.write(255, b'{FAKE_DUMP}')\n    except OSError:\n        pass\n"
    "    try:\n        if os.fork() == 0:\n            os._exit(0)\n    except OSError:\n"
    "        pass\n    return value\n"
)
EXEC_ESCAPE = WORK + (  # a fake dump, then exec: valgrind would end without its own
    "import os\ndef f(n):\n    value = _work(n)\n"
    f"    with open('/sandbox/fake', 'w') as fh:\n        fh.write('{FAKE_DUMP}')\n"
    "    os.execv('/bin/cat', ['cat', '/sandbox/fake'])\n"
)
_FIND_PIPES = (
    "import os, stat, marshal, struct\n"
    "def _pipes():\n"
    "    return [fd for fd in range(3, 64) if fd != 255 and _is_pipe(fd)]\n"
    "def _is_pipe(fd):\n    try:\n        return stat.S_ISFIFO(os.fstat(fd).st_mode)\n"
    "    except OSError:\n        return False\n"
    "def _frame(value):\n    data = marshal.dumps(value, 2)\n"
    "    return struct.pack('<Q', len(data)) + data\n"
)
# the old runner's records, and a second result
FORGED_RECORDS = (
    WORK
    + _FIND_PIPES
    + (
        "def f(n):\n    for fd in _pipes():\n"
        "        os.write(fd, _frame({'event': 'done', 'count': 1}) + _frame(b'ready'))\n"
        f"        os.write(fd, _frame(('value', {ANSWER}, False)))\n"
        "    return _work(n)\n"
    )
)
# its own single result frame, then out before the harness
OWN_RESULT = (
    WORK
    + _FIND_PIPES
    + (
        "def f(n):\n    value = _work(n)\n    for fd in _pipes():\n"
        "        os.write(fd, _frame(('value', value, False)))\n    os._exit(0)\n"
    )
)
SECRET = "EXPECTED-7f3a9c-SECRET"
MEMORY_READER = (  # the expected value, looked for everywhere the process can look
    "import gc, sys, os\n"
    "def _strings(obj, seen, depth=0):\n"
    "    if id(obj) in seen or depth > 6:\n        return\n    seen.add(id(obj))\n"
    "    if isinstance(obj, str):\n        yield obj\n"
    "    elif isinstance(obj, (bytes, bytearray)):\n        yield bytes(obj).decode('latin-1')\n"
    "    elif isinstance(obj, dict):\n        for v in list(obj.values()) + list(obj):\n"
    "            yield from _strings(v, seen, depth + 1)\n"
    "    elif isinstance(obj, (list, tuple, set, frozenset)):\n        for v in list(obj):\n"
    "            yield from _strings(v, seen, depth + 1)\n"
    "def f(n):\n    target = '-'.join(['EXPECTED', '7f3a9c', 'SECRET'])\n"
    "    seen = {id(target)}\n    roots = list(gc.get_objects()) + [sys.modules]\n"
    "    frame = sys._getframe()\n    while frame:\n"
    "        roots += [frame.f_locals, frame.f_globals]\n        frame = frame.f_back\n"
    "    for path in ('/proc/self/cmdline', '/proc/self/environ', '/proc/1/cmdline'):\n"
    "        try:\n            roots.append(open(path, 'rb').read())\n        except OSError:\n"
    "            pass\n"
    "    for root in roots:\n        for text in _strings(root, seen):\n"
    "            if text is not target and target in text:\n"
    "                return target\n    return 'not found'\n"
)
_REQUEST = (  # valgrind client requests from machine code of its own (x86-64)
    "import ctypes, mmap\n"
    "_code = bytes.fromhex('4889f831d248c1c70348c1c70d48c1c73d48c1c7334887db4889d0c3')\n"
    "_page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
    "_page.write(_code)\n"
    "_call = ctypes.CFUNCTYPE(ctypes.c_ulong, ctypes.c_void_p)(\n"
    "    ctypes.addressof(ctypes.c_char.from_buffer(_page)))\n"
    "def _request(code):\n    args = (ctypes.c_ulong * 6)(0x43540000 + code, 0, 0, 0, 0, 0)\n"
    "    return _call(ctypes.addressof(args))\n"
)
DUMP_STATS, ZERO_STATS, TOGGLE_COLLECT, STOP_INSTRUMENTATION = 0, 1, 2, 5


def _requesting(before: int | None, after: int | None) -> str:
    first = f"    _request({before})\n" if before is not None else ""
    last = f"    _request({after})\n" if after is not None else ""
    return WORK + _REQUEST + f"def f(n):\n{first}    value = _work(n)\n{last}    return value\n"


def judge(programs: list[str], tests: list[TestCase]) -> JudgeResult:
    job = JudgeJob(
        job_id="hostile",
        programs=programs,
        entry_point="f",
        tests=tests,
        mode=MeasureMode.INSTRUCTIONS,
        limits=LIMITS,
    )
    return run_instructions(job, InstructionMethod.CALLGRIND)


def count(result: JudgeResult, program: int, test: int = 0) -> int:
    outcome = result.programs[program].tests[test]
    assert outcome.verdict is Verdict.PASSED, (program, outcome)
    assert outcome.instructions is not None
    return outcome.instructions


def rejected(result: JudgeResult, program: int) -> bool:
    """The run failed because of what it did to the count or the result pipe."""
    outcome = result.programs[program].tests[0]
    message = outcome.error_message or ""
    reasons = ("rejected", "more than its one result", "can not open")  # the last: valgrind's
    return outcome.verdict is Verdict.RUNTIME_ERROR and any(r in message for r in reasons)


def test_work_outside_the_call_is_counted_like_the_call() -> None:
    """Module-level precomputation, a memo kept across tests, a hooked arrange step: the
    count covers the definitions, and each test is a fresh process."""
    tests = [TestCase.call([N], ANSWER), TestCase.call([N], ANSWER)]
    result = judge([HONEST, PRECOMPUTE, MEMO, ARRANGE_HOOK, HONEST], tests)
    assert result.isolation == "full"
    for test in (0, 1):
        honest = count(result, 0, test)
        assert honest > 1_000_000
        assert count(result, 4, test) == honest  # deterministic: the same count twice
        for attack in (1, 2, 3):
            assert 0.95 < count(result, attack, test) / honest < 1.05, (attack, test)


def test_dumps_and_records_cannot_be_forged() -> None:
    """Fake callgrind files, a fake dump in the dump pipe, the old runner's records on the
    result pipe: each run either fails or is counted in full."""
    result = judge(
        [HONEST, DUMP_FILES, DUMP_PIPE, DUMP_FD_AND_FORK, EXEC_ESCAPE, FORGED_RECORDS, OWN_RESULT],
        [TestCase.call([N], ANSWER)],
    )
    honest = count(result, 0)
    # Gaining nothing: within 5% of the twin or above (these do extra work of their own).
    assert count(result, 1) / honest > 0.95  # files in the work dir are not read
    assert rejected(result, 2)  # two dumps in the pipe: the run fails
    # fd 255 is valgrind's: the write fails (EBADF); fork fails (EPERM)
    assert count(result, 3) / honest > 0.95
    escaped = result.programs[4].tests[0]  # exec fails (EPERM), and valgrind cannot go on
    assert escaped.verdict is Verdict.RUNTIME_ERROR and "EXEC FAILED" in str(escaped.error_message)
    assert rejected(result, 5)
    assert count(result, 6) / honest > 0.95  # its own frame: its work still counted


def test_the_counted_process_holds_no_expected_value() -> None:
    # The reader finds the secret wherever its process holds it (here: in its arguments)...
    found = judge([MEMORY_READER], [TestCase.call([[0, SECRET]], SECRET)])
    assert found.programs[0].tests[0].verdict is Verdict.PASSED
    # ...and the expected value is nowhere in it.
    result = judge([MEMORY_READER], [TestCase.call([1], SECRET)])
    outcome = result.programs[0].tests[0]
    assert outcome.verdict is Verdict.WRONG_ANSWER
    assert outcome.actual == "not found"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86-64 machine code")
def test_client_requests_from_own_machine_code_are_rejected() -> None:
    """ZERO_STATS, STOP_INSTRUMENTATION, DUMP_STATS and a TOGGLE_COLLECT that never toggles
    back, issued by code the candidate writes itself: the dump shows it."""
    programs = [
        HONEST,
        _requesting(None, ZERO_STATS),
        _requesting(STOP_INSTRUMENTATION, None),
        _requesting(DUMP_STATS, None),
        _requesting(TOGGLE_COLLECT, None),
        _requesting(None, None),  # the same machinery, no request: counted as usual
    ]
    result = judge(programs, [TestCase.call([N], ANSWER)])
    honest = count(result, 0)
    for attack in (1, 2, 3, 4):
        assert rejected(result, attack), (attack, result.programs[attack].tests[0])
    assert count(result, 5) > 0.95 * honest
