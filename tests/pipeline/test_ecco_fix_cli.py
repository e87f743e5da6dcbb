"""`perfcodegen run --ecco-fix`: only almost-correct input programs are edited (ECCO Table 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.store import RunStore
from support.scripted_server import ScriptedServer

FIXED = "```python\nn = int(input())\nprint(n * (n + 1) // 2)\n```"
CORRECT_INPUT = "n = int(input())\nprint(sum(range(n + 1)))\n"
ALMOST_CORRECT_INPUT = "n = int(input())\nprint(sum(range(n + 1)) if n < 100 else 0)\n"


def write_problems(path: Path, inputs: dict[str, str]) -> None:
    rows = [
        {
            "id": name,
            "statement": "Print 0 + 1 + ... + n for the integer n on standard input.",
            "stdio": True,
            "input_program": program,
            "tests": [
                {"stdin": "3\n", "stdout": "6\n", "public": True},
                {"stdin": "1000\n", "stdout": "500500\n"},
            ],
        }
        for name, program in inputs.items()
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def run_args(data: Path, out: Path, url: str) -> list[str]:
    return [
        "run", "custom", "--data", str(data), "--paradigm", "edit", "--method", "instruct",
        "--ecco-fix", "-k", "1", "--model", "openai/scripted-model", "--base-url", url,
        "--api-key", "x", "--no-cache", "--repeats", "3", "--out", str(out), "--json",
    ]


def test_only_almost_correct_inputs_are_edited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "problems.jsonl"
    write_problems(data, {"correct": CORRECT_INPUT, "almost": ALMOST_CORRECT_INPUT})
    with ScriptedServer(lambda request: FIXED) as server:
        assert main(run_args(data, tmp_path / "run", server.base_url)) == 0
        prompts = [r.messages[-1]["content"] for r in server.chat_requests]
    assert len(prompts) == 1 and "if n < 100 else 0" in prompts[0]
    with RunStore(tmp_path / "run") as store:
        assert [p.problem_id for p in store.problems()] == ["custom/almost"]
    capsys.readouterr()


def test_no_almost_correct_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "problems.jsonl"
    write_problems(data, {"correct": CORRECT_INPUT})
    with ScriptedServer(lambda request: FIXED) as server:
        assert main(run_args(data, tmp_path / "run", server.base_url)) == 2
        assert server.chat_requests == []
    assert "almost-correct input program" in capsys.readouterr().err
