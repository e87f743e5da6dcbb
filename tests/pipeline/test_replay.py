"""Re-scoring recorded generations: `--model replay/FILE` through the whole pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.problems._io import shared_data_dir
from perfcodegen.store import RunStore

DATA = shared_data_dir()
GPT4_SEEDS = DATA / "llm_samples/ldb_seeds/humaneval/gpt-4-1106-preview/seed.jsonl" if DATA else None

pytestmark = pytest.mark.skipif(
    GPT4_SEEDS is None or not GPT4_SEEDS.exists(), reason="needs ../shared/data"
)


def test_replay_run_matches_eval_of_the_same_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert GPT4_SEEDS is not None
    problems = "HumanEval/0,HumanEval/1,HumanEval/10,HumanEval/32,HumanEval/38,HumanEval/50,HumanEval/129,HumanEval/145"
    run_dir = tmp_path / "replay"
    code = main([
        "run", "humaneval", "--model", f"replay/{GPT4_SEEDS}", "--method", "base", "-k", "1",
        "--problems", problems, "--repeats", "3", "--out", str(run_dir), "--json",
    ])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report

    rows = {json.loads(line)["task_id"]: json.loads(line) for line in GPT4_SEEDS.read_text().splitlines()}
    with RunStore(run_dir) as store:
        candidates = {c.problem_id: c for c in store.candidates()}
        assert len(candidates) == 8
        assert store.calls() and all(c.model.startswith("replay/") for c in store.calls())
        for problem_id, candidate in candidates.items():
            row = rows[problem_id.removeprefix("humaneval/")]
            assert candidate.code is not None
            # The replayed program is the recorded one (the extractor drops stray test code).
            definition = next(
                line for line in row["solution"].splitlines()
                if line.startswith(f"def {row['entry_point']}(")
            )
            assert definition in candidate.code

    # The same file judged by `perfcodegen eval` passes and fails the same problems (eval runs
    # each recorded program as is, stray test code included, so failure kinds may differ).
    eval_dir = tmp_path / "eval"
    assert main([
        "eval", "humaneval", "--solutions", str(GPT4_SEEDS), "--problems", problems,
        "--repeats", "3", "--out", str(eval_dir), "--json",
    ]) == 0
    with RunStore(eval_dir) as store:
        passed = {c.problem_id: c.verdict == "passed" for c in store.candidates()}
    assert {pid: c.verdict == "passed" for pid, c in candidates.items()} == passed
    assert 0 < sum(passed.values()) < len(passed)
