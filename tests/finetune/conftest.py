"""Fixtures for the fine-tuning tests: the ECCO layout with a train split, a tiny model."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FINETUNE_FIXTURES = FIXTURES / "finetune"
PIE_TRAIN = FINETUNE_FIXTURES / "pie_train.jsonl"
PIE_EVAL = FINETUNE_FIXTURES / "pie_eval.jsonl"
CODENET_PAGES = FIXTURES / "codenet" / "problem_descriptions"


def ecco_folder(destination: Path) -> Path:
    """tests/fixtures/ecco (test split) plus the fine-tuning fixture's train split and tests."""
    shutil.copytree(FIXTURES / "ecco", destination)
    shutil.copytree(FINETUNE_FIXTURES / "ecco", destination, dirs_exist_ok=True)
    return destination


@pytest.fixture
def ecco_data(tmp_path: Path) -> Path:
    return ecco_folder(tmp_path / "ecco")


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread: on a busy 2-core machine more threads spin and run 30x slower."""
    torch = pytest.importorskip("torch", reason="the finetune extra (torch) is not installed")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def built_ecco_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Vanilla edit data built once from the ECCO fixture (train 2 problems, validation 1)."""
    pytest.importorskip("datasets", reason="the finetune extra (datasets) is not installed")
    from perfcodegen.finetune.build import BuildSettings, build

    root = tmp_path_factory.mktemp("built")
    data = ecco_folder(root / "ecco")
    build(BuildSettings(benchmark="ecco", data=data), root / "vanilla")
    return root / "vanilla"


@pytest.fixture(scope="session")
def tiny_base(built_ecco_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers", reason="the finetune extra (transformers) is not installed")
    pytest.importorskip("peft", reason="the finetune extra (peft) is not installed")
    from finetune.tiny_model import build_tiny_model

    corpus = [
        message["content"]
        for name in ("train.jsonl", "validation.jsonl")
        for row in read_rows(built_ecco_data / name)
        for message in row["messages"]
    ]
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "base", corpus)
