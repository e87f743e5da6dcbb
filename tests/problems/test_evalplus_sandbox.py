"""Expected values of EvalPlus inputs are computed in the judge's sandbox, not a bare child."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from perfcodegen.errors import DataError
from perfcodegen.problems.registry import LoadOptions, load_benchmark


def _task(body: str) -> dict[str, object]:
    return {
        "task_id": "HumanEval/901",
        "prompt": "def probe(path):\n",
        "entry_point": "probe",
        "canonical_solution": body,
        "base_input": [[str(Path(__file__).resolve())], ["/"]],
        "plus_input": [],
        "atol": 0,
        "test": "def check(candidate):\n    pass\n",
    }


def _load(tmp_path: Path, task: dict[str, object], isolation: str) -> list[object]:
    data = tmp_path / "HumanEvalPlus.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(task) + "\n")
    extra = {"cache_dir": str(tmp_path / f"cache-{isolation}"), "isolation": isolation}
    (problem,) = load_benchmark("humaneval", LoadOptions(variant="base-inputs", data=data, extra=extra))
    return [t.expected for t in problem.tests]


def test_the_reference_sees_the_sandbox_view_not_the_project(tmp_path: Path) -> None:
    exists = "    import os\n    return os.path.exists(path)\n"
    # This test file exists on the host; the sandbox's filesystem view does not show it.
    assert Path(__file__).exists()
    assert _load(tmp_path, _task(exists), "full") == [False, True]


def test_run_limits_apply(tmp_path: Path) -> None:
    hog = "    return len(bytearray(8 * 1024 ** 3))\n"  # 8 GB: above the sandbox's memory limit
    with pytest.raises(DataError, match="the canonical solution failed: MemoryError"):
        _load(tmp_path, _task(hog), "full")


def test_unknown_isolation_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="isolation must be one of full, partial, none"):
        _load(tmp_path, _task("    return 1\n"), "strict")
