"""EvalPlus (HumanEval+ / MBPP+) tasks: reading them and turning their inputs into tests.

EvalPlus ships inputs only (``base_input`` + ``plus_input``); the expected outputs are what the
canonical solution returns. As EvalPlus does, we execute ``prompt + canonical_solution`` on
each input, but in the judge's sandbox (one sandboxed process per task, with CPU, memory and
wall limits; ``--option isolation=partial|none`` accepts less isolation where namespaces are
unavailable), never in the loader's own process, and we cache the outputs on disk (keyed by
a hash of the data) because the full HumanEval+ has ~750 inputs per task.

Where EvalPlus compares outputs with a special oracle instead of equality (HumanEval/32, and
a few MBPP+ tasks), the tests are ASSERT tests whose source spells out that oracle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcodegen import plain
from perfcodegen.errors import DataError
from perfcodegen.paths import user_cache_dir
from perfcodegen.problems import _io
from perfcodegen.vocabulary import TestCase

log = logging.getLogger(__name__)

ORACLE_VERSION = "1"
"""Bump when the way expected outputs are computed changes (invalidates the cache)."""

TASK_TIMEOUT_S = 300.0
"""Wall-clock (and CPU) budget for the canonical solution on all inputs of one task."""
REFERENCE_MEMORY_MB = 4096
"""Address-space limit of the sandboxed run of a canonical solution."""
ISOLATIONS = ("full", "partial", "none")


@dataclass(frozen=True)
class EvalPlusTask:
    task_id: str
    prompt: str
    entry_point: str
    reference: str
    """The complete runnable canonical program (``prompt + canonical_solution`` in EvalPlus)."""
    base_inputs: list[list[Any]]
    plus_inputs: list[list[Any]]
    atol: float


@dataclass(frozen=True)
class ExpectedOutputs:
    base: list[Any]
    plus: list[Any]


InputConverter = Callable[[str, list[Any]], list[Any]]
"""Turns JSON-decoded inputs of a task into the Python values EvalPlus passes (e.g. tuples)."""


def _no_conversion(_task_id: str, inputs: list[Any]) -> list[Any]:
    return inputs


def task_from_row(row: Mapping[str, Any], where: str, convert: InputConverter) -> EvalPlusTask:
    """An EvalPlus release row (``base_input``/``plus_input``) or a hub row (inputs in ``test``)."""
    task_id = str(_io.field(row, "task_id", where, (str, int)))
    prompt = _io.field(row, "prompt", where)
    if "canonical_solution" in row:
        reference = prompt + _io.field(row, "canonical_solution", where)
    else:  # the hub's MBPP+ keeps the whole reference program in `code`
        reference = _io.field(row, "code", where)
    if "base_input" in row or "plus_input" in row:
        base = _input_list(row, "base_input", where)
        plus = _input_list(row, "plus_input", where)
    else:
        base, plus = [], inputs_from_test_code(_io.field(row, "test", where), where)
    entry_point = row.get("entry_point") or _entry_point_from_code(reference, where)
    atol = row.get("atol") or 0
    if not isinstance(atol, (int, float)):
        raise DataError(f"{where}: field 'atol' should be a number, got {type(atol).__name__}")
    return EvalPlusTask(
        task_id=task_id,
        prompt=prompt,
        entry_point=str(entry_point),
        reference=reference,
        base_inputs=[_as_args(i, where) for i in convert(task_id, base)],
        plus_inputs=[_as_args(i, where) for i in convert(task_id, plus)],
        atol=float(atol),
    )


def _input_list(row: Mapping[str, Any], name: str, where: str) -> list[Any]:
    """A list of inputs; MBPP+ writes an empty one as ``{}`` (Mbpp/793's plus_input)."""
    value = _io.field(row, name, where, (list, dict))
    if isinstance(value, dict):
        if value:
            raise DataError(f"{where}: field {name!r} should be a list of inputs, got an object")
        return []
    return list(value)


def _as_args(inputs: Any, where: str) -> list[Any]:
    if not isinstance(inputs, (list, tuple)):
        raise DataError(f"{where}: an input should be a list of arguments, got {inputs!r:.80}")
    return list(inputs)


def inputs_from_test_code(test: str, where: str) -> list[Any]:
    """The hub copies embed the inputs in ``test`` as ``inputs = [...]``: read it by parsing."""
    import ast

    try:
        module = ast.parse(test)
    except SyntaxError as exc:
        raise DataError(f"{where}: field 'test' does not parse: {exc.msg}") from None
    for node in ast.walk(module):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "inputs" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError) as exc:
                raise DataError(
                    f"{where}: 'inputs' in field 'test' is not literal: {exc}"
                ) from None
            if isinstance(value, list):
                return value
    raise DataError(f"{where}: field 'test' has no `inputs = [...]` and the row has no base_input")


def _entry_point_from_code(code: str, where: str) -> str:
    import ast

    try:
        module = ast.parse(code)
    except SyntaxError as exc:
        raise DataError(f"{where}: reference code does not parse: {exc.msg}") from None
    names = [n.name for n in module.body if isinstance(n, ast.FunctionDef)]
    if not names:
        raise DataError(f"{where}: missing field 'entry_point' and no function in the code")
    return names[-1]


def read_tasks(path: Path, convert: InputConverter = _no_conversion) -> list[EvalPlusTask]:
    return [task_from_row(row, f"{path}:{line}", convert) for line, row in _io.read_jsonl(path)]


def tasks_from_rows(
    rows: Iterable[Mapping[str, Any]], source: str, convert: InputConverter = _no_conversion
) -> list[EvalPlusTask]:
    return [task_from_row(row, f"{source} row {i}", convert) for i, row in enumerate(rows)]


# --- expected outputs -------------------------------------------------------------------------

LARGE_OUTPUT_CHARS = 100_000
"""Expected outputs whose JSON is longer are kept as a digest (Mbpp/255 yields ~1 GB)."""

_CHILD = r"""
import copy, json, sys
from perfcodegen import plain
sys.setrecursionlimit(100000)
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)
job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
result_stream, sys.stdout = sys.stdout, sys.stderr  # the reference's prints stay out of the result
namespace = {"__name__": "__evalplus_reference__"}
exec(compile(job["program"], "<reference>", "exec"), namespace)
fn = namespace[job["entry_point"]]
outputs = []
for index, args in enumerate(plain.decode(job["inputs"])):
    value = fn(*copy.deepcopy(args))
    if job["not_none"]:
        value = value is not None
    if isinstance(value, dict) and type(value) is not dict:  # Counter, OrderedDict: == a dict
        value = dict(value)
    if not plain.is_plain(value):
        if not plain.is_plain(value, budget=1 << 62):
            raise TypeError(f"input {index}: output of type {type(value).__name__} is not plain data")
        outputs.append(json.dumps({"__too_large__": True}))  # more items than the judge walks
        continue
    text = json.dumps(plain.encode(value))
    if len(text) > job["large_output_chars"]:
        try:
            text = json.dumps({"__digest__": plain.output_digest(value)})
        except ValueError:  # shared sub-lists: more items as a tree than the judge walks
            text = json.dumps({"__too_large__": True})
    outputs.append(text)
result_stream.write("[" + ",".join(outputs) + "]")
result_stream.flush()
"""


@dataclass(frozen=True)
class TooLarge:
    """Stands for an expected output with more items than the judge decodes or digests
    (`plain.PLAIN_NODE_BUDGET`; MBPP+'s Mbpp/255 has one of 128 million): no program's output
    could be judged against it, so its test is left out and the problem says so."""


@dataclass(frozen=True)
class Digest:
    """Stands for an expected output too large to keep: its `plain.output_digest`."""

    sha256: str


def _run_reference(task: EvalPlusTask, not_none: bool, isolation: str) -> ExpectedOutputs:
    """The canonical solution on every input, in the judge's sandbox (`judge.sandboxed`: the
    fork server's namespaces, read-only view and run limits), the job on stdin, the values on
    stdout."""
    from perfcodegen.judge.sandboxed import run_python

    inputs = task.base_inputs + task.plus_inputs
    job = {
        "program": task.reference,
        "entry_point": task.entry_point,
        "inputs": plain.encode(inputs),
        "not_none": not_none,
        "large_output_chars": LARGE_OUTPUT_CHARS,
    }
    run = run_python(
        _CHILD, json.dumps(job).encode("utf-8"), isolation=isolation,
        cpu_time_s=TASK_TIMEOUT_S, memory_mb=REFERENCE_MEMORY_MB, timeout_s=TASK_TIMEOUT_S,
    )  # fmt: skip
    if run.status == "timeout":
        raise DataError(
            f"{task.task_id}: the canonical solution took more than {TASK_TIMEOUT_S:.0f}s "
            "on its inputs"
        )
    if run.status == "refused":
        raise DataError(
            f"{task.task_id}: the judge's sandbox is not available at isolation {isolation!r} "
            "here, so the canonical solution was not run; pass --option isolation=partial "
            "(or none) to accept less"
        )
    if run.status == "failed":
        raise DataError(f"{task.task_id}: the canonical solution failed: {run.last_error_line}")
    outputs = [_from_json(item) for item in json.loads(run.output.decode("utf-8"))]
    return ExpectedOutputs(
        base=outputs[: len(task.base_inputs)], plus=outputs[len(task.base_inputs) :]
    )


def _from_json(item: Any) -> Any:
    if isinstance(item, dict) and set(item) == {"__digest__"}:
        return Digest(item["__digest__"])
    if isinstance(item, dict) and set(item) == {"__too_large__"}:
        return TooLarge()
    return plain.decode(item)


def _to_json(value: Any) -> Any:
    if isinstance(value, TooLarge):
        return {"__too_large__": True}
    return {"__digest__": value.sha256} if isinstance(value, Digest) else plain.encode(value)


def data_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def expected_outputs(
    tasks: list[EvalPlusTask],
    *,
    data_key: str,
    cache_dir: Path | None = None,
    not_none_entry_points: frozenset[str] = frozenset(),
    workers: int = 2,
    isolation: str = "full",
) -> dict[str, ExpectedOutputs]:
    """Expected outputs per task id, from the cache or computed in the judge's sandbox, which
    refuses to run below ``isolation`` (full, partial, none)."""
    if isolation not in ISOLATIONS:
        raise DataError(f"isolation must be one of {', '.join(ISOLATIONS)}, not {isolation!r}")
    folder = (cache_dir or user_cache_dir()) / "evalplus"
    cache_file = folder / f"{data_key}-v{ORACLE_VERSION}.json"
    if cache_file.exists():
        try:
            cached = json.loads(cache_file.read_text(encoding="utf-8"))
            if all(t.task_id in cached for t in tasks):
                return {
                    t.task_id: ExpectedOutputs(
                        *([_from_json(v) for v in part] for part in cached[t.task_id])
                    )
                    for t in tasks
                }
        except (ValueError, TypeError, KeyError):
            pass  # a damaged cache is recomputed
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(
            pool.map(
                lambda t: _run_reference(t, t.entry_point in not_none_entry_points, isolation),
                tasks,
            )
        )
    outputs = {t.task_id: r for t, r in zip(tasks, results, strict=True)}
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        tid: [[_to_json(v) for v in r.base], [_to_json(v) for v in r.plus]]
        for tid, r in outputs.items()
    }
    partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(payload), encoding="utf-8")
    partial.replace(cache_file)
    return outputs


# --- tests ------------------------------------------------------------------------------------

Oracle = Callable[[list[Any], Any, float], str]
"""(args, expected, atol) -> the source of an ASSERT test (for tasks compared specially)."""


def _call_source(args: list[Any]) -> str:
    return f"candidate({', '.join(repr(a) for a in args)})"


def build_tests(
    task: EvalPlusTask, outputs: ExpectedOutputs, oracle: Oracle | None = None
) -> list[TestCase]:
    """Base then plus tests (named so).

    CALL tests unless the task needs an oracle; an expected output kept as a `Digest` becomes a
    CALL test with `expected_digest` (compared by `plain.output_digest`: type-exact, so
    stricter than ==).
    """
    tests: list[TestCase] = []
    for name, inputs, expected in (
        ("base", task.base_inputs, outputs.base),
        ("plus", task.plus_inputs, outputs.plus),
    ):
        for args, value in zip(inputs, expected, strict=True):
            if isinstance(value, TooLarge):
                continue  # see `left_out`
            if isinstance(value, Digest):
                tests.append(TestCase.call(args, None, expected_digest=value.sha256, name=name))
            elif oracle is None:
                tests.append(TestCase.call(args, value, atol=tolerance(task, value), name=name))
            else:
                tests.append(TestCase.assert_(oracle(args, value, task.atol), name=name))
    return tests


def tolerance(task: EvalPlusTask, expected: Any) -> float | None:
    """EvalPlus's tolerance for one output: the task's atol, else 1e-6 where the output is a
    float or a non-empty list or tuple of floats (its `is_floats`), else none (exact `==`)."""
    if task.atol > 0:
        return task.atol
    floats = type(expected) is float or (
        isinstance(expected, (list, tuple))
        and bool(expected)
        and all(type(item) is float for item in expected)
    )
    return FLOAT_ATOL if floats else None


FLOAT_ATOL = 1e-6
"""EvalPlus's atol for float outputs of tasks whose own atol is 0."""


def left_out(task: EvalPlusTask, outputs: ExpectedOutputs) -> list[str]:
    """The inputs whose tests `build_tests` leaves out (expected outputs too large to judge),
    as 'base 3' / 'plus 85': recorded in the problem's metadata and logged at load."""
    left = [
        f"{name} {index}"
        for name, expected in (("base", outputs.base), ("plus", outputs.plus))
        for index, value in enumerate(expected)
        if isinstance(value, TooLarge)
    ]
    if left:
        log.warning(
            "%s: %d test(s) left out (%s): the expected output has more items than the judge "
            "compares (%d)", task.task_id, len(left), ", ".join(left), plain.PLAIN_NODE_BUDGET,
        )
    return left


def left_out_note(left: list[str]) -> dict[str, Any]:
    """The metadata entry a problem gets for the tests `left_out` names (none: nothing)."""
    return {"left_out_tests": left} if left else {}


def poly_root_oracle(args: list[Any], _expected: Any, atol: float) -> str:
    """HumanEval/32 (find_zero): any root is right; ``poly`` comes from the test setup."""
    return f"assert abs(poly({', '.join(repr(a) for a in args)}, {_call_source(args)})) <= {atol!r}"


def set_equal_oracle(args: list[Any], expected: Any, _atol: float) -> str:
    return f"assert set({_call_source(args)}) == set({expected!r})"


def not_none_oracle(args: list[Any], expected: Any, _atol: float) -> str:
    """EvalPlus compares ``output is not None`` (or the bool itself) for these tasks."""
    return (
        f"_out = {_call_source(args)}\n"
        f"assert (_out if isinstance(_out, bool) else _out is not None) == {expected!r}"
    )


def any_output_oracle(args: list[Any], _expected: Any, _atol: float) -> str:
    """Mbpp/164 (v0.1.0): EvalPlus accepts any output; the call must still not raise."""
    return _call_source(args)


def equal_or_zero_oracle(args: list[Any], expected: Any, _atol: float) -> str:
    """Mbpp/295 (v0.1.0): EvalPlus also accepts 0."""
    return f"_out = {_call_source(args)}\nassert _out == {expected!r} or _out == 0"


def helper_oracle(helper: str) -> Oracle:
    """Equal to the expected output, or to what the helper (in the test setup) computes."""

    def oracle(args: list[Any], expected: Any, atol: float) -> str:
        arg_text = ", ".join(repr(a) for a in args)
        return (
            f"_out = {_call_source(args)}\n"
            f"assert _out == {expected!r} or abs(_out - {helper}({arg_text})) <= {atol!r}"
        )

    return oracle
