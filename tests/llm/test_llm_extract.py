"""Code extraction from model replies: hand-made cases, then real replies from ../shared/data."""

from __future__ import annotations

import ast
import json

import pytest

from perfcodegen.llm.extract import extract_code
from perfcodegen.problems._io import shared_data_dir

PROMPT = '''from typing import List


def running_max(numbers: List[int]) -> List[int]:
    """ Running maximum of a list.
    >>> running_max([1, 3, 2])
    [1, 3, 3]
    """
'''
SOLUTION = """def running_max(numbers: List[int]) -> List[int]:
    best, out = None, []
    for n in numbers:
        best = n if best is None else max(best, n)
        out.append(best)
    return out
"""


def run(code: str | None, call: str) -> object:
    assert code is not None
    namespace: dict[str, object] = {}
    exec(compile(code, "<test>", "exec"), namespace)
    return eval(call, namespace)


def extract(reply: str, prompt: str | None = PROMPT, entry: str | None = "running_max") -> str:
    result = extract_code(reply, prompt=prompt, entry_point=entry)
    assert result.ok, result.reason
    assert result.code is not None and result.reason is None
    return result.code


def test_fenced_block_inside_prose_gets_the_prompt_imports() -> None:
    reply = f"Sure! Here is my solution:\n\n```python\n{SOLUTION}```\n\nIt runs in O(n)."
    code = extract(reply)
    assert code.startswith("from typing import List\n")
    assert run(code, "running_max([1, 3, 2, 5])") == [1, 3, 3, 5]
    assert "Sure" not in code and "O(n)" not in code


@pytest.mark.parametrize("tag", ["python", "py", "Python3", ""])
def test_language_tags(tag: str) -> None:
    code = extract(f"```{tag}\n{SOLUTION}```")
    assert run(code, "running_max([2, 1])") == [2, 2]


def test_block_defining_the_entry_point_wins_over_examples_and_output() -> None:
    reply = (
        "First a helper idea:\n```python\ndef unrelated(x):\n    return x\n```\n"
        f"The solution:\n```python\n{SOLUTION}```\n"
        "Usage:\n```python\nprint(running_max([1, 2]))\n```\n"
        "Output:\n```\n[1, 2]\n```\n"
    )
    code = extract(reply)
    assert "def unrelated" not in code and "print(" not in code
    assert run(code, "running_max([1, 2])") == [1, 2]


def test_last_definition_wins_when_the_reply_revises_itself() -> None:
    draft = "def running_max(numbers):\n    return numbers\n"
    reply = f"Draft:\n```python\n{draft}```\nFixed:\n```python\n{SOLUTION}```"
    assert run(extract(reply), "running_max([3, 1])") == [3, 3]


def test_helpers_from_other_blocks_and_their_imports_are_merged() -> None:
    reply = (
        "```python\nimport math\n\ndef biggest(a, b):\n    return math.floor(max(a, b))\n```\n"
        "```python\ndef running_max(numbers):\n    out = []\n    for n in numbers:\n"
        "        out.append(n if not out else biggest(out[-1], n))\n    return out\n```\n"
    )
    code = extract(reply)
    assert code.index("import math") < code.index("def biggest") < code.index("def running_max")
    assert run(code, "running_max([1, 4, 2])") == [1, 4, 4]


def test_helpers_defined_in_the_prompt_are_added() -> None:
    prompt = (
        "def is_even(n: int) -> bool:\n    return n % 2 == 0\n\n\n"
        'def count_even(xs: list) -> int:\n    """Count the even numbers."""\n'
    )
    code = extract(
        "```python\ndef count_even(xs):\n    return sum(1 for x in xs if is_even(x))\n```",
        prompt=prompt,
        entry="count_even",
    )
    assert run(code, "count_even([1, 2, 4])") == 2


def test_human_eval_body_is_completed_with_the_prompt() -> None:
    body = "    out = []\n    for n in numbers:\n        out.append(max(out[-1], n) if out else n)\n    return out\n"
    code = extract(body)
    assert code.startswith(PROMPT)
    assert run(code, "running_max([5, 1, 7])") == [5, 5, 7]


def test_body_that_repeats_the_docstring_and_ends_with_junk() -> None:
    body = '""" Running maximum of a list.\n    """\n    return [max(numbers[: i + 1]) for i in range(len(numbers))]\n\nEND CODE'
    code = extract(body)
    assert "END CODE" not in code
    assert run(code, "running_max([2, 9, 1])") == [2, 9, 9]


def test_truncated_body_followed_by_top_level_tests() -> None:
    body = "    return [max(numbers[: i + 1]) for i in range(len(numbers))]\n\n\nassert running_max([1]) == [1]\nassert running_max([1, 2"
    code = extract(body)
    assert "assert" not in code
    assert run(code, "running_max([1, 0])") == [1, 1]


def test_unfenced_reply_with_prose_around_the_code() -> None:
    reply = f"Here is the implementation you asked for:\n\n{SOLUTION}\nThis keeps the best value seen so far."
    code = extract(reply)
    assert "Here is" not in code and "This keeps" not in code
    assert run(code, "running_max([0, -1])") == [0, 0]


def test_top_level_test_code_is_removed_but_constants_stay() -> None:
    reply = (
        "```python\nLIMIT = 10\n\ndef running_max(numbers):\n"
        "    return [min(LIMIT, max(numbers[: i + 1])) for i in range(len(numbers))]\n\n"
        "result = running_max([1, 20])\nprint(result)\nassert running_max([]) == []\n"
        "for case in ([1], [2]):\n    print(running_max(case))\n"
        "if __name__ == '__main__':\n    print(running_max([input()]))\n```"
    )
    code = extract(reply)
    tree = ast.parse(code)
    kinds = [type(node).__name__ for node in tree.body]
    assert kinds == ["Assign", "FunctionDef"]
    assert run(code, "running_max([1, 20])") == [1, 10]


def test_unterminated_fence_and_indented_fences() -> None:
    truncated = f"Answer:\n```python\n{SOLUTION}"
    assert run(extract(truncated), "running_max([1])") == [1]
    nested = (
        "1. Solution:\n   ```python\n"
        + "".join(f"   {line}\n" for line in SOLUTION.splitlines())
        + "   ```\n"
    )
    assert run(extract(nested), "running_max([4, 2])") == [4, 4]


def test_missing_closing_fence_does_not_swallow_the_next_block() -> None:
    reply = (
        "Example:\n```python\ndef other(x):\n    return x\n\n"
        f"## Final code\n```python\n{SOLUTION}```\n"
    )
    assert "def other" not in extract(reply)


def test_non_python_blocks_are_ignored() -> None:
    reply = f"```bash\npip install nothing\n```\n```python\n{SOLUTION}```\n```text\n[1]\n```"
    assert "pip" not in extract(reply)


def test_thinking_is_skipped() -> None:
    reply = f"<think>Maybe ```python\ndef running_max(n): return 0\n``` no.</think>\n```python\n{SOLUTION}```"
    assert run(extract(reply), "running_max([1, 2])") == [1, 2]


def test_stdin_programs_keep_their_top_level_code() -> None:
    reply = "Read and print:\n```python\nimport sys\nn = int(sys.stdin.readline())\nprint(n * 2)\n```\nInput:\n```\n3\n```"
    code = extract(reply, prompt=None, entry=None)
    assert code == "import sys\nn = int(sys.stdin.readline())\nprint(n * 2)\n"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty reply"),
        ("   \n", "empty reply"),
        ("I cannot help with that request, sorry.", "no Python code"),
        ("```python\ndef something_else(x):\n    return x\n```", "defines 'running_max'"),
        ("```python\ndef running_max(numbers:\n```", "no Python code"),
    ],
)
def test_replies_without_usable_code_are_recorded_failures(reply: str, reason: str) -> None:
    result = extract_code(reply, prompt=PROMPT, entry_point="running_max")
    assert not result.ok and result.code is None
    assert result.reason is not None and reason in result.reason


def _entry_function(source: str | None, entry_point: str) -> str | None:
    """The entry point's body (docstring dropped), as an AST dump: compares what runs."""
    if source is None:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            return ast.dump(ast.Module(body=body, type_ignores=[]))
    return None


@pytest.mark.skipif(shared_data_dir() is None, reason="../shared/data is absent")
def test_real_mapcoder_replies_match_their_extracted_programs() -> None:
    data = shared_data_dir()
    assert data is not None
    files = sorted((data / "llm_samples" / "mapcoder").glob("*/HumanEval/*.jsonl"))
    files += sorted((data / "llm_samples" / "mapcoder").glob("*/MBPP/*.jsonl"))
    compared, disagreements = 0, []
    for path in files:
        for line in path.read_text().splitlines()[::3]:  # a third keeps the test quick
            row = json.loads(line)
            if not row.get("responses"):
                continue  # Reflexion/simple files keep only the solution
            entry = row["entry_point"]
            expected = _entry_function(row["source_codes"][-1], entry)
            if expected is None:
                continue  # MapCoder's own extraction found no such function
            result = extract_code(row["responses"][-1], prompt=row["prompt"], entry_point=entry)
            compared += 1
            if _entry_function(result.code, entry) != expected:
                disagreements.append(f"{path.name}:{row['task_id']}")
    assert compared > 1000
    assert len(disagreements) <= compared // 500, disagreements[:10]
