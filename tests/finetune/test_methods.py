"""ft-exec and ft-trajectory: the conditioned formats' prompts at evaluation (loopback model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.cli import main
from support.scripted_server import ScriptedServer

SUM_SLOW = "n = int(input())\nxs = list(map(int, input().split()))\ntotal = 0\nfor i in range(n):\n    total = total + xs[i]\nprint(total)\n"
ANSWER = "```python\ninput()\nprint(sum(map(int, input().split())))\n```"


def run_prompts(method: str, data: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    with ScriptedServer(lambda request: ANSWER) as server:
        args = [
            "run", "ecco", "--data", str(data), "--paradigm", "edit", "--method", method,
            "--problems", "edit/p00001/0", "-k", "1", "--repeats", "1", "--no-cache",
            "--model", "openai/scripted-model", "--base-url", server.base_url, "--api-key", "x",
            "--out", str(out), "--json",
        ]
        assert main(args) == 0
        prompts = [r.messages[-1]["content"] for r in server.chat_requests]
    summary = json.loads(capsys.readouterr().out)
    assert summary
    return prompts


def test_ft_exec_prompt_carries_the_input_programs_public_test_results(
    ecco_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [prompt] = run_prompts("ft-exec", ecco_data, tmp_path / "run", capsys)
    feedback, _, edit = prompt.partition("\n\nOptimize the python program below")
    assert feedback.startswith(
        "Execution results of the program below on the public tests:\n"
        "Your solution was functionally CORRECT\n"
    )
    assert feedback.count("Correct: PASSED") == 2  # p00001 has two public tests
    assert f"### Program:\n{SUM_SLOW.rstrip()}\n### Optimized" in edit


def test_ft_trajectory_prompt_is_fig_14_with_the_input_program(
    ecco_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [prompt] = run_prompts("ft-trajectory", ecco_data, tmp_path / "run", capsys)
    assert prompt == f"##1 iteration program:\n{SUM_SLOW.rstrip()}\n### Final iteration program:"
