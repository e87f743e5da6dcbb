"""Code that runs inside the sandboxed child: prepare a candidate, run one test, observe.

This module is imported by the lean fork server, so it imports only the standard library
(never pydantic). Tests may be `perfcodegen.vocabulary.TestCase` objects or the plain
`TestSpec` the fork server builds; both have the attributes of `TestLike`.

The child never compares outputs: it observes a value (return value, captured stdout) and the
judge compares it with the expected value in another process.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import io
import linecache
import os
import sys
import traceback
from collections.abc import Callable
from types import CodeType
from typing import Any, NamedTuple, Protocol

from perfcodegen.judge import assertions

CANDIDATE_MODULE = "__candidate__"
TEST_FILENAME = "<test>"
DEFAULT_OUTPUT_LIMIT = 1_000_000


class TestLike(Protocol):
    """What a runner needs from a test (TestCase satisfies it)."""

    @property
    def kind(self) -> str: ...
    @property
    def args(self) -> list[Any] | None: ...
    @property
    def assertion(self) -> str | None: ...
    @property
    def stdin(self) -> str | None: ...


class TestSpec(NamedTuple):
    """A test as the fork server receives it: no expected values travel to the child.

    Named tuples rather than dataclasses throughout the fork server's modules: `dataclasses`
    imports `inspect` and a dozen more modules, a megabyte that every run's fork would copy."""

    kind: str
    args: list[Any] | None = None
    assertion: str | None = None
    stdin: str | None = None
    replay: list[Any] | None = None
    """Assertion tests: calls recorded in the candidate's run, replayed without it."""


setattr(TestSpec, "__test__", False)  # not a pytest test class, whatever its name  # noqa: B010


class OutputLimitExceeded(BaseException):
    """Raised by a captured stream in stdio tests when the program prints too much."""


class Prepared:
    """A compiled candidate; for function programs, its executed module namespace."""

    __slots__ = ("candidate", "code", "entry_point", "namespace")

    def __init__(self, code: CodeType, entry_point: str | None) -> None:
        self.code = code
        self.entry_point = entry_point
        self.namespace: dict[str, Any] = {}
        self.candidate: Callable[..., Any] | None = None


def register_source(filename: str, source: str) -> None:
    """Make tracebacks show the candidate's own lines."""
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)


def compile_program(source: str, filename: str = "<candidate>") -> CodeType:
    """Compile a program (SyntaxError propagates) and register its source for tracebacks."""
    code = compile(source, filename, "exec", dont_inherit=True)
    register_source(filename, source)
    return code


def prepare(source: str, entry_point: str | None, test_setup: str) -> Prepared:
    """Compile the program and, for function programs, execute it and bind `candidate`."""
    return prepare_code(compile_program(source), entry_point, test_setup)


def prepare_code(code: CodeType, entry_point: str | None, test_setup: str) -> Prepared:
    """`prepare` for an already compiled program (the fork server compiles once per job)."""
    prepared = Prepared(code=code, entry_point=entry_point)
    if entry_point is None:
        return prepared
    namespace: dict[str, Any] = {"__name__": CANDIDATE_MODULE, "__builtins__": builtins}
    exec(code, namespace)
    if test_setup:
        register_source("<test_setup>", test_setup)
        exec(compile(test_setup, "<test_setup>", "exec", dont_inherit=True), namespace)
    candidate = namespace.get(entry_point)
    if not callable(candidate):
        raise NameError(f"the program does not define a function named {entry_point!r}")
    namespace["candidate"] = candidate
    prepared.namespace = namespace
    prepared.candidate = candidate
    return prepared


class _CappedSink(io.RawIOBase):
    """A byte sink that keeps at most `limit` bytes and remembers whether it dropped some."""

    def __init__(self, limit: int, raise_on_overflow: bool) -> None:
        super().__init__()
        self.limit = limit
        self.raise_on_overflow = raise_on_overflow
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        room = self.limit - self.size
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[: max(room, 0)]
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.truncated and self.raise_on_overflow:
            raise OutputLimitExceeded(f"output exceeded {self.limit} bytes")
        return len(data)

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")


def capped_text_stream(limit: int, raise_on_overflow: bool) -> tuple[io.TextIOWrapper, _CappedSink]:
    sink = _CappedSink(limit, raise_on_overflow)
    stream = io.TextIOWrapper(io.BufferedWriter(sink), encoding="utf-8", newline="\n")
    return stream, sink


class TestRunner:
    """Runs one test once per call. `arrange` prepares fresh inputs (untimed), `act` runs."""

    def __init__(self, prepared: Prepared, test: TestLike, output_limit: int) -> None:
        self.prepared = prepared
        self.test = test
        self.output_limit = output_limit
        self.stdout_truncated = False
        kind = str(getattr(test.kind, "value", test.kind))
        self.kind = kind
        self._args: list[Any] = []
        self._assertion: CodeType | None = None
        self._stdin_bytes = (test.stdin or "").encode("utf-8")
        self._globals: dict[str, Any] = {}
        self._stdin: io.TextIOWrapper | None = None
        if kind in ("call", "assert") and prepared.candidate is None:
            raise ValueError(f"a {kind} test needs a function program (entry_point)")
        if kind == "assert":
            source = test.assertion or ""
            register_source(TEST_FILENAME, source)
            self._assertion = compile(source, TEST_FILENAME, "exec", dont_inherit=True)
        elif kind not in ("call", "stdio"):
            raise ValueError(f"unknown test kind {kind!r}")

    def arrange(self, copy_args: bool = True) -> None:
        """Fresh inputs. A run process forked for this one call may use the arguments as they
        are (`copy_args=False`): its memory is its own copy, so nothing needs copying."""
        if self.kind == "call":
            args = list(self.test.args or [])
            self._args = copy.deepcopy(args) if copy_args else args
        elif self.kind == "stdio":
            self._globals = {"__name__": "__main__", "__builtins__": builtins}
            self._stdin = io.TextIOWrapper(io.BytesIO(self._stdin_bytes), encoding="utf-8")

    def act(self) -> object:
        if self.kind == "call":
            assert self.prepared.candidate is not None
            return self.prepared.candidate(*self._args)
        if self.kind == "assert":
            assert self._assertion is not None and self.prepared.candidate is not None
            namespace = self.prepared.namespace
            replay = getattr(self.test, "replay", None)
            calls = assertions.bind(
                namespace, self.prepared.entry_point, self.prepared.candidate, replay
            )
            exec(self._assertion, namespace)
            if replay is None:
                assertions.record_modules(calls, namespace, self._assertion)
            return calls
        return self._run_stdio()

    def _run_stdio(self) -> str:
        """Run the program as `__main__` on the test's input: fd 0 is a memfd holding it and
        fd 1 an empty memfd read back afterwards, so `open(0)`, `sys.stdin.buffer`,
        `os.read(0, ...)`, `print`, `sys.stdout.buffer` and `os.write(1, ...)` behave as in a
        real process. More than `output_limit` bytes is OutputLimitExceeded (at once for
        `sys.stdout`, after the run for direct writes; RLIMIT_FSIZE bounds the file).
        Descriptors 0 and 1 are restored afterwards (the fork server warms this path up in
        its own process). Where memfds are not available, in-memory streams stand in."""
        _flush_original()  # what the process itself buffered belongs to its own fd 1
        try:
            infd, outfd = _stdio_files(self._stdin_bytes)
        except OSError:
            return self._run_stdio_in_memory()
        saved = sys.stdin, sys.stdout, sys.argv
        saved_fds = os.dup(0), os.dup(1)
        sink = _FdSink(outfd, self.output_limit)
        stdout = io.TextIOWrapper(io.BufferedWriter(sink), encoding="utf-8")
        try:
            os.dup2(infd, 0)
            os.dup2(outfd, 1)
            sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stdout, sys.argv = stdout, ["solution.py"]
            self._exec_script()
            stdout.flush()
            _flush_original()
            size = os.lseek(outfd, 0, os.SEEK_CUR)
            if size > self.output_limit:
                raise OutputLimitExceeded(f"output exceeded {self.output_limit} bytes")
            return os.pread(outfd, size, 0).decode("utf-8", errors="replace")
        finally:
            sink.fd = -1  # what the program's stdout still buffers is dropped, never written
            with contextlib.suppress(Exception):
                _flush_original()  # into the memfd, not into the descriptor restored below
            self.stdout_truncated = os.lseek(outfd, 0, os.SEEK_CUR) > self.output_limit
            sys.stdin, sys.stdout, sys.argv = saved
            for fd, old in zip((0, 1), saved_fds, strict=True):
                os.dup2(old, fd)
                os.close(old)
            os.close(infd)
            os.close(outfd)

    def _exec_script(self) -> None:
        """Run the program as a script: `sys.exit()` and `exit(0)` end it normally, as they
        do under the benchmarks' own harnesses; any other exit status is an error."""
        try:
            exec(self.prepared.code, self._globals)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise

    def _run_stdio_in_memory(self) -> str:
        stdout, sink = capped_text_stream(self.output_limit, raise_on_overflow=True)
        saved = sys.stdin, sys.stdout, sys.argv
        sys.stdin, sys.stdout, sys.argv = self._stdin or io.StringIO(""), stdout, ["solution.py"]
        try:
            self._exec_script()
            stdout.flush()
        finally:
            sys.stdin, sys.stdout, sys.argv = saved
            self.stdout_truncated = sink.truncated
        return sink.text()

    def __call__(self) -> object:
        self.arrange()
        return self.act()


def make_runner(
    prepared: Prepared, test: TestLike, *, output_limit: int = DEFAULT_OUTPUT_LIMIT
) -> TestRunner:
    """A zero-argument callable running `test` once and returning the observed value.

    CALL: the return value (arguments deep-copied per call); ASSERT: the calls it recorded
    (AssertionError on failure; see `assertions`); STDIO: the captured stdout text (program
    run as `__main__`, fresh globals).
    """
    return TestRunner(prepared, test, output_limit)


def _stdio_files(stdin: bytes) -> tuple[int, int]:
    """(a memfd holding `stdin`, at offset 0; an empty memfd)."""
    infd = os.memfd_create("stdin", os.MFD_CLOEXEC)
    try:
        view = memoryview(stdin)
        while view:
            view = view[os.write(infd, view) :]
        os.lseek(infd, 0, os.SEEK_SET)
        return infd, os.memfd_create("stdout", os.MFD_CLOEXEC)
    except OSError:
        os.close(infd)
        raise


def _flush_original() -> None:
    """`sys.__stdout__` writes to fd 1 too: flush what a program buffered there."""
    if sys.__stdout__ is not None:
        sys.__stdout__.flush()


class _FdSink(io.RawIOBase):
    """`sys.stdout`'s raw layer: writes to the stdout memfd while `fd` is set, and raises
    OutputLimitExceeded once the file holds more than `limit` bytes."""

    def __init__(self, fd: int, limit: int) -> None:
        super().__init__()
        self.fd = fd
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.fd < 0:
            return len(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        if os.lseek(self.fd, 0, os.SEEK_CUR) > self.limit:
            raise OutputLimitExceeded(f"output exceeded {self.limit} bytes")
        return len(data)


_HARNESS_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def describe_error(exc: BaseException) -> dict[str, Any]:
    """Type, message and traceback tail of an exception, with the judge's own frames removed."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(_HARNESS_DIR)
    ]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    tail = "".join(lines).splitlines()[-15:]
    in_test = bool(frames) and frames[-1].filename == TEST_FILENAME
    try:
        message = str(exc)
    except Exception:  # a hostile __str__
        message = "<unprintable exception>"
    return {
        "type": type(exc).__name__,
        "message": message[:2000],
        "traceback": "\n".join(tail)[-4000:],
        "in_test": in_test,
    }
