"""`<base>+<adapter>` model specs: parsing and the errors a user sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.errors import PerfCodegenError
from perfcodegen.llm.adapters import parse_adapted_model


def adapter_folder(path: Path, *, rank: int = 8, tokenizer: bool = False) -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"r": rank, "lora_alpha": 16}))
    if tokenizer:
        (path / "tokenizer_config.json").write_text("{}")
    return path


def test_a_plain_model_has_no_adapter() -> None:
    spec = parse_adapted_model("deepseek-ai/deepseek-coder-6.7b-instruct")
    assert (spec.base, spec.adapter, spec.tokenizer_source) == (
        "deepseek-ai/deepseek-coder-6.7b-instruct", None, "deepseek-ai/deepseek-coder-6.7b-instruct"
    )


def test_the_adapter_is_after_the_last_plus(tmp_path: Path) -> None:
    folder = adapter_folder(tmp_path / "run+1" / "adapter", rank=16, tokenizer=True)
    spec = parse_adapted_model(f"org/base+{folder}")
    assert (spec.base, spec.adapter, spec.lora_rank) == ("org/base", folder, 16)
    assert spec.tokenizer_source == str(folder)  # training saved its tokenizer there


def test_without_a_saved_tokenizer_the_base_tokenizes(tmp_path: Path) -> None:
    folder = adapter_folder(tmp_path / "adapter")
    assert parse_adapted_model(f"org/base+{folder}").tokenizer_source == "org/base"


@pytest.mark.parametrize("tail", ["missing-folder", ""])
def test_a_bad_adapter_is_a_clear_error(tmp_path: Path, tail: str) -> None:
    with pytest.raises(PerfCodegenError, match="no LoRA adapter folder"):
        parse_adapted_model(f"org/base+{tmp_path / tail if tail else ''}")


def test_run_with_a_bad_adapter_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("transformers", reason="the hf extra is not installed")
    from perfcodegen.cli import main

    args = ["run", "humaneval", "--limit", "1", "--model", f"hf/org/base+{tmp_path}", "--out", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no LoRA adapter folder" in err
