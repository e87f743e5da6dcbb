"""Reading benchmark files with errors that name the file, line and field.

Shared by every loader: JSON Lines (optionally gzipped), JSON, CSV, and the Hugging Face hub
through `datasets` (extra `hub`) with a pinned revision.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from perfcodegen.errors import DataError, MissingExtraError, UnknownNameError, require


def open_text(path: Path) -> IO[str]:
    """Open a text file, transparently gunzipping `*.gz`."""
    if not path.exists():
        raise DataError(f"dataset file not found: {path}")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8")


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; a bad line names file and line."""
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
            yield lineno, row


def read_json(path: Path) -> Any:
    with open_text(path) as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON at line {exc.lineno} ({exc.msg})") from None


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    csv.field_size_limit(1 << 30)
    with open_text(path) as fh:
        yield from enumerate(csv.DictReader(fh), start=1)


def field(row: Mapping[str, Any], name: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    """Get a required field, or raise a DataError naming where and which field."""
    if name not in row or row[name] is None:
        raise DataError(f"{where}: missing field {name!r}")
    value = row[name]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise DataError(f"{where}: field {name!r} should be {expected}, got {type(value).__name__}")
    return value


HUB_PROBE_TIMEOUT_S = 3.0
"""How long the quick reachability check waits for the hub before giving up."""


def check_hub_reachable(dataset_id: str) -> None:
    """Fail in seconds when the Hugging Face hub cannot be reached, instead of the ~20 s of
    retries `datasets` spends first. Offline mode (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE, set
    by the user) skips the check: `datasets` then reads its local cache."""
    import os
    import socket
    from urllib.parse import urlsplit

    if any(os.environ.get(name, "") not in ("", "0") for name in _OFFLINE_SWITCHES):
        return
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=HUB_PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise DataError(
            f"could not load {dataset_id!r}: the Hugging Face hub ({host}) is unreachable "
            f"({exc.strerror or type(exc).__name__}). Pass --data PATH to read a local copy, "
            "or set HF_HUB_OFFLINE=1 to use the copy in your Hugging Face cache."
        ) from None


_OFFLINE_SWITCHES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


def load_hub(dataset_id: str, *, name: str | None, split: str, revision: str | None) -> list[dict[str, Any]]:
    """Load a dataset split from the Hugging Face hub (extra `hub`); offline-friendly errors."""
    if importlib.util.find_spec("datasets") is None:
        raise MissingExtraError("datasets", "hub")
    if not Path(dataset_id).exists():  # a local copy needs no network
        check_hub_reachable(dataset_id)  # before importing datasets: that alone takes seconds
    datasets = require("datasets", "hub")
    try:
        ds = datasets.load_dataset(dataset_id, name, split=split, revision=revision)  # type: ignore[attr-defined]
    except Exception as exc:  # network, auth, missing split: all user-facing
        raise DataError(
            f"could not load {dataset_id!r} (config {name!r}, split {split!r}) from the hub: {exc}. "
            "Pass --data PATH to read a local copy instead."
        ) from None
    return [dict(row) for row in ds]


def shared_data_dir() -> Path | None:
    """`../shared/data` next to the checkout when present (tests and benches only)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data"
        if (parent / "pyproject.toml").exists() and candidate.is_dir():
            return candidate
    return None


_FLAGS = {"yes": True, "true": True, "1": True, "on": True,
          "no": False, "false": False, "0": False, "off": False}  # fmt: skip


def flag_option(extra: Mapping[str, str], name: str, benchmark: str) -> bool:
    """A yes/no loader option (`--option NAME=yes`); absent means no."""
    value = extra.get(name)
    if value is None:
        return False
    if value.lower() not in _FLAGS:
        raise UnknownNameError(f"{benchmark} --option {name}= value", value, sorted(_FLAGS))
    return _FLAGS[value.lower()]
