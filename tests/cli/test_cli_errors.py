"""Usage errors, help, version and markup safety of the `perfcodegen` entry point: one line,
exit 2, no traceback; every message keeps its brackets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen import __version__
from perfcodegen.cli import main


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["eval"], "Missing argument 'benchmark'"),
        (["eval", "humaneval", "--bogus"], "No such option: --bogus"),
        (["eval", "humaneval", "--repeats", "0"], "--repeats"),
        (["eval", "humaneval", "--workers", "-3"], "--workers"),
        (["run", "humaneval", "-m", "openai/x", "-k", "0"], "-k"),
        (["run", "humaneval", "-m", "openai/x", "--temperature", "-1"], "--temperature"),
        (["run", "humaneval", "-m", "openai/x", "--top-p", "2"], "--top-p"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
    ids=[
        "missing-arg",
        "unknown-option",
        "repeats-0",
        "workers-neg",
        "k-0",
        "temp-neg",
        "top-p",
        "unknown-command",
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    line = one_line_error(capsys)
    assert expected in line and "-h'" in line  # says where help is


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_flags(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([flag]) == 0
    assert "Usage: perfcodegen" in capsys.readouterr().out
    assert main(["run", flag]) == 0  # inherited by every command
    assert "--samples" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"perfcodegen {__version__}"


def test_missing_extra_keeps_its_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        import vllm  # noqa: F401

        pytest.skip("vllm is installed here; its missing-extra message cannot be shown")
    except ImportError:
        pass
    assert main(["run", "humaneval", "-m", "vllm/x", "-k", "1", "--limit", "1"]) == 2
    assert "pip install 'perfcodegen[vllm]'" in capsys.readouterr().err


def test_file_names_keep_their_brackets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = tmp_path / "samples[red].jsonl"
    samples.write_text(json.dumps({"completion": "    return 1\n"}) + "\n")
    code = main(["eval", "humaneval", "--limit", "1", "--solutions", str(samples)])
    assert code == 2
    assert "samples[red].jsonl" in one_line_error(capsys)


def test_problems_show_takes_a_native_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "show", "HumanEval/0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "humaneval/HumanEval/0"
