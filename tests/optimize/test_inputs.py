"""Inputs for optimize: targets read with ast, doctest and hypothesis inputs, sized inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfcodegen.errors import PerfCodegenError
from perfcodegen.optimize.inputs import (
    captured_inputs,
    doctest_inputs,
    generated_inputs,
    hypothesis_inputs,
    hypothesis_strategy,
    sized_inputs,
)
from perfcodegen.optimize.target import function_from_program, load_target, parse_spec

MODULE = '''import math

LIMIT = 3


@staticmethod
def unrelated(x):
    return x


def scale(values: list[float], factor: int | None, names: dict[str, tuple[int, ...]]) -> list[float]:
    """Scale values.

    >>> scale([1.0, 2.0], 2, {})
    [2.0, 4.0]
    >>> print("not a call of scale")
    not a call of scale
    """
    return [v * (factor or 1) for v in values]


def count_to(n: int) -> int:
    return sum(range(n))
'''


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "mod.py"
    path.write_text(MODULE)
    return path


def test_target_and_splicing(module: Path) -> None:
    assert parse_spec(f"{module}::scale") == (module, "scale")
    with pytest.raises(PerfCodegenError):
        parse_spec("mod.py")
    target = load_target(module, "scale")
    assert target.annotations == ("list[float]", "int | None", "dict[str, tuple[int, ...]]")
    new = target.with_function("def scale(values, factor, names):\n    return values\n")
    assert "import math" in new and "def count_to" in new and "v * (factor or 1)" not in new
    reply = "import math\nimport itertools\n\nLIMIT = 3\n\ndef helper():\n    return 1\n\ndef scale(a, b, c):\n    return helper()\n"
    extracted = function_from_program(reply, "scale", target.source)
    assert extracted is not None
    assert "import itertools" in extracted and "def helper" in extracted
    assert "import math" not in extracted and "LIMIT" not in extracted  # the module has them


def test_doctest_and_hypothesis_inputs_are_deterministic(module: Path) -> None:
    target = load_target(module, "scale")
    assert doctest_inputs(target) == [[[1.0, 2.0], 2, {}]]
    first = hypothesis_inputs(target)
    assert len(first) > 10 and first == hypothesis_inputs(target)
    assert any(args[1] is None for args in first) and any(args[2] for args in first)
    assert hypothesis_strategy("MyClass") is None and hypothesis_strategy(None) is None


def test_sized_inputs(module: Path) -> None:
    scale = load_target(module, "scale")
    inputs = sized_inputs(scale, [5, 50], like=[[1.0], 3, {"a": (1,)}])
    assert [len(i[0]) for i in inputs] == [5, 50] and inputs[0][1] == 3
    assert sized_inputs(scale, [5], like=None) == []  # factor has no captured value
    assert sized_inputs(load_target(module, "count_to"), [10, 20], like=None) == [[10], [20]]


def test_captured_and_generated_inputs_run_the_users_code(module: Path, tmp_path: Path) -> None:
    tests = tmp_path / "test_mod.py"
    tests.write_text(
        "from mod import count_to\n\ndef test_it():\n    assert count_to(4) == 6\n    assert count_to(0) == 0\n"
    )
    assert captured_inputs(load_target(module, "count_to"), [tests]) == [[4], [0]]
    failing = tmp_path / "test_bad.py"
    failing.write_text("from mod import count_to\n\ndef test_it():\n    assert count_to(4) == 7\n")
    with pytest.raises(PerfCodegenError, match="tests fail with the original"):
        captured_inputs(load_target(module, "count_to"), [failing])
    generator = tmp_path / "gen.py"
    generator.write_text("def make(size):\n    return list(range(size)), size\n")
    assert generated_inputs(f"{generator}::make", [2, 3]) == [[[0, 1], 2], [[0, 1, 2], 3]]
