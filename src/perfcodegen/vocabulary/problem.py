"""The problem model shared by every layer: a `Problem` and its `TestCase`s.

Records are pydantic models, serialisable to JSON and stable, because run stores keep them.
Argument and expected values go through :mod:`perfcodegen.plain`, so tuples stay tuples.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from perfcodegen import plain

__all__ = ["PlainValue", "Problem", "ProblemMetadata", "TestCase", "TestKind", "make_id"]

PlainValue = Annotated[
    Any,
    PlainValidator(plain.decode),
    PlainSerializer(lambda v: plain.encode(v), when_used="json"),
]
"""A plain Python value; encoded losslessly in JSON (see :mod:`perfcodegen.plain`)."""


class TestKind(str, Enum):
    CALL = "call"  # call entry_point(*args) and compare with expected
    ASSERT = "assert"  # run one assertion's source in the candidate's namespace
    STDIO = "stdio"  # run the program with stdin, compare stdout


class TestCase(BaseModel):
    """One unit test, runnable, timeable and reportable on its own."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(frozen=True)

    kind: TestKind
    public: bool = False
    """Public tests may be shown to a model; private ones never are."""
    args: list[PlainValue] | None = None
    """CALL: positional arguments."""
    expected: PlainValue = None
    """CALL: expected return value."""
    expected_digest: str | None = None
    """CALL: instead of `expected`, the expected value's `plain.output_digest`, for values too
    large to keep (type-exact: stricter than ==)."""
    assertion: str | None = None
    """ASSERT: Python source of one assertion (may use `candidate` or the entry point's name)."""
    stdin: str | None = None
    """STDIO: text fed to standard input."""
    expected_stdout: str | None = None
    """STDIO: expected standard output."""
    atol: float | None = None
    """Absolute float tolerance for CALL comparisons, where the benchmark's harness has one
    (EvalPlus's atol, an `abs(...) < tol` assert); None = exact `==`, as the harness compares."""
    stdout_rule: str | None = Field(default=None, exclude_if=lambda value: value is None)
    """STDIO: how stdout is compared, where the benchmark's harness has its own rule: None =
    Judge0's (trailing whitespace and trailing blank lines ignored); 'apps' = APPS's
    comparison cascade (`judge.compare.apps_stdout_equal`)."""
    name: str | None = None
    """Optional label (e.g. 'base', 'plus', 'challenge', or a file name)."""

    @classmethod
    def call(cls, args: list[Any], expected: Any, **kw: Any) -> TestCase:
        return cls(kind=TestKind.CALL, args=list(args), expected=expected, **kw)

    @classmethod
    def assert_(cls, source: str, **kw: Any) -> TestCase:
        return cls(kind=TestKind.ASSERT, assertion=source, **kw)

    @classmethod
    def stdio(cls, stdin: str, expected_stdout: str, **kw: Any) -> TestCase:
        return cls(kind=TestKind.STDIO, stdin=stdin, expected_stdout=expected_stdout, **kw)

    def describe(self, entry_point: str | None = None, limit: int = 2000) -> str:
        """A human/model-readable rendering of the test (used in feedback prompts)."""
        if self.kind is TestKind.CALL:
            fn = entry_point or "candidate"
            args = ", ".join(repr(a) for a in self.args or [])
            wanted = (
                f"<a value of sha256 digest {self.expected_digest[:16]}..., too large to show>"
                if self.expected_digest
                else repr(self.expected)
            )
            text = f"assert {fn}({args}) == {wanted}"
        elif self.kind is TestKind.ASSERT:
            text = (self.assertion or "").strip()
            if entry_point:
                text = text.replace("candidate(", f"{entry_point}(")
        else:
            text = f"Input:\n{self.stdin}\nExpected output:\n{self.expected_stdout}"
        return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


class ProblemMetadata(BaseModel):
    difficulty: str | None = None
    split: str | None = None
    time_limit_s: float | None = None
    memory_limit_mb: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    """Benchmark-specific facts (e.g. ECCO's human runtime/memory spectrum)."""


class Problem(BaseModel):
    """A programming problem as every part of perfcodegen sees it."""

    id: str
    """Globally unique: '<benchmark>/<native_id>', e.g. 'humaneval/HumanEval/0'."""
    benchmark: str
    native_id: str
    statement: str
    """The natural-language description."""
    prompt: str
    """The prompt exactly as the benchmark gives it (for HumanEval, signature + docstring)."""
    entry_point: str | None = None
    """Function to call; None for stdin/stdout programs."""
    starter_code: str | None = None
    """Signature / starter code the solution must keep."""
    input_program: str | None = None
    """History-based editing: the (slow) program to improve."""
    references: list[str] = Field(default_factory=list)
    """Reference solutions as complete runnable programs (one or many)."""
    tests: list[TestCase] = Field(default_factory=list)
    test_setup: str = ""
    """Code run in the candidate's namespace before assert tests (imports, helpers)."""
    metadata: ProblemMetadata = Field(default_factory=ProblemMetadata)

    @property
    def public_tests(self) -> list[TestCase]:
        return [t for t in self.tests if t.public]

    @property
    def private_tests(self) -> list[TestCase]:
        return [t for t in self.tests if not t.public]

    @property
    def is_stdio(self) -> bool:
        return self.entry_point is None


def make_id(benchmark: str, native_id: str | int) -> str:
    return f"{benchmark}/{native_id}"
