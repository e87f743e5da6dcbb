"""Split a HumanEval ``check(candidate)`` function into one `TestCase` per assertion, by parsing.

Each top-level statement of ``check``'s body is classified:

* an ``assert`` of the form ``candidate(<literals>) == <literal>`` (either side), or
  ``abs(candidate(<literals>) - <literal>) < tol`` becomes a CALL test (with ``atol`` for
  the second form); literals are read with :func:`ast.literal_eval`;
* any other statement that contains an ``assert`` (a loop, ``assert candidate(x)``, ``is``,
  ``math.fabs``, helper variables, ...) becomes an ASSERT test whose source is *every preceding
  statement that holds no assert* (imports, assignments, seeds, helper definitions) followed by
  the statement itself, so each assert test runs on its own exactly as it did inside ``check``;
* a statement without any assert is such a "context" statement and becomes no test;
* ``assert True`` (it cannot fail) is dropped.

CALL tests never need context: their arguments and expected values are literals.
If ``check`` names its parameter something other than ``candidate``, the ASSERT sources start
with ``<name> = candidate``. Module-level code of the test string other than ``check`` and
``METADATA`` goes to the problem's ``test_setup``; so do top-level helpers of the *prompt*
(other than the entry point) that ``check`` uses (HumanEval/32's ``poly``, /38's
``encode_cyclic``), together with the prompt's imports, because the original harness ran
``check`` in the same module as the prompt.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from typing import Any

from perfcodegen.errors import DataError
from perfcodegen.vocabulary import TestCase

CANDIDATE = "candidate"


@dataclass(frozen=True)
class CheckSplit:
    tests: list[TestCase]
    setup: str
    """Module-level test code (imports, helpers) the assert tests need; may be empty."""


def literal(node: ast.expr) -> tuple[bool, Any]:
    """(True, value) when ``node`` is a Python literal (tuples, negatives, nested containers)."""
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def literal_call_args(node: ast.expr, callee: str) -> list[Any] | None:
    """Arguments of ``callee(<literals>)`` (positional only), or None for any other expression."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id != callee or node.keywords:
        return None
    values = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            return None
        ok, value = literal(arg)
        if not ok:
            return None
        values.append(value)
    return values


def call_test_from_assert(stmt: ast.Assert, callee: str) -> TestCase | None:
    """A CALL test when ``stmt`` is exactly an equality (or abs-tolerance) check of one call."""
    test = stmt.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq):
        for call_side, value_side in ((left, right), (right, left)):
            args = literal_call_args(call_side, callee)
            ok, expected = literal(value_side)
            if args is not None and ok:
                return TestCase.call(args, expected)
        return None
    if isinstance(op, (ast.Lt, ast.LtE)):
        return _abs_tolerance_test(left, right, callee)
    return None


def _abs_tolerance_test(left: ast.expr, right: ast.expr, callee: str) -> TestCase | None:
    """``abs(callee(<literals>) - <number>) < <tol>`` (either order inside abs)."""
    ok, tol = literal(right)
    if not ok or isinstance(tol, bool) or not isinstance(tol, (int, float)) or tol <= 0:
        return None
    if not (isinstance(left, ast.Call) and isinstance(left.func, ast.Name)):
        return None
    if left.func.id != "abs" or len(left.args) != 1 or left.keywords:
        return None
    diff = left.args[0]
    if not (isinstance(diff, ast.BinOp) and isinstance(diff.op, ast.Sub)):
        return None
    for call_side, value_side in ((diff.left, diff.right), (diff.right, diff.left)):
        args = literal_call_args(call_side, callee)
        ok, expected = literal(value_side)
        numeric = isinstance(expected, (int, float)) and not isinstance(expected, bool)
        if args is not None and ok and numeric:
            return TestCase.call(args, expected, atol=float(tol))
    return None


def contains_assert(stmt: ast.stmt) -> bool:
    return any(isinstance(node, ast.Assert) for node in ast.walk(stmt))


def is_trivial_assert(stmt: ast.stmt) -> bool:
    """``assert True`` / ``assert 1``: cannot fail, so it is no test."""
    if not isinstance(stmt, ast.Assert):
        return False
    ok, value = literal(stmt.test)
    return ok and bool(value)


def source_of(source: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(source, node, padded=True)
    text = segment if segment is not None else ast.unparse(node)
    return textwrap.dedent(text).strip("\n")


def _find_check(module: ast.Module) -> ast.FunctionDef:
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            return node
    raise DataError("the test code has no `def check(candidate)` function")


def _is_metadata(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "METADATA" for t in node.targets
    )


def prompt_helpers(prompt: str, entry_point: str, used: set[str]) -> list[str]:
    """Prompt imports plus the top-level definitions (not the entry point) that ``check`` uses."""
    try:
        module = ast.parse(prompt)
    except SyntaxError:
        return []
    imports = [
        source_of(prompt, node)
        for node in module.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    helpers = [
        source_of(prompt, node)
        for node in module.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        and node.name != entry_point
        and node.name in used
    ]
    return imports + helpers if helpers else []


def split_check(test_source: str, entry_point: str, prompt: str = "") -> CheckSplit:
    """Split HumanEval's test string (module with ``check``) into tests and setup code."""
    try:
        module = ast.parse(test_source)
    except SyntaxError as exc:
        raise DataError(f"the test code does not parse: {exc}") from None
    check = _find_check(module)
    if len(check.args.args) != 1:
        raise DataError("`check` should take exactly one parameter (the candidate)")
    param = check.args.args[0].arg
    context: list[str] = [] if param == CANDIDATE else [f"{param} = {CANDIDATE}"]
    tests: list[TestCase] = []
    for stmt in check.body:
        if not contains_assert(stmt):
            context.append(source_of(test_source, stmt))
            continue
        if is_trivial_assert(stmt):
            continue
        call_test = call_test_from_assert(stmt, param) if isinstance(stmt, ast.Assert) else None
        if call_test is not None:
            tests.append(call_test)
        else:
            tests.append(TestCase.assert_("\n".join([*context, source_of(test_source, stmt)])))
    module_setup = [
        source_of(test_source, node)
        for node in module.body
        if node is not check and not _is_metadata(node)
    ]
    used = {n.id for n in ast.walk(check) if isinstance(n, ast.Name)}
    setup_parts = module_setup + prompt_helpers(prompt, entry_point, used)
    return CheckSplit(tests=tests, setup="\n\n".join(setup_parts))
