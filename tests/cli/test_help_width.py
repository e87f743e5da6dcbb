"""Help and listings read at 80 columns: option names never truncate, words never split."""

from __future__ import annotations

import re

import pytest

from perfcodegen.cli import _register_commands, main
from perfcodegen.cli._app import app


def _option_names(command: str) -> list[str]:
    import typer.main

    _register_commands()
    group = typer.main.get_command(app)
    click_command = group.commands[command]  # type: ignore[attr-defined]
    return [name for param in click_command.params for name in param.opts if name.startswith("--")]


@pytest.mark.parametrize("command", ["run", "eval", "report", "compare", "export", "optimize"])
def test_help_shows_every_option_name_whole_at_80_columns(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    shown = set(re.findall(r"--[a-z0-9][a-z0-9-]*", out))
    missing = [name for name in _option_names(command) if name not in shown]
    assert not missing, f"{command} --help lacks {missing}"


def test_benchmarks_listing_keeps_words_whole_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from perfcodegen.problems.registry import benchmarks

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["benchmarks", "--no-count"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    words = set(out.split())
    for info in benchmarks():
        assert info.name in words
        for word in f"{info.description} {info.source}".split():
            assert word in words, f"{info.name}: {word!r} is split or missing"
