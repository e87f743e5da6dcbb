"""Hypothesis inputs stay in the function's domain: the range its doctests and captured
calls show, or the user's `--domain`."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.errors import PerfCodegenError
from perfcodegen.optimize.inputs import (
    captured_inputs,
    doctest_inputs,
    hypothesis_inputs,
    parse_domain,
)
from perfcodegen.optimize.target import load_target

FIB = '''def fib(n: int, scale: float) -> float:
    """The n-th Fibonacci number, scaled.

    >>> fib(10, 1.0)
    89.0
    """
    return scale if n < 2 else fib(n - 1, scale) + fib(n - 2, scale)
'''
TESTS = "from fib import fib\n\ndef test_fib():\n    assert fib(12, 0.5) == 116.5\n"


@pytest.fixture
def fib(tmp_path: Path) -> Path:
    (tmp_path / "fib.py").write_text(FIB)
    (tmp_path / "test_fib.py").write_text(TESTS)
    return tmp_path / "fib.py"


def test_hypothesis_keeps_to_the_range_the_calls_show(fib: Path) -> None:
    target = load_target(fib, "fib")
    seen = [*captured_inputs(target, [fib.parent / "test_fib.py"]), *doctest_inputs(target)]
    assert sorted(seen) == [[10, 1.0], [12, 0.5]]
    unbounded = hypothesis_inputs(target)
    assert min(n for n, _ in unbounded) < 0  # what hypothesis tries without a domain: fib(-29)
    drawn = hypothesis_inputs(target, seen=seen)
    assert drawn and all(0 <= n <= 24 and 0 <= scale <= 2.0 for n, scale in drawn)


def test_the_users_domain_wins(fib: Path) -> None:
    target = load_target(fib, "fib")
    drawn = hypothesis_inputs(target, seen=[[10, 1.0]], domains=[parse_domain("n=1..5")])
    assert drawn and {n for n, _ in drawn} <= {1, 2, 3, 4, 5}
    with pytest.raises(PerfCodegenError, match="has no parameter 'm'"):
        hypothesis_inputs(target, domains=[("m", (0.0, 1.0))])


@pytest.mark.parametrize("text", ["n", "n=1-5", "n=5..1", "=0..1"])
def test_a_bad_domain_is_one_line(fib: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["optimize", f"{fib}::fib", "--model", "openai/none", "--domain", text]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--domain" in err
