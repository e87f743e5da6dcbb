"""Rows of one config/split of a hub dataset kept on disk, in any of the shapes people keep it.

- The hub repository itself (``huggingface-cli download`` or ``git clone``): parquet files
  ``<config>/<split>-00000-of-00001[-<hash>].parquet`` (several shards are read in order).
- ``DatasetDict.save_to_disk``: ``<config>/dataset_dict.json`` and ``<config>/<split>/`` arrow
  files (or a single config saved at the folder's top level).
- JSON Lines exports: ``<config>/<split>.jsonl`` (or ``.jsonl.gz``).

Parquet and arrow need the `hub` extra (pyarrow, datasets); JSON Lines need nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perfcodegen.errors import DataError, require
from perfcodegen.problems import _io

Row = tuple[str, dict[str, Any]]
"""A row with the place it came from, for error messages."""

SAVED_DICT_MARKER = "dataset_dict.json"


def snapshot_kind(data: Path, config: str, split: str) -> str | None:
    """'jsonl', 'parquet' or 'saved' for the first shape present, else None."""
    if _jsonl_file(data, config, split) is not None:
        return "jsonl"
    if _parquet_files(data, config, split):
        return "parquet"
    if _saved_split(data, config, split) is not None:
        return "saved"
    return None


def split_rows(data: Path, config: str, split: str) -> list[Row] | None:
    """The rows of ``config``/``split`` under ``data``, or None when that split is absent."""
    jsonl = _jsonl_file(data, config, split)
    if jsonl is not None:
        return [(f"{jsonl}:{lineno}", row) for lineno, row in _io.read_jsonl(jsonl)]
    parquet = _parquet_files(data, config, split)
    if parquet:
        return _parquet_rows(parquet)
    saved = _saved_split(data, config, split)
    if saved is not None:
        return _saved_rows(saved, split)
    return None


def describe_layouts(config: str) -> str:
    return (
        f"{config}/<split>-*.parquet (hub files), {config}/{SAVED_DICT_MARKER} (save_to_disk) "
        f"or {config}/<split>.jsonl"
    )


def _jsonl_file(data: Path, config: str, split: str) -> Path | None:
    for name in (f"{split}.jsonl", f"{split}.jsonl.gz"):
        if (data / config / name).is_file():
            return data / config / name
    return None


def _parquet_files(data: Path, config: str, split: str) -> list[Path]:
    folder = data / config
    if not folder.is_dir():
        return []
    shards = list(folder.glob(f"{split}-*.parquet")) + list(folder.glob(f"{split}/*.parquet"))
    return sorted(shards)


def _saved_split(data: Path, config: str, split: str) -> Path | None:
    for folder in (data / config, data):
        if (folder / SAVED_DICT_MARKER).is_file() and (folder / split).is_dir():
            return folder
    return None


def _parquet_rows(files: list[Path]) -> list[Row]:
    require("datasets", "hub")
    import pyarrow.parquet as pq

    rows: list[Row] = []
    for path in files:
        try:
            table = pq.read_table(path)
        except Exception as exc:  # a truncated download, an LFS pointer instead of the file
            raise DataError(f"{path}: not a readable parquet file ({exc})") from None
        rows.extend((f"{path} row {index}", row) for index, row in enumerate(table.to_pylist()))
    return rows


def _saved_rows(folder: Path, split: str) -> list[Row]:
    datasets = require("datasets", "hub")
    try:
        saved = datasets.load_from_disk(str(folder))  # type: ignore[attr-defined]
    except Exception as exc:
        raise DataError(f"{folder}: not a save_to_disk folder datasets can read ({exc})") from None
    return [(f"{folder}/{split} row {index}", dict(row)) for index, row in enumerate(saved[split])]
