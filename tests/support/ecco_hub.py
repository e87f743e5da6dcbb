"""A small copy of the hub dataset CodeEff/ECCO in its real shape, written at test time.

Shape (hub repository at the pinned revision, and the unzipped test_cases.zip):

    README.md                                     configs edit / generate / generate_eval
    edit/{train,val,test}-00000-of-00001-<hash>.parquet         problem_id, input, target
    generate/{train,val,test}-00000-of-00001-<hash>.parquet     problem_id, problem_description
    generate_eval/{train,test}-00000-of-00001.parquet           problem_id, runtimes, memories
    codenet/{public,generated}_test_cases/<problem_id>/{input,output}.N.txt

Column names are the ones ECCO's released code reads; `generate` has no `fastest_code`
column, as that code notes. The rows reuse tests/fixtures/ecco (programs that pass their tests).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ecco"

README = """---
configs:
- config_name: edit
  data_files:
  - split: train
    path: edit/train-*
  - split: val
    path: edit/val-*
  - split: test
    path: edit/test-*
- config_name: generate
  data_files:
  - split: train
    path: generate/train-*
  - split: val
    path: generate/val-*
  - split: test
    path: generate/test-*
- config_name: generate_eval
  data_files:
  - split: train
    path: generate_eval/train-*
  - split: test
    path: generate_eval/test-*
---
# ECCO (test copy)
"""

SHARD_HASHES = {
    ("edit", "train"): "3f1c0a9b7d2e4f60",
    ("edit", "val"): "8a7b6c5d4e3f2a10",
    ("edit", "test"): "d2bc62109ce71a66",
    ("generate", "train"): "aa2f14f00c121261",
    ("generate", "val"): "0bf9ed4e76e8baa0",
    ("generate", "test"): "2e4345c98cdd20fd",
}

DESCRIPTIONS = {
    "p00001": "Given n and n integers, print their sum.",
    "p00002": "Given n and n integers, print the largest.",
    "p00003": "Print the input string reversed.",
}
SPECTRA = {
    "p00001": ([0.5, 0.3, 0.3, 0.1], [9300.0, 9200.0, 9100.0, 9000.0]),
    "p00002": ([0.04], [8000.0]),
    "p00003": ([0.2, 0.1], [9100.0, 9000.0]),
}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def _shard(root: Path, config: str, split: str) -> Path:
    suffix = SHARD_HASHES.get((config, split))
    name = f"{split}-00000-of-00001" + (f"-{suffix}" if suffix else "") + ".parquet"
    return root / config / name


def build_ecco_hub(root: Path) -> Path:
    """Write the copy under ``root`` and return it."""
    edit_test = [
        {"problem_id": r["problem_id"], "input": r["input"], "target": r["target"]}
        for r in _jsonl(FIXTURE / "edit" / "test.jsonl")
    ]
    # Train/val: other problem ids (ECCO's splits do not share problems), same programs.
    renumber = {"p00001": "p10001", "p00002": "p10002", "p00003": "p10003"}
    edit_train = [{**r, "problem_id": renumber[r["problem_id"]]} for r in edit_test]
    edit_val = [{**edit_test[0], "problem_id": "p20001"}]
    _write(_shard(root, "edit", "train"), edit_train)
    _write(_shard(root, "edit", "val"), edit_val)
    _write(_shard(root, "edit", "test"), edit_test)

    def generate(ids: dict[str, str]) -> list[dict[str, Any]]:
        return [{"problem_id": new, "problem_description": DESCRIPTIONS[old]} for old, new in ids.items()]

    same = {pid: pid for pid in DESCRIPTIONS}
    _write(_shard(root, "generate", "train"), generate(renumber))
    _write(_shard(root, "generate", "val"), generate({"p00001": "p20001"}))
    _write(_shard(root, "generate", "test"), generate(same))
    spectra = [
        {"problem_id": pid, "runtimes": times, "memories": memories}
        for pid, (times, memories) in SPECTRA.items()
    ]
    _write(_shard(root, "generate_eval", "test"), spectra)
    _write(_shard(root, "generate_eval", "train"), spectra)
    (root / "README.md").write_text(README)
    for kind in ("public_test_cases", "generated_test_cases"):
        shutil.copytree(FIXTURE / kind, root / "codenet" / kind)
    return root
