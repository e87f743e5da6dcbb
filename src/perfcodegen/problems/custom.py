"""Loader: `custom`, user problems in our own JSONL / YAML / JSON schema.

The schema is documented with a complete example in ``docs/custom-benchmark.md``. Errors name
the file, the line (JSONL, and YAML via its parse tree) or problem index, and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from perfcodegen.errors import DataError
from perfcodegen.problems import _io
from perfcodegen.problems.info import BenchmarkInfo, LoadOptions
from perfcodegen.vocabulary import Problem, ProblemMetadata, TestCase, TestKind, make_id

BENCHMARK = "custom"
_KIND_FIELDS = {
    TestKind.CALL: ("args", "expected"),
    TestKind.ASSERT: ("assertion",),
    TestKind.STDIO: ("stdin", "stdout"),
}


class CustomTest(BaseModel):
    """One test: call {args, expected}, assert {assertion} or stdio {stdin, stdout}."""

    model_config = ConfigDict(extra="forbid")

    kind: TestKind | None = None
    """Optional: inferred from which of the fields below are given."""
    args: list[Any] | None = None
    expected: Any = None
    assertion: str | None = None
    stdin: str | None = None
    stdout: str | None = None
    public: bool = False
    name: str | None = None
    atol: float | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> CustomTest:
        given = self.model_fields_set
        kinds = [k for k, names in _KIND_FIELDS.items() if any(n in given for n in names)]
        if self.kind is None:
            if len(kinds) != 1:
                raise ValueError(
                    "give exactly one of: args+expected (call), assertion, stdin+stdout (stdio)"
                )
            self.kind = kinds[0]
        missing = [n for n in _KIND_FIELDS[self.kind] if n not in given]
        stray = [n for k in kinds if k is not self.kind for n in _KIND_FIELDS[k] if n in given]
        if missing or stray:
            problem = (
                f"needs {', '.join(missing)}" if missing else f"cannot have {', '.join(stray)}"
            )
            raise ValueError(f"a {self.kind.value} test {problem}")
        return self

    def to_test_case(self) -> TestCase:
        common: dict[str, Any] = {"public": self.public, "name": self.name}
        if self.kind is TestKind.CALL:
            return TestCase.call(self.args or [], self.expected, atol=self.atol, **common)
        if self.kind is TestKind.ASSERT:
            return TestCase.assert_(self.assertion or "", **common)
        return TestCase.stdio(self.stdin or "", self.stdout or "", **common)


class CustomLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_limit_s: float | None = Field(default=None, gt=0)
    memory_limit_mb: float | None = Field(default=None, gt=0)


class CustomProblem(BaseModel):
    """One user problem; exactly one of `entry_point` (function) or `stdio: true` (program)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    statement: str
    entry_point: str | None = None
    stdio: bool = False
    prompt: str | None = None
    """Defaults to the statement followed by the starter code."""
    starter_code: str | None = None
    input_program: str | None = None
    references: list[str] = Field(default_factory=list)
    tests: list[CustomTest] = Field(min_length=1)
    test_setup: str = ""
    limits: CustomLimits = Field(default_factory=CustomLimits)
    difficulty: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _program_style(self) -> CustomProblem:
        if (self.entry_point is None) == (not self.stdio):
            raise ValueError(
                "give exactly one of 'entry_point' (a function) or 'stdio: true' (a program)"
            )
        for index, test in enumerate(self.tests):
            if self.stdio != (test.kind is TestKind.STDIO):
                kind = test.kind.value if test.kind else "?"
                style = "stdio" if self.stdio else "function"
                raise ValueError(f"tests[{index}]: a {kind} test does not fit a {style} problem")
        return self

    def to_problem(self) -> Problem:
        prompt = self.prompt
        if prompt is None:
            prompt = (
                self.statement
                if not self.starter_code
                else f"{self.statement}\n\n{self.starter_code}"
            )
        return Problem(
            id=make_id(BENCHMARK, self.id),
            benchmark=BENCHMARK,
            native_id=self.id,
            statement=self.statement,
            prompt=prompt,
            entry_point=self.entry_point,
            starter_code=self.starter_code,
            input_program=self.input_program,
            references=self.references,
            tests=[t.to_test_case() for t in self.tests],
            test_setup=self.test_setup,
            metadata=ProblemMetadata(
                difficulty=self.difficulty,
                time_limit_s=self.limits.time_limit_s,
                memory_limit_mb=self.limits.memory_limit_mb,
                extra=self.extra,
            ),
        )


def load_custom(options: LoadOptions) -> list[Problem]:
    if options.data is None:
        raise DataError(
            "the custom benchmark needs --data PATH: a .jsonl, .yaml/.yml or .json file of "
            "problems (schema: docs/custom-benchmark.md)"
        )
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for where, raw in _records(options.data):
        problem = _validate(raw, where)
        if problem.id in seen:
            raise DataError(
                f"{where}: field 'id': {problem.id!r} is already used at {seen[problem.id]}"
            )
        seen[problem.id] = where
        problems.append(problem.to_problem())
    return problems


def _validate(raw: Any, where: str) -> CustomProblem:
    if not isinstance(raw, dict):
        raise DataError(f"{where}: a problem should be a mapping, got {type(raw).__name__}")
    try:
        return CustomProblem.model_validate(raw)
    except ValidationError as exc:
        raise DataError(f"{where}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    """Rephrase pydantic's errors as 'field a.b[2].c: message; ...'."""
    parts = []
    for error in exc.errors():
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(
            "."
        )
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"field {path}: {message}" if path else message)
    return "; ".join(parts)


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    """(location, raw problem) for each problem in the file."""
    suffixes = path.suffixes
    if ".jsonl" in suffixes:
        for lineno, row in _io.read_jsonl(path):
            yield f"{path}:{lineno}", row
    elif suffixes and suffixes[-1] in (".yaml", ".yml"):
        yield from _yaml_records(path)
    elif suffixes and suffixes[-1] == ".json":
        data = _io.read_json(path)
        for index, row in enumerate(_problem_list(data, path)):
            yield f"{path}: problem #{index}", row
    else:
        raise DataError(
            f"{path}: unknown custom benchmark format (use .jsonl, .yaml/.yml or .json)"
        )


def _yaml_records(path: Path) -> Iterator[tuple[str, Any]]:
    with _io.open_text(path) as fh:
        text = fh.read()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML ({exc})") from None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "problems":
                root = value
    if not isinstance(root, yaml.SequenceNode):
        raise DataError(f"{path}: expected a list of problems (or a mapping with key 'problems')")
    for index, node in enumerate(root.value):
        loader = yaml.SafeLoader("")
        try:
            row = loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise DataError(f"{path}:{node.start_mark.line + 1}: not valid YAML ({exc})") from None
        yield f"{path}:{node.start_mark.line + 1} (problem #{index})", row


def _problem_list(data: Any, path: Path) -> list[Any]:
    if isinstance(data, dict) and "problems" in data:
        data = data["problems"]
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a list of problems (or an object with key 'problems')")
    return data


INFO = BenchmarkInfo(
    name=BENCHMARK,
    description="your own problems in the documented JSONL/YAML schema (docs/custom-benchmark.md)",
    loader=load_custom,
    source="--data FILE (.jsonl, .yaml/.yml or .json); see docs/custom-benchmark.md",
)
