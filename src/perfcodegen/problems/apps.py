"""Loader: APPS (Hendrycks et al. 2021), from the hub or a local JSONL.

Two row formats are read, detected per row:

* **codeparrot** (`codeparrot/apps` on the hub, or its `train.jsonl`/`test.jsonl`):
  `problem_id, question, solutions, input_output, difficulty, starter_code, url`, where
  `solutions` and `input_output` are JSON strings. `input_output` with `fn_name` means a
  call-based problem (each input is the argument list); otherwise stdin/stdout.
* **MapCoder selected150** (`name, description, difficulty, id, sample_io, test_list,
  starter_code`): no reference solutions. Call-based rows (non-empty `starter_code`) hold the
  arguments as ``"\\n".join(str(arg) for arg in args)``, which is read back line by line with
  :func:`ast.literal_eval` (a line that is not a literal stays a string; when there are more
  lines than parameters the leading lines form the first argument). The encoding is lossy:
  a string argument that looks like a literal (``"123"``) comes back as that literal.

Standard output is compared with APPS's own cascade (`TestCase.stdout_rule`, see
`perfcodegen.judge.compare.apps_stdout_equal`): it accepts answers whose lines or tokens come
in another order, as several APPS problems have more than one right answer.

Expected values of call-based tests: APPS stores each expected return value either wrapped in
a one-element list or bare, and its checker accepts ``output == expected`` or
``output == expected[0]``. A test case holds one value, so when *every* output of a problem is a
one-element list they are all unwrapped; otherwise they are kept as stored. As in the APPS
checker, dict arguments/results whose keys are all integer strings (JSON cannot hold int keys)
get int keys back.

Tests are `test_list`, as APPS's harness and MapCoder evaluate. MapCoder's `sample_io`
examples (one of which contradicts a `test_list` case in some problems) are added as public
tests only with ``--option sample_io=yes`` (`test_list` then stays private in full, even where
it repeats a sample). Otherwise the first :data:`PUBLIC_TEST_COUNT` tests are public (never all
of them: at least one stays private).
Problem ids are ``apps/<split>/<problem_id>`` (the selected150 ids are APPS *train* ids).
Rows that repeat an earlier id are skipped (selected150 repeats 21 ids); the kept problem
counts them in ``metadata.extra["duplicate_rows"]``.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems import _io
from perfcodegen.problems.info import BenchmarkInfo, LoadOptions
from perfcodegen.vocabulary import Problem, ProblemMetadata, TestCase, make_id

logger = logging.getLogger(__name__)

BENCHMARK = "apps"
HUB_ID = "codeparrot/apps"
HUB_CONFIG = "all"
HUB_REVISION = "4e6e3a80cd104a48bf29c51eae491bbb4d9b33fc"
"""The hub commit "Convert dataset to Parquet" (the original loading script no longer runs)."""
SPLITS = ("train", "test")
DIFFICULTIES = ("introductory", "interview", "competition")
PUBLIC_TEST_COUNT = 2
STDOUT_RULE = "apps"
"""Standard output is compared as APPS's own harness compares it (`judge.compare`)."""

_DEF = re.compile(r"def\s+(\w+)\s*\((.*?)\)\s*(?:->[^:]*)?:", re.DOTALL)


@dataclass(frozen=True)
class _Signature:
    name: str
    total: int
    varargs: bool
    class_based: bool


def load_apps(options: LoadOptions) -> list[Problem]:
    split = options.split or "test"
    if split not in SPLITS:
        raise UnknownNameError("APPS split", split, SPLITS)
    if options.difficulty is not None and options.difficulty not in DIFFICULTIES:
        raise UnknownNameError("APPS difficulty", options.difficulty, DIFFICULTIES)
    sample_io = _io.flag_option(options.extra, "sample_io", BENCHMARK)
    problems: dict[str, Problem] = {}
    first_seen: dict[str, tuple[str, dict[str, Any]]] = {}
    skipped_without_tests = 0
    for where, row in _rows(options, split):
        problem = (
            _mapcoder_problem(row, where, sample_io)
            if "test_list" in row
            else _codeparrot_problem(row, where, split)
        )
        if problem is None:
            skipped_without_tests += 1
            continue
        if options.difficulty is not None and problem.metadata.difficulty != options.difficulty:
            continue
        if problem.id in problems:
            earlier_where, earlier_row = first_seen[problem.id]
            if earlier_row != row:
                raise DataError(
                    f"{where}: id {problem.native_id!r} repeats {earlier_where} with different content"
                )
            extra = problems[problem.id].metadata.extra
            extra["duplicate_rows"] = extra.get("duplicate_rows", 0) + 1
            continue
        problems[problem.id] = problem
        first_seen[problem.id] = (where, row)
    duplicates = sum(p.metadata.extra.get("duplicate_rows", 0) for p in problems.values())
    if duplicates:
        logger.warning("apps: skipped %d rows that repeat an earlier problem id", duplicates)
    if skipped_without_tests:
        logger.warning("apps: skipped %d problems that have no test cases", skipped_without_tests)
    return list(problems.values())


def _rows(options: LoadOptions, split: str) -> list[tuple[str, dict[str, Any]]]:
    if options.data is None:
        rows = _io.load_hub(HUB_ID, name=HUB_CONFIG, split=split, revision=HUB_REVISION)
        return [(f"{HUB_ID} {split} row {index}", row) for index, row in enumerate(rows)]
    path = options.data
    if path.is_dir():
        candidates = [path / f"{split}.jsonl", path / f"{split}.jsonl.gz"]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise DataError(
                f"{path}: no {split}.jsonl (APPS folder layout: train.jsonl, test.jsonl)"
            )
        path = found[0]
    return [(f"{path}:{lineno}", row) for lineno, row in _io.read_jsonl(path)]


def _codeparrot_problem(row: dict[str, Any], where: str, split: str) -> Problem | None:
    problem_id = _io.field(row, "problem_id", where, (int, str))
    question = _io.field(row, "question", where)
    starter_code = row.get("starter_code") or ""
    io = _json_value(row, "input_output", where, dict)
    if not io or not io.get("inputs"):
        return None
    inputs, outputs = io.get("inputs"), io.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise DataError(
            f"{where}: field 'input_output' needs equally long 'inputs' and 'outputs' lists"
        )
    solutions = _json_value(row, "solutions", where, list) or []
    if not all(isinstance(s, str) for s in solutions):
        raise DataError(f"{where}: field 'solutions' should be a list of program strings")
    fn_name = io.get("fn_name")
    if fn_name is not None:
        signature = _signature(starter_code, where, fn_name=str(fn_name))
        public = _public_count(len(inputs))
        cases = [
            (_as_arg_list(i), o, k < public)
            for k, (i, o) in enumerate(zip(inputs, outputs, strict=True))
        ]
        tests = _call_tests(cases, signature)
    else:
        signature = None
        tests = [
            TestCase.stdio(
                _text(i), _text(o), public=k < _public_count(len(inputs)), stdout_rule=STDOUT_RULE
            )
            for k, (i, o) in enumerate(zip(inputs, outputs, strict=True))
        ]
    extra = {"source": "codeparrot", "url": row.get("url"), "call_based": signature is not None}
    return _problem(
        f"{split}/{problem_id}",
        question,
        starter_code,
        signature,
        tests,
        solutions,
        ProblemMetadata(difficulty=row.get("difficulty"), split=split, extra=extra),
    )


def _mapcoder_problem(row: dict[str, Any], where: str, sample_io: bool = False) -> Problem:
    problem_id = _io.field(row, "id", where, (int, str))
    description = _io.field(row, "description", where)
    starter_code = row.get("starter_code") or ""
    test_list = _io.field(row, "test_list", where, list)
    samples = row.get("sample_io") or []
    if not isinstance(samples, list):
        raise DataError(f"{where}: field 'sample_io' should be list, got {type(samples).__name__}")
    for k, test in enumerate(samples):
        _check_test(test, f"{where}: sample_io[{k}]")
    for k, test in enumerate(test_list):
        _check_test(test, f"{where}: test_list[{k}]")
    if samples and sample_io:
        raw = [(t, True) for t in samples] + [(t, False) for t in test_list]
    else:
        public = _public_count(len(test_list))
        raw = [(t, k < public) for k, t in enumerate(test_list)]
    signature = _signature(starter_code, where) if starter_code.strip() else None
    if signature is not None:
        cases = [(_split_arguments(t["input"], signature), t["output"], p) for t, p in raw]
        tests = _call_tests(cases, signature)
    else:
        tests = [
            TestCase.stdio(
                _text(t["input"]), _text(_single(t["output"])), public=p, stdout_rule=STDOUT_RULE
            )
            for t, p in raw
        ]
    extra = {"source": "mapcoder_selected150", "call_based": signature is not None}
    return _problem(
        f"train/{problem_id}",
        description,
        starter_code,
        signature,
        tests,
        [],
        ProblemMetadata(difficulty=row.get("difficulty"), split="train", extra=extra),
    )


def _problem(
    native_id: str,
    statement: str,
    starter_code: str,
    signature: _Signature | None,
    tests: list[TestCase],
    references: list[str],
    metadata: ProblemMetadata,
) -> Problem:
    style = "Use Call-Based format" if signature is not None else "Use Standard Input format"
    prompt = f"\nQUESTION:\n{statement}\n{starter_code}\n{style}\nANSWER:\n"
    return Problem(
        id=make_id(BENCHMARK, native_id),
        benchmark=BENCHMARK,
        native_id=native_id,
        statement=statement,
        prompt=prompt,
        entry_point=signature.name if signature is not None else None,
        starter_code=starter_code or None,
        references=references,
        tests=tests,
        metadata=metadata,
    )


def _public_count(total: int) -> int:
    return max(0, min(PUBLIC_TEST_COUNT, total - 1))


def _check_test(test: Any, where: str) -> None:
    if not isinstance(test, dict) or "input" not in test or "output" not in test:
        raise DataError(f"{where}: a test needs fields 'input' and 'output'")
    if not isinstance(test["input"], str):
        raise DataError(f"{where}: field 'input' should be str, got {type(test['input']).__name__}")


def _call_tests(cases: list[tuple[list[Any], Any, bool]], signature: _Signature) -> list[TestCase]:
    """CALL tests from (args, stored output, public) (ASSERTs on `Solution()` for class starters)."""
    unwrap = all(isinstance(o, list) and len(o) == 1 for _, o, _ in cases)
    tests = []
    for raw_args, output, public in cases:
        expected = _int_keys(output[0] if unwrap else output)
        args = [_int_keys(a) for a in raw_args]
        if signature.class_based:
            call = f"Solution().{signature.name}(*{args!r})"
            tests.append(TestCase.assert_(f"assert {call} == {expected!r}", public=public))
        else:
            tests.append(TestCase.call(args, expected, public=public))
    return tests


def _signature(starter_code: str, where: str, fn_name: str | None = None) -> _Signature:
    """The entry point's name and arity, read from the (incomplete) starter code."""
    class_based = "class Solution" in starter_code
    for match in _DEF.finditer(starter_code):
        name = match.group(1)
        if (fn_name is not None and name != fn_name) or (fn_name is None and name == "__init__"):
            continue
        try:
            parsed = ast.parse(f"def f({match.group(2)}): pass").body[0]
        except SyntaxError:
            break
        assert isinstance(parsed, ast.FunctionDef)
        params = [a.arg for a in parsed.args.posonlyargs + parsed.args.args]
        if params[:1] == ["self"]:
            params = params[1:]
        return _Signature(name, len(params), parsed.args.vararg is not None, class_based)
    if fn_name is not None:  # the starter code may be empty: call fn_name with the given args
        return _Signature(fn_name, 0, True, class_based)
    raise DataError(f"{where}: field 'starter_code' has no function definition")


def _split_arguments(text: str, signature: _Signature) -> list[Any]:
    """Read back ``"\\n".join(str(arg) for arg in args)`` (MapCoder's encoding) as arguments."""
    if signature.total == 0 and not signature.varargs:
        return []
    lines = text.split("\n")
    if len(lines) > signature.total and not signature.varargs:
        head = len(lines) - signature.total + 1
        lines = ["\n".join(lines[:head]), *lines[head:]]
    return [_literal(line) for line in lines]


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _int_keys(value: Any) -> Any:
    if isinstance(value, dict) and value and all(isinstance(k, str) and _is_int(k) for k in value):
        return {int(k): v for k, v in value.items()}
    return value


def _is_int(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", text))


def _as_arg_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _single(output: Any) -> Any:
    return output[0] if isinstance(output, list) and len(output) == 1 else output


def _text(value: Any) -> str:
    """APPS stdio inputs/outputs are strings, or lists of lines (joined as the APPS checker does)."""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _json_value(row: dict[str, Any], name: str, where: str, kind: type) -> Any:
    """A field that the hub stores as a JSON string (or already decoded in local exports)."""
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: field {name!r} is not valid JSON ({exc.msg})") from None
    if not isinstance(value, kind):
        raise DataError(
            f"{where}: field {name!r} should be {kind.__name__}, got {type(value).__name__}"
        )
    return value


INFO = BenchmarkInfo(
    name=BENCHMARK,
    description="APPS coding problems (call-based and stdin/stdout), with difficulty filter",
    loader=load_apps,
    splits=SPLITS,
    default_split="test",
    source=f"hub {HUB_ID}@{HUB_REVISION[:7]} (extra 'hub'), or --data FILE.jsonl / DIR with "
    "train.jsonl, test.jsonl (codeparrot rows or MapCoder selected150 rows)",
)
