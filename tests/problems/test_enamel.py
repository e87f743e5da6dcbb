"""The ENAMEL loader: fixture CSV (always) and the real data (when ../shared/data is present)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from perfcodegen.errors import PerfCodegenError
from perfcodegen.problems.enamel import EXCLUDED, with_enamel_generators
from perfcodegen.problems.humaneval import load_base
from perfcodegen.problems.registry import LoadOptions, load_benchmark
from perfcodegen.problems.stress import spec_of

HEADER = ["task_id", "prompt", "input_generator", "input_levels", "reference_solution", "checker", "entry_point"]  # fmt: skip


def write_csv(path: Path, indices: list[int]) -> Path:
    base = load_base(None)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for index in indices:
            p = base[index]
            body = p.references[0][len(p.prompt) :]
            writer.writerow([p.native_id, p.prompt.rstrip("\n"), "def generate_input(size, lid, cid):\n    return size,\n", "1 2 3 4", body, "", p.entry_point])  # fmt: skip
    return path


def test_fixture_rows_become_problems_with_given_tests_expert_reference_and_spec(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "enamel.csv", [0, 1, 2])  # HumanEval/2 is left out of ENAMEL's 142
    problems = load_benchmark("enamel", LoadOptions(data=path))
    assert [p.native_id for p in problems] == ["HumanEval/0", "HumanEval/1"]
    assert len(load_benchmark("enamel", LoadOptions(data=path, split="all"))) == 3
    first, humaneval_0 = problems[0], load_base(None)[0]
    assert first.id == "enamel/HumanEval/0"
    assert first.tests == humaneval_0.tests and first.test_setup == humaneval_0.test_setup
    assert (
        first.references[0].startswith(first.prompt + "\n")
        and "def has_close_elements" in first.references[0]
    )
    spec = spec_of(first)
    assert spec is not None and spec.sizes == (1, 2, 3, 4) and spec.stream == 0
    assert spec_of(problems[1]).stream == 1  # type: ignore[union-attr]


def test_humaneval_problems_borrow_generators_and_the_expert_oracle(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "enamel.csv", [0])
    base = load_base(None)[:2]
    borrowed = with_enamel_generators(base, path)
    spec = spec_of(borrowed[0])
    assert spec is not None and "has_close_elements" in spec.oracle
    assert spec_of(borrowed[1]) is None  # no ENAMEL row: unchanged


def test_bad_split_and_missing_file_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(PerfCodegenError):
        load_benchmark("enamel", LoadOptions(data=tmp_path / "none.csv"))
    with pytest.raises(PerfCodegenError):
        load_benchmark("enamel", LoadOptions(data=write_csv(tmp_path / "e.csv", [0]), split="x"))


@pytest.mark.shared_data
def test_real_enamel_data(shared_data: Path) -> None:
    problems = load_benchmark("enamel", LoadOptions(data=shared_data / "enamel" / "enamel.csv"))
    assert len(problems) == 142 and len(EXCLUDED) == 22
    assert all(p.tests and p.references and spec_of(p) for p in problems)
    assert {len(spec_of(p).sizes) for p in problems} == {4}  # type: ignore[union-attr]
