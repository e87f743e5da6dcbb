"""Loader: ``mbpp`` (Austin et al. 2021, 974 problems; sanitized: 427) and MBPP+ (EvalPlus).

Splits (by task id, as in the MBPP README): ``test`` 11-510 (default), ``prompt`` 1-10,
``validation`` 511-600, ``train`` 601-974, ``all``; ``sanitized`` = the 257 hand-verified
test-split problems (PerfCodeGen's set), ``sanitized-all`` = all 427.

Source: the hub (``google-research-datasets/mbpp``, configs full/sanitized) or ``--data``:
``mbpp.jsonl``, ``sanitized-mbpp.json`` or a folder holding them. Tests are the asserts of
``test_list``, as MBPP's harness runs (``challenge_test_list`` only with ``--option
challenge=yes``, named 'challenge'); an assert that is exactly ``assert f(<literals>) ==
<literal>`` becomes a CALL test (compared with exact ``==``), unless a literal holds a set. The first test is public, as in the
LDB/PerfCodeGen setups. ``code`` (CRLF normalised) is the reference.

Variant ``plus`` (MBPP+ v0.2.0, 378 tasks; split ``all`` by default): a local
``MbppPlus*.jsonl.gz`` or the hub ``evalplus/mbppplus``, with EvalPlus's input conversions
(lists back to tuples/sets/complex for the tasks that need them) and special oracles.
"""

from __future__ import annotations

import ast
import textwrap
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems import _io, evalplus
from perfcodegen.problems.humaneval import resolve_data
from perfcodegen.problems.humaneval_split import (
    call_test_from_assert,
    contains_assert,
    is_trivial_assert,
)
from perfcodegen.problems.info import BenchmarkInfo, LoadOptions
from perfcodegen.vocabulary import Problem, ProblemMetadata, TestCase, make_id

BENCHMARK = "mbpp"
HUB_ID = "google-research-datasets/mbpp"
HUB_REVISION = "4bb6404"
PLUS_HUB_ID = "evalplus/mbppplus"
PLUS_HUB_REVISION = "8a14ef6256e2d9ba80a03e9ce57ee349a69e6399"
FULL_FILE, SANITIZED_FILE, PLUS_FILE = "mbpp.jsonl", "sanitized-mbpp.json", "MbppPlus.jsonl.gz"
TASK_RANGES = {"prompt": (1, 10), "test": (11, 510), "validation": (511, 600), "train": (601, 974)}
SPLITS = ("test", "prompt", "validation", "train", "all", "sanitized", "sanitized-all")
PLUS_SPLITS = ("all", "test", "prompt", "validation", "train")
PROMPT_TEMPLATE = (
    "You are an expert Python programmer, and here is your task: {text} "
    "Your code should pass these tests:\n\n{tests}\n"
)
SIGNATURE_PROMPT_TEMPLATE = (
    "You are an expert Python programmer, and here is your task: {text} "
    "Please write a Python function {signature} for the task.\n"
)
"""``--option prompt=signature``: PerfCodeGen's released prompt, which shows the function's
signature instead of the evaluation asserts (the tests stay hidden from the first sample)."""
PROMPT_STYLES = ("tests", "signature")


def parse_quietly(source: str) -> ast.Module:
    """ast.parse without the invalid-escape warnings that MBPP's code (e.g. '\\d') raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
        return ast.parse(source)


def split_of(task_id: int) -> str:
    for name, (low, high) in TASK_RANGES.items():
        if low <= task_id <= high:
            return name
    return "unknown"


def normalise_code(code: str) -> str:
    return code.replace("\r\n", "\n").replace("\r", "\n")


def called_function(assertion: str, defined: set[str]) -> str | None:
    """The function an MBPP assert calls: one the reference defines, else the first called name."""
    try:
        module = parse_quietly(assertion)
    except SyntaxError:
        return None
    names = [
        n.func.id
        for n in ast.walk(module)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    return next((n for n in names if n in defined), names[0] if names else None)


def assert_tests(
    asserts: list[str], entry_point: str, where: str, name: str | None
) -> list[TestCase]:
    tests = []
    for source in asserts:
        source = normalise_code(source).strip()
        try:
            module = parse_quietly(source)
        except SyntaxError as exc:
            raise DataError(
                f"{where}: a test does not parse ({exc.msg}): {source!r:.120}"
            ) from None
        if len(module.body) == 1 and is_trivial_assert(module.body[0]):
            continue
        stmt = module.body[0] if len(module.body) == 1 else None
        call = call_test_from_assert(stmt, entry_point) if isinstance(stmt, ast.Assert) else None
        if call is not None and _holds_set(call.args):
            call = None  # evaluated from its own literal, so a set iterates as in MBPP's harness
        if call is None and not any(contains_assert(s) for s in module.body):
            raise DataError(f"{where}: a test holds no assert: {source!r:.120}")
        tests.append(
            call.model_copy(update={"name": name}) if call else TestCase.assert_(source, name=name)
        )
    return tests


def _holds_set(value: Any) -> bool:
    """Whether a set or frozenset is in `value`: a set argument rebuilt from a stored value may
    iterate in another order than the assert's literal gives it (MBPP/341), so such asserts
    stay ASSERT tests, run from their own source as MBPP's harness runs them."""
    if isinstance(value, (set, frozenset)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_set(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_set(item) for item in value.values())
    return False


def reference_classes(code: str, sources: list[str]) -> str:
    """The reference's top-level classes that the setup or the asserts name (MBPP/367's
    `Node`, /601's `Pair`), each defined only where the program has not defined it.

    MBPP's harness runs the setup and the asserts in the program's module, so they use the
    program's own class; so does the candidate's run here. The replay of an assertion runs no
    program code: there the reference's class builds the arguments (which the replay does not
    use: it returns what the program returned)."""
    used: set[str] = set()
    for source in sources:
        try:
            used |= {n.id for n in ast.walk(parse_quietly(source)) if isinstance(n, ast.Name)}
        except SyntaxError:
            continue
    parts = [
        f"if {node.name!r} not in globals():\n" + textwrap.indent(ast.get_source_segment(code, node) or "", "    ")
        for node in parse_quietly(code).body
        if isinstance(node, ast.ClassDef) and node.name in used
    ]
    return "\n".join(parts)


def signature_of(code: str, entry_point: str) -> str:
    """``name(arguments)`` of the reference's entry point, as its source spells it."""
    for node in ast.walk(parse_quietly(code)):
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return f"{entry_point}({ast.unparse(node.args)})"
    return f"{entry_point}()"


def problem_from_row(
    row: Mapping[str, Any],
    where: str,
    sanitized: bool,
    prompt_style: str = "tests",
    challenge: bool = False,
) -> Problem:
    """One problem. MBPP's harness runs `test_list` only: `challenge_test_list` is added (named
    'challenge') only when `challenge` asks for it (`--option challenge=yes`)."""
    task_id = _io.field(row, "task_id", where, int)
    text = _io.field(row, "prompt" if sanitized else "text", where).strip()
    code = normalise_code(_io.field(row, "code", where))
    test_list = [normalise_code(t).strip() for t in _io.field(row, "test_list", where, list)]
    extra_tests = list(row.get("challenge_test_list") or []) if challenge and not sanitized else []
    if sanitized:
        setup = "\n".join(_io.field(row, "test_imports", where, list))
    else:
        setup = normalise_code(row.get("test_setup_code") or "")
    try:
        defined = {n.name for n in ast.walk(parse_quietly(code)) if isinstance(n, ast.FunctionDef)}
    except SyntaxError as exc:
        raise DataError(f"{where}: field 'code' does not parse: {exc.msg}") from None
    entry_point = called_function(test_list[0], defined) if test_list else None
    if entry_point is None:
        raise DataError(f"{where}: field 'test_list' calls no function")
    tests = assert_tests(test_list, entry_point, where, None)
    tests += assert_tests(extra_tests, entry_point, where, "challenge")
    setup = "\n".join(filter(None, [reference_classes(code, [setup, *test_list, *extra_tests]), setup]))
    tests = [t.model_copy(update={"public": i == 0}) for i, t in enumerate(tests)]
    extra: dict[str, Any] = {"variant": "sanitized" if sanitized else "full"}
    if sanitized and row.get("source_file"):
        extra["source_file"] = row["source_file"]
    return Problem(
        id=make_id(BENCHMARK, task_id),
        benchmark=BENCHMARK,
        native_id=str(task_id),
        statement=text,
        prompt=SIGNATURE_PROMPT_TEMPLATE.format(text=text, signature=signature_of(code, entry_point))
        if prompt_style == "signature"
        else PROMPT_TEMPLATE.format(text=text, tests="\n".join(test_list)),
        entry_point=entry_point,
        references=[code],
        tests=tests,
        test_setup=setup.strip(),
        metadata=ProblemMetadata(split=split_of(task_id), extra=extra),
    )


def _rows(data: Path | None, sanitized: bool) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, row) for every problem of the full or sanitized file."""
    if data is None:
        config = "sanitized" if sanitized else "full"
        rows: list[tuple[str, Mapping[str, Any]]] = []
        for hub_split in ("prompt", "test", "validation", "train"):
            loaded = _io.load_hub(HUB_ID, name=config, split=hub_split, revision=HUB_REVISION)
            rows += [(f"{HUB_ID}/{config}/{hub_split} row {i}", r) for i, r in enumerate(loaded)]
        return rows
    path = resolve_data(data, (SANITIZED_FILE,) if sanitized else (FULL_FILE,))
    if path.name.endswith(".json"):
        if not sanitized:
            raise DataError(f"{path}: the full MBPP is mbpp.jsonl; use --split sanitized here")
        content = _io.read_json(path)
        if not isinstance(content, list):
            raise DataError(f"{path}: expected a JSON list of problems")
        return [(f"{path}: item {i}", r) for i, r in enumerate(content) if isinstance(r, dict)]
    if sanitized:
        raise DataError(f"{path}: sanitized MBPP is sanitized-mbpp.json (a JSON list)")
    return [(f"{path}:{line}", row) for line, row in _io.read_jsonl(path)]


def load_original(
    split: str, data: Path | None, prompt_style: str = "tests", challenge: bool = False
) -> list[Problem]:
    if prompt_style not in PROMPT_STYLES:
        raise UnknownNameError("mbpp prompt (--option prompt=)", prompt_style, PROMPT_STYLES)
    sanitized = split.startswith("sanitized")
    problems = [
        problem_from_row(row, where, sanitized, prompt_style, challenge)
        for where, row in _rows(data, sanitized)
    ]
    wanted = {"sanitized": "test", "sanitized-all": "all"}.get(split, split)
    problems.sort(key=lambda p: int(p.native_id))
    return [p for p in problems if wanted == "all" or p.metadata.split == wanted]


# --- MBPP+ ------------------------------------------------------------------------------------

# EvalPlus stores some inputs as JSON lists that the functions expect as tuples, sets or complex
# numbers; these are its per-task conversions (evalplus/data/mbpp.py, mbpp_deserialize_inputs).
_TUPLES_IN_ARGS = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596,
                   616, 630, 726, 740, 744, 809}  # fmt: skip
_TUPLES_IN_LIST_ARGS = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
_TUPLES_IN_FIRST_LIST = {75, 413, 444, 753}
_SECOND_ARG_TUPLE = {106, 750}
_FIRST_ARG_TUPLE = {250, 405, 446, 617, 720, 763, 808}
_TUPLES_OF_TUPLES = {259, 401, 445}
_ALL_TUPLES = {580, 615, 791}


def _deep_tuple(value: Any) -> Any:
    return tuple(_deep_tuple(v) for v in value) if isinstance(value, list) else value


def _convert_one(number: int, args: list[Any]) -> list[Any]:
    if number in _TUPLES_IN_ARGS:
        return [tuple(a) for a in args]
    if number in _TUPLES_IN_LIST_ARGS:
        return [[tuple(x) for x in a] for a in args]
    if number in _TUPLES_IN_FIRST_LIST:
        return [[tuple(x) for x in args[0]], args[1]]
    if number in _SECOND_ARG_TUPLE:
        return [args[0], tuple(args[1])]
    if number in _FIRST_ARG_TUPLE:
        return [tuple(args[0]), args[1]]
    if number in _TUPLES_OF_TUPLES:
        return [tuple(tuple(x) for x in a) for a in args]
    if number == 278:
        return [tuple(tuple(x) if isinstance(x, list) else x for x in args[0])]
    if number == 307:
        return [tuple(args[0]), args[1], args[2]]
    if number == 722:
        return [{k: tuple(v) for k, v in args[0].items()}, *args[1:]]
    if number == 252:
        return [complex(args[0])]
    if number == 124:
        return [float(args[0]), complex(args[1])]
    if number == 115:  # EvalPlus turns an empty list into {} (a dict), kept as it does
        return [[set(x) if isinstance(x, list) and x else {} for x in args[0]]]
    if number in _ALL_TUPLES:
        return list(_deep_tuple(args))
    return args


def convert_inputs(task_id: str, inputs: list[Any]) -> list[Any]:
    number = int(task_id.split("/")[-1])
    return [_convert_one(number, list(args)) for args in inputs]


_SET_EQ = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
           "larg_nnum", "intersection_array", "find_dissimilar", "Diff"}  # fmt: skip
_NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})
_HELPERS = {
    "surface_Area": (
        "_surface_Area",
        "def _surface_Area(base_edge, height):\n"
        "    import math\n"
        "    slant = math.sqrt((base_edge / 2) ** 2 + height**2)\n"
        "    return round(base_edge**2 + 4 * (base_edge * slant) / 2)",
    ),
    "digit_distance_nums": (
        "_digit_distance_nums",
        "def _digit_distance_nums(num1, num2):\n"
        "    a, b = str(num1), str(num2)\n"
        "    width = max(len(a), len(b))\n"
        "    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(width), b.zfill(width)))",
    ),
}


def _oracle(entry_point: str) -> tuple[evalplus.Oracle | None, str]:
    """EvalPlus's special comparison for a task, and the setup code it needs."""
    if entry_point in _SET_EQ:
        return evalplus.set_equal_oracle, ""
    if entry_point in _NOT_NONE:
        return evalplus.not_none_oracle, ""
    if entry_point == "are_equivalent":
        return evalplus.any_output_oracle, ""
    if entry_point == "sum_div":
        return evalplus.equal_or_zero_oracle, ""
    if entry_point in _HELPERS:
        name, source = _HELPERS[entry_point]
        return evalplus.helper_oracle(name), source
    return None, ""


def _plus_statement(prompt: str) -> str:
    """MBPP+'s prompt is a docstring: the text, then one example assert."""
    body = prompt.strip().strip('"').strip()
    lines = [line for line in body.splitlines() if not line.strip().startswith("assert ")]
    return "\n".join(lines).strip() or body


def load_plus(
    split: str, data: Path | None, cache_dir: Path | None, isolation: str = "full"
) -> list[Problem]:
    if data is not None:
        path = resolve_data(data, (PLUS_FILE,))
        tasks = evalplus.read_tasks(path, convert_inputs)
        key = evalplus.data_hash(path.read_bytes())
    else:
        rows = _io.load_hub(PLUS_HUB_ID, name=None, split="test", revision=PLUS_HUB_REVISION)
        rows = [{**r, "task_id": f"Mbpp/{r['task_id']}"} for r in rows]
        tasks = evalplus.tasks_from_rows(rows, PLUS_HUB_ID, convert_inputs)
        key = evalplus.data_hash(f"{PLUS_HUB_ID}@{PLUS_HUB_REVISION}".encode())
    wanted = [t for t in tasks if split == "all" or split_of(_number(t.task_id)) == split]
    outputs = evalplus.expected_outputs(
        wanted,
        data_key=f"mbpp-{key}",
        cache_dir=cache_dir,
        not_none_entry_points=_NOT_NONE,
        isolation=isolation,
    )
    problems = []
    for task in wanted:
        oracle, setup = _oracle(task.entry_point)
        tests = evalplus.build_tests(task, outputs[task.task_id], oracle)
        left = evalplus.left_out(task, outputs[task.task_id])
        tests = [t.model_copy(update={"public": i == 0}) for i, t in enumerate(tests)]
        problems.append(
            Problem(
                id=make_id(BENCHMARK, str(_number(task.task_id))),
                benchmark=BENCHMARK,
                native_id=str(_number(task.task_id)),
                statement=_plus_statement(task.prompt),
                prompt=task.prompt,
                entry_point=task.entry_point,
                references=[task.reference],
                tests=tests,
                test_setup=setup,
                metadata=ProblemMetadata(
                    split=split_of(_number(task.task_id)),
                    extra={
                        "variant": "plus", "evalplus_id": task.task_id, "atol": task.atol,
                        **evalplus.left_out_note(left),
                    },
                ),
            )
        )
    return problems


def _number(task_id: str) -> int:
    tail = task_id.rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise DataError(f"MBPP+ task id {task_id!r} does not end in a number")
    return int(tail)


def load_mbpp(options: LoadOptions) -> list[Problem]:
    variant = options.variant or "base"
    if variant not in ("base", "plus"):
        raise UnknownNameError("mbpp variant", variant, ["base", "plus"])
    cache = options.extra.get("cache_dir")
    if variant == "plus":
        split = options.split or "all"
        if split not in PLUS_SPLITS:
            raise UnknownNameError("mbpp+ split", split, PLUS_SPLITS)
        isolation = options.extra.get("isolation", "full")
        return load_plus(split, options.data, Path(cache) if cache else None, isolation)
    split = options.split or "test"
    if split not in SPLITS:
        raise UnknownNameError("mbpp split", split, SPLITS)
    challenge = _io.flag_option(options.extra, "challenge", BENCHMARK)
    return load_original(split, options.data, options.extra.get("prompt", "tests"), challenge)


INFO = BenchmarkInfo(
    name=BENCHMARK,
    description="MBPP: 974 basic Python problems (sanitized: 427, 257 in test); "
    "variant plus = MBPP+ (378 tasks, EvalPlus tests)",
    loader=load_mbpp,
    splits=SPLITS,
    default_split="test",
    source=f"hub {HUB_ID} or --data mbpp.jsonl / sanitized-mbpp.json; MBPP+: hub "
    f"{PLUS_HUB_ID} or --data MbppPlus.jsonl.gz",
)
