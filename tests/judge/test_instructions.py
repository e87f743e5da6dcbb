"""Deterministic measurement: per-test instruction counts (hardware counters and callgrind)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.instr_counters import (
    DumpRejected,
    InstructionMethod,
    build_callgrind_shim,
    hardware_counters_available,
    parse_callgrind_dump,
)
from perfcodegen.judge.instructions import resolve_method, run_instructions
from perfcodegen.judge.model import JudgeJob, JudgeResult, Limits, MeasureMode, Verdict
from perfcodegen.problems.model import TestCase

HAS_CALLGRIND = shutil.which("valgrind") is not None and shutil.which("cc") is not None
needs_callgrind = pytest.mark.skipif(not HAS_CALLGRIND, reason="valgrind or cc not installed")
needs_hardware = pytest.mark.skipif(
    not hardware_counters_available(), reason="no hardware instruction counter here"
)

SUM_LOOP = """
def f(n):
    total = 0
    for i in range(n):
        total += i
    return total
"""
IN_LIST = "def f(data, x):\n    return x in data\n"  # a linear scan inside C
BY_INDEX = "def f(data, x):\n    return data[-1] == x\n"  # one look
LIMITS = Limits(wall_time_s=2.0, cpu_time_s=2.0, memory_mb=1024)


def job(programs: list[str], tests: list[TestCase], entry_point: str | None = "f") -> JudgeJob:
    return JudgeJob(
        job_id="instr",
        programs=programs,
        entry_point=entry_point,
        tests=tests,
        mode=MeasureMode.INSTRUCTIONS,
        limits=LIMITS,
    )


def counts(result: JudgeResult) -> list[list[int | None]]:
    return [[t.instructions for t in program.tests] for program in result.programs]


WORK_JOB = job(
    [SUM_LOOP], [TestCase.call([2_000], 1_999_000), TestCase.call([20_000], 199_990_000)]
)
MEMBERSHIP_JOB = job([IN_LIST, BY_INDEX], [TestCase.call([list(range(200_000)), 199_999], True)])


def check_work_counts(loop: list[int | None], in_list: int, by_index: int) -> None:
    small, large = loop
    assert small is not None and large is not None
    assert 8.5 < large / small < 11.5  # ten times the iterations, about ten times the count
    assert in_list > 50 * max(by_index, 1)  # a linear scan inside C vs one look


@needs_callgrind
@pytest.mark.slow
def test_callgrind_counts_are_bit_identical_and_track_work() -> None:
    first = run_instructions(WORK_JOB, InstructionMethod.CALLGRIND)
    second = run_instructions(WORK_JOB, InstructionMethod.CALLGRIND)
    assert first.result.ok
    # A fresh process per (program, test), pids fixed by the PID namespace, no ASLR, hash
    # seed 0: the same program and inputs give exactly the same count.
    assert counts(first) == counts(second)
    assert all(c is not None and c > 0 for c in counts(first)[0])
    assert any("callgrind" in note for note in first.notes)
    membership = run_instructions(MEMBERSHIP_JOB, InstructionMethod.CALLGRIND)
    assert all(p.ok for p in membership.programs)
    in_list, by_index = (p.tests[0].instructions for p in membership.programs)
    assert in_list is not None and by_index is not None
    check_work_counts(counts(first)[0], in_list, by_index)


@needs_hardware
def test_hardware_counts_are_near_identical_and_track_work() -> None:
    first = run_instructions(WORK_JOB, InstructionMethod.HARDWARE)
    second = run_instructions(WORK_JOB, InstructionMethod.HARDWARE)
    for a, b in zip(counts(first)[0], counts(second)[0], strict=True):
        assert a is not None and b is not None
        assert abs(a - b) <= 0.001 * a  # identical here with ASLR off; interrupts may add a few
    membership = run_instructions(MEMBERSHIP_JOB, InstructionMethod.HARDWARE)
    in_list, by_index = (p.tests[0].instructions for p in membership.programs)
    assert in_list is not None and by_index is not None
    check_work_counts(counts(first)[0], in_list, by_index)
    assert any("perf_event" in note for note in first.notes)


def test_failures_get_the_judges_verdicts() -> None:
    programs = [
        "def f(n):\n    return n + 1\n",  # passes
        "def f(n):\n    return n\n",  # wrong answer
        "def f(n):\n    return 1 // 0\n",  # runtime error
        "def f(n):\n    import os\n    os._exit(0)\n",  # ends its process without a result
        "def f(n):\n    while True:\n        pass\n",  # timeout
        "def f(n:\n",  # syntax error
        "def f(n):\n    return object()\n",  # not plain data
        "def f(n):\n    return len(bytearray(8 << 30))\n",  # memory bomb
        "def f(n):\n    return n + 1\n",  # still measured after the crashes above
    ]
    tests = [TestCase.call([1], 2), TestCase.call([2], 3)]
    quick = JudgeJob(
        job_id="bad",
        programs=programs,
        entry_point="f",
        tests=tests,
        mode=MeasureMode.INSTRUCTIONS,
        limits=Limits(wall_time_s=0.05, cpu_time_s=1.0, memory_mb=1024),
    )
    result = run_instructions(quick)
    verdicts = [p.verdict for p in result.programs]
    assert verdicts == [
        Verdict.PASSED,
        Verdict.WRONG_ANSWER,
        Verdict.RUNTIME_ERROR,
        Verdict.RUNTIME_ERROR,
        Verdict.TIMEOUT,
        Verdict.SYNTAX_ERROR,
        Verdict.WRONG_ANSWER,
        Verdict.MEMORY_LIMIT,
        Verdict.PASSED,
    ]
    passed, wrong, crash, exited, loop = result.programs[:5]
    assert all(t.instructions is not None for t in passed.tests)  # net of the null: ~0
    assert wrong.tests[0].actual == "1" and wrong.tests[0].expected == "2"
    assert crash.tests[0].error_type == "ZeroDivisionError"
    assert "exited" in (exited.tests[0].error_message or "")
    assert [t.verdict for t in loop.tests] == [Verdict.TIMEOUT] * 2  # each test its own process
    assert result.programs[-1].passed == 2
    assert result.mode is MeasureMode.INSTRUCTIONS


def test_stdio_and_assert_tests_are_counted() -> None:
    stdio = job(["print(sum(map(int, input().split())))\n"], [TestCase.stdio("2 3\n", "5\n")], None)
    asserted = job(["def f(n):\n    return n * 2\n"], [TestCase.assert_("assert f(4) == 8")])
    for result in (run_instructions(stdio), run_instructions(asserted)):
        assert result.result.ok
        assert (result.result.total_instructions or 0) > 0


def test_auto_method_prefers_hardware_counters() -> None:
    expected = (
        InstructionMethod.HARDWARE if hardware_counters_available() else InstructionMethod.CALLGRIND
    )
    assert resolve_method(None) is expected
    assert resolve_method(InstructionMethod.CALLGRIND) is InstructionMethod.CALLGRIND


def test_missing_valgrind_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PerfCodegenError, match="valgrind"):
        run_instructions(WORK_JOB, InstructionMethod.CALLGRIND)


@needs_callgrind
def test_shim_is_compiled_once_into_the_cache(tmp_path: Path) -> None:
    library = build_callgrind_shim(tmp_path)
    stamp = library.stat().st_mtime_ns
    assert build_callgrind_shim(tmp_path) == library
    assert library.stat().st_mtime_ns == stamp


def _dump(total: int, *, part: int = 1, start: int = 0, summary: int | None = None) -> str:
    return (
        "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 2\ncmd:  python\n"
        f"part: {part}\n\ndesc: I1 cache: \ndesc: Timerange: Basic block {start} - 1000\n"
        "desc: Trigger: Program termination\n\npositions: line\nevents: Ir\n"
        f"summary: {total if summary is None else summary}\n\nfn=(1) f\n0 {total}\n\n"
        f"totals: {total}\n"
    )


def test_exactly_one_whole_dump_is_accepted() -> None:
    assert parse_callgrind_dump(_dump(98765).encode()) == 98765
    rejected = [
        _dump(5) + _dump(98765),  # a forged dump before valgrind's own
        "x" + _dump(98765),  # bytes before it
        _dump(98765).replace("Program termination", "Client Request: x"),
        _dump(98765, part=2),  # an earlier dump (DUMP_STATS) took part of the count
        _dump(98765, start=1200),  # the same
        _dump(98765, summary=1234),  # ZERO_STATS or STOP_INSTRUMENTATION during the count
        _dump(500),  # fewer instructions than basic blocks: TOGGLE_COLLECT switched it off
        "",  # no dump at all
    ]
    for text in rejected:
        with pytest.raises(DumpRejected):
            parse_callgrind_dump(text.encode())


@needs_callgrind
@pytest.mark.slow
def test_instruction_runs_are_sandboxed(tmp_path: Path) -> None:
    """The runner lives in the judge's sandbox: no network, no project files, no judge
    processes, nothing left running, and no warm-up call whose answers a cache could keep."""
    import socket

    sentinel = Path.cwd() / f".pcg-instr-{tmp_path.name}"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    programs = [
        "import socket\ndef f(n):\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    return n + 1\n",
        f"def f(n):\n    open({str(sentinel)!r}, 'w').write('owned')\n    return n + 1\n",
        "import os\ndef f(n):\n"
        "    seen = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "    return n + 1 if len(seen) <= 4 else -len(seen)\n",
        "_cache = {}\ndef f(n):\n    if n in _cache:\n        return _cache[n]\n"
        "    _cache[n] = sum(range(20000)) * 0 + n + 1\n    return _cache[n]\n",
        "def f(n):\n    return sum(range(20000)) * 0 + n + 1\n",
    ]
    try:
        result = run_instructions(job(programs, [TestCase.call([1], 2)]))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing reached the judge's machine
    finally:
        listener.close()
    network, write, proc, cached, honest = result.programs
    assert result.isolation == "full"
    assert network.verdict is Verdict.RUNTIME_ERROR
    assert write.verdict is Verdict.RUNTIME_ERROR and not sentinel.exists()
    assert proc.ok, proc.tests  # only the sandbox's own few processes are visible
    cached_count, honest_count = cached.tests[0].instructions, honest.tests[0].instructions
    assert cached_count is not None and honest_count is not None
    assert cached_count > honest_count * 0.9  # the counted call is the first: no cache hit
