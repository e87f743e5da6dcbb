"""`optimize` says what it is doing at each stage (the CLI shows it on its status line)."""

from __future__ import annotations

from pathlib import Path

from perfcodegen.optimize.loop import OptimizeOptions, optimize_sync
from perfcodegen.optimize.target import load_target
from support.scripted_server import replies

from .test_optimize_cli import LINEAR, Start, project


def test_every_stage_is_announced(tmp_path: Path, scripted_server: Start) -> None:
    folder = project(tmp_path)
    server = scripted_server(replies(LINEAR))
    options = OptimizeOptions(
        model="openai/scripted-model", base_url=server.base_url, api_key="k",
        tests=(folder / "test_slow.py",), sizes=(200, 800), repeats=3, rounds=1,
    )  # fmt: skip
    stages: list[str] = []
    result = optimize_sync(load_target(folder / "slow.py", "pair_count"), options, stages.append)
    assert result.found
    assert stages[0] == "collecting inputs (running your tests to capture calls)"
    assert stages[1].startswith("computing the original's outputs on ")
    assert stages[2:] == [
        "round 1/1: asking openai/scripted-model for a faster version",
        "round 1/1: checking and timing the candidate",
    ]
