"""LoRA training end to end on CPU: a tiny random Llama, the built ECCO data, the `hf/` provider.

Each test trains a few dozen steps of a 2-layer model with hidden size 32 (single-threaded:
see the `one_torch_thread` fixture), so the whole file runs in seconds on an idle machine.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from finetune.conftest import read_rows
from perfcodegen.cli import main
from perfcodegen.llm.model import ChatMessage, GenerateConfig, RequestContext
from perfcodegen.store import RunStore

pytest.importorskip("peft", reason="the finetune extra (peft) is not installed")
pytest.importorskip("transformers", reason="the finetune extra (transformers) is not installed")

ALL_LINEAR = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"


def train_args(base: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "finetune", "train", "--base-model", str(base), "--data", str(data), "--out", str(out),
        "--allow-cpu", "--warmup-steps", "0", "--logging-steps", "1", *extra,
    ]


def greedy(model: str, prompt: str, max_tokens: int = 6) -> str:
    from perfcodegen.llm.hf_provider import HFProvider

    async def ask() -> str:
        provider = HFProvider(model)
        try:
            reply = await provider.generate(
                [ChatMessage(role="user", content=prompt)],
                GenerateConfig(temperature=0.0, max_tokens=max_tokens),
                RequestContext(),
            )
        finally:
            await provider.aclose()
        return reply.text

    return asyncio.run(ask())


def test_without_a_gpu_training_is_refused_in_one_line(
    built_ecco_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: there is nothing to refuse")
    args = ["finetune", "train", "--base-model", "any", "--data", str(built_ecco_data)]
    assert main([*args, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--allow-cpu" in err
    assert not (tmp_path / "run").exists()


def test_tuned_adapter_lowers_the_loss_and_changes_what_hf_generates(
    tiny_base: Path, built_ecco_data: Path, tmp_path: Path, one_torch_thread: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "run"
    # Two train examples, batch 2: every step sees the same batch.
    args = train_args(tiny_base, built_ecco_data, out, "--max-steps", "24", "--learning-rate", "0.02")
    assert main([*args, "--target-modules", ALL_LINEAR, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    losses = result["losses"]
    assert result["steps"] == 24 and len(losses) == 24 and result["device"] == "cpu"
    assert losses[-1] < losses[0] - 0.2
    adapter = out / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"]) == (8, 16)  # ECCO's defaults
    assert (adapter / "tokenizer_config.json").is_file()

    row = read_rows(built_ecco_data / "train.jsonl")[0]
    prompt, target = (m["content"] for m in row["messages"])
    tuned = greedy(f"{tiny_base}+{adapter}", prompt)
    base = greedy(str(tiny_base), prompt)
    assert target.startswith("```python") and tuned.startswith("```")
    assert not base.startswith("```") and tuned != base


def test_a_rerun_resumes_from_the_last_checkpoint(
    tiny_base: Path, built_ecco_data: Path, tmp_path: Path, one_torch_thread: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "run"
    common = train_args(tiny_base, built_ecco_data, out, "--save-steps", "3", "--json")
    assert main([*common, "--max-steps", "3"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["resumed_from"] is None and (out / "checkpoints" / "checkpoint-3").is_dir()
    assert main([*common, "--max-steps", "5"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert Path(second["resumed_from"]).name == "checkpoint-3"
    assert second["steps"] == 5 and len(second["losses"]) == 2  # only steps 4 and 5 ran
    summary = json.loads((out / "training.json").read_text())
    assert summary["result"]["steps"] == 5


def test_the_adapter_runs_through_perfcodegen_run(
    tiny_base: Path, built_ecco_data: Path, ecco_data: Path, tmp_path: Path,
    one_torch_thread: None, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "tuned"
    assert main([*train_args(tiny_base, built_ecco_data, out, "--max-steps", "2")]) == 0
    model = f"hf/{tiny_base}+{out / 'adapter'}"
    run_dir = tmp_path / "eval"
    args = [
        "run", "ecco", "--data", str(ecco_data), "--paradigm", "edit", "--method", "instruct",
        "-k", "1", "--temperature", "0", "--max-tokens", "8", "--repeats", "1", "--no-cache",
        "--model", model, "--out", str(run_dir), "--json",
    ]
    assert main(args) == 0
    capsys.readouterr()
    with RunStore(run_dir) as store:
        calls = store.calls()
        problems = store.problems()
    assert len(calls) == 4 and {c.model for c in calls} == {model}  # the test split's 4 pairs
    assert all(c.output.usage.completion_tokens > 0 for c in calls)
    assert len(problems) == 4 and all(p.status == "done" for p in problems)
