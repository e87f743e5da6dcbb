"""`optimize --apply` keeps what the faster version dropped: the function's docstring (its
doctests too) and its return annotation."""

from __future__ import annotations

from pathlib import Path

from perfcodegen.optimize.target import keep_documentation
from support.scripted_server import replies

from .test_optimize_cli import Start, project, run_optimize

BARE_LINEAR = """```python
def pair_count(xs, target):
    seen = {}
    count = 0
    for x in xs:
        count += seen.get(target - x, 0) * SCALE
        seen[x] = seen.get(x, 0) + 1
    return count
```"""


def test_apply_keeps_the_docstring_doctest_and_return_annotation(
    tmp_path: Path, scripted_server: Start
) -> None:
    folder = project(tmp_path)
    server = scripted_server(replies(BARE_LINEAR))
    assert run_optimize(folder, server, "--apply") == 0
    applied = (folder / "slow.py").read_text()
    assert "def pair_count(xs, target) -> int:\n" in applied
    assert '    """How many pairs i < j have xs[i] + xs[j] == target.\n' in applied
    assert "    >>> pair_count([1, 2, 3, 4], 5)\n    2\n" in applied
    assert "seen.get(target - x, 0)" in applied


def test_a_header_over_several_lines_gets_the_annotation_before_its_colon() -> None:
    original = 'def f(a: int, b: int) -> list[int]:\n    """Doc."""\n    return [a, b]\n'
    new = "def f(\n    a,\n    b,\n):  # fast\n    return [a, b]\n"
    kept = keep_documentation(original, new, "f")
    assert kept == 'def f(\n    a,\n    b,\n) -> list[int]:  # fast\n    """Doc."""\n    return [a, b]\n'
    assert keep_documentation(original, original, "f") == original  # nothing dropped
    assert keep_documentation(original, "def f(a, b): return [a, b]\n", "f") == (
        "def f(a, b) -> list[int]: return [a, b]\n"  # no room for a docstring on the def line
    )
