"""ECCO in the hub dataset's real shape: parquet files, save_to_disk folders, codenet/ tests.

Loaded three ways: through `datasets` (``--option hub=PATH``, the code path of the real hub),
and offline through ``--data`` on the parquet files and on a save_to_disk copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.config import RunConfig
from perfcodegen.errors import DataError
from perfcodegen.methods.ecco_examples import load_examples
from perfcodegen.problems import Problem
from perfcodegen.problems.registry import LoadOptions, load_benchmark
from support.ecco_hub import SPECTRA, build_ecco_hub

pytest.importorskip("datasets", reason="the hub layout needs the `hub` extra (datasets, pyarrow)")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_ecco_hub(tmp_path_factory.mktemp("ecco-hub"))


def _load(**kw: object) -> dict[str, Problem]:
    return {p.id: p for p in load_benchmark("ecco", LoadOptions(**kw))}  # type: ignore[arg-type]


def _check_edit(problems: dict[str, Problem]) -> None:
    assert list(problems) == [
        "ecco/edit/p00001/0",
        "ecco/edit/p00002/0",
        "ecco/edit/p00001/1",
        "ecco/edit/p00003/0",
    ]
    first = problems["ecco/edit/p00001/0"]
    assert first.input_program is not None and first.input_program.startswith("n = int(input())")
    assert first.references == ["input()\nprint(sum(map(int, input().split())))\n"]
    # codenet/public_test_cases then codenet/generated_test_cases, N in numeric order.
    assert [t.name for t in first.tests] == [
        "public/0", "public/1", "generated/2", "generated/9", "generated/10",
    ]
    # The generate config of the same copy gives the NL statement.
    assert first.statement == "Given n and n integers, print their sum."


def _check_generate(problems: dict[str, Problem]) -> None:
    summing = problems["ecco/generate/p00001"]
    runtimes, memories = SPECTRA["p00001"]
    assert summing.metadata.extra["spectrum"] == {"runtimes": runtimes, "memories": memories}
    # No fastest_code on the hub: no reference, and nothing that could replace the spectrum.
    assert summing.references == []
    assert "spectrum_references" not in summing.metadata.extra


def test_data_reads_the_hub_parquet_files(hub: Path) -> None:
    _check_edit(_load(data=hub))
    _check_generate(_load(data=hub, variant="generate"))
    assert len(_load(data=hub, split="train", extra={"tests": "skip"})) == 4


def test_datasets_reads_the_same_copy(hub: Path) -> None:
    extra = {"hub": str(hub), "tests_dir": str(hub)}
    problems = _load(extra=extra)
    assert [p.native_id for p in problems.values()] == [
        "edit/p00001/0", "edit/p00002/0", "edit/p00001/1", "edit/p00003/0",
    ]
    assert problems["ecco/edit/p00001/0"].references == [
        "input()\nprint(sum(map(int, input().split())))\n"
    ]
    _check_generate(_load(extra=extra, variant="generate"))


def test_data_reads_a_save_to_disk_copy(hub: Path, tmp_path: Path) -> None:
    import datasets

    for config in ("edit", "generate"):
        datasets.load_dataset(str(hub), config).save_to_disk(str(tmp_path / config))
    problems = _load(data=tmp_path, extra={"tests_dir": str(hub)})
    assert len(problems) == 4
    assert problems["ecco/edit/p00003/0"].references == ["print(input()[::-1])\n"]
    assert len(problems["ecco/edit/p00003/0"].tests) == 3


def test_problems_cli_on_the_hub_copy(hub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "list", "ecco", "--data", str(hub), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows][:2] == ["ecco/edit/p00001/0", "ecco/edit/p00002/0"]
    assert rows[0]["tests"] == 5 and rows[0]["public_tests"] == 2


def test_missing_split_names_the_layouts(hub: Path, tmp_path: Path) -> None:
    (tmp_path / "edit").mkdir()
    with pytest.raises(DataError, match=r"no edit/test split .*parquet.*dataset_dict\.json"):
        _load(data=tmp_path, extra={"tests_dir": str(hub)})


def test_few_shot_on_hub_data(hub: Path) -> None:
    edit = RunConfig(
        name="x", benchmark="ecco", model="openai/m", method="few-shot", paradigm="edit",
        data=str(hub), few_shot=2,
    )
    examples = load_examples(edit)
    assert sorted({e.origin for e in examples}) == ["p10001", "p10002", "p10003"]
    # Without --data the loader's options (here the hub copy) still reach the train split.
    via_hub = edit.with_overrides(data=None, load_options={"hub": str(hub)})
    assert len(load_examples(via_hub)) == len(examples)
    nl = edit.with_overrides(paradigm="nl2code")
    with pytest.raises(DataError, match="lacks `fastest_code`"):
        load_examples(nl)


def test_absent_columns_degrade_or_name_the_column(hub: Path, tmp_path: Path) -> None:
    import shutil

    import pyarrow.parquet as pq

    copy = Path(shutil.copytree(hub, tmp_path / "copy"))
    (spectra,) = (copy / "generate_eval").glob("test-*.parquet")
    pq.write_table(pq.read_table(spectra).drop_columns(["memories"]), spectra)
    problem = _load(data=copy, variant="generate")["ecco/generate/p00001"]
    assert problem.metadata.extra["spectrum"] == {"runtimes": SPECTRA["p00001"][0], "memories": []}

    (edits,) = (copy / "edit").glob("test-*.parquet")
    pq.write_table(pq.read_table(edits).drop_columns(["target"]), edits)
    with pytest.raises(DataError, match=r"edit/test-00000-of-00001-d2bc62109ce71a66\.parquet row 0: missing field 'target'"):
        _load(data=copy)
