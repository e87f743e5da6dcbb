"""The fork server stays lean: every run's fork copies its memory (docs/judge.md, costs)."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from perfcodegen.judge.client import lean_command
from perfcodegen.judge.sandbox import private_dir, read_proc_file

HEAVY = ("dataclasses", "inspect", "pathlib", "tempfile", "hashlib", "shutil", "pydantic")


def test_the_fork_server_imports_no_heavy_module() -> None:
    python, _, bootstrap, root, _ = lean_command("unused")
    script = bootstrap.split("module, function =")[0] + (
        "import perfcodegen.judge.forkserver\nprint(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([python, "-c", script, root], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "perfcodegen.judge.forkserver" in loaded
    assert {"heapq", "bisect", "re", "typing"} <= loaded  # what candidates use: pre-imported
    assert not loaded & set(HEAVY)


def test_private_dir_skips_a_tmpdir_that_does_not_exist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    monkeypatch.setenv("TMPDIR", os.path.join(tmp_path, "missing"))
    first, second = private_dir("pcg-test-"), private_dir("pcg-test-")
    try:
        assert first != second
        assert os.path.dirname(first) == "/tmp"
        assert stat.S_IMODE(os.stat(first).st_mode) == 0o700
    finally:
        os.rmdir(first)
        os.rmdir(second)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    made = private_dir("pcg-test-")
    assert os.path.dirname(made) == str(tmp_path)


def test_read_proc_file_reads_the_whole_file() -> None:
    text = read_proc_file("/proc/self/status")
    assert text.startswith(b"Name:") and b"\nPid:" in text
    with pytest.raises(FileNotFoundError):
        read_proc_file("/proc/self/no-such-file")
