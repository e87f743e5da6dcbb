"""`perfcodegen run enamel` and `--timing-tests`: verdicts on the benchmark's own tests (ENAMEL's
include its stress levels), timing on the chosen ones, level by level."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.judge.model import MeasureMode
from perfcodegen.metrics.run import load_run
from perfcodegen.metrics.samples import sample_summary
from perfcodegen.problems.humaneval import load_base
from perfcodegen.store import RunStore

GENERATOR = """def generate_input(size: int, lid: int, cid: int):
    return [random.uniform(-size, size) for _ in range(size)], random.uniform(0.1, 0.5)
"""
BODY = """    ordered = sorted(numbers)
    return any(b - a < threshold for a, b in zip(ordered, ordered[1:]))
"""
SAMPLE_BODY = """    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1 :])
"""
CHECKER = "def __check(input, answer, output):\n    return type(output) == type(answer) and output == answer\n"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # stress tests are cached there


@pytest.fixture
def enamel_csv(tmp_path: Path) -> Path:
    problem = load_base(None)[0]  # HumanEval/0, has_close_elements
    path = tmp_path / "enamel.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["task_id", "prompt", "input_generator", "input_levels", "reference_solution", "checker", "entry_point"])  # fmt: skip
        writer.writerow([problem.native_id, problem.prompt, GENERATOR, "4 8 16 32", BODY, CHECKER, problem.entry_point])  # fmt: skip
    return path


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    problem = load_base(None)[0]
    path = tmp_path / "samples.jsonl"
    solution = problem.prompt + SAMPLE_BODY  # differs from both references: timed against them
    path.write_text(json.dumps({"task_id": problem.native_id, "solution": solution}) + "\n")
    return path


def run(
    tmp_path: Path, benchmark: str, csv_path: Path, samples: Path, timing: str | None, *extra: str
) -> Path:
    out = tmp_path / f"{benchmark}-{timing}"
    data = (
        ["--data", str(csv_path)]
        if benchmark == "enamel"
        else ["--option", f"enamel={csv_path}", "--limit", "1"]
    )
    timing_option = ["--timing-tests", timing] if timing else []
    code = main([
        "run", benchmark, *data, "--model", f"replay/{samples}", "--method", "base", "-k", "1",
        "--repeats", "2", "--out", str(out), *extra, *timing_option,
    ])  # fmt: skip
    assert code == 0
    return out


def final_jobs(out: Path) -> tuple[int, int]:
    """(tests the final figures cover, tests the sample's verdict was taken on)."""
    with RunStore(out) as store:
        paired = [r for _, r in store.judge_results() if r.mode is MeasureMode.PAIRED]
    [outcome] = load_run(out).outcomes
    [sample] = outcome.candidates
    assert outcome.timing_test_count is not None and paired
    return outcome.timing_test_count, sample.total


LEVEL_TESTS = (8, 4)
"""Tests per stress level (8 at level 0, 4 above): adaptive timing times one level at a time."""


def test_enamel_times_stress_tests_and_checks_all(
    tmp_path: Path, enamel_csv: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    given = len(load_base(None)[0].tests)
    timed, checked = final_jobs(run(tmp_path, "enamel", enamel_csv, samples, None))
    assert timed in LEVEL_TESTS and checked == given + 20  # 8 + 4 + 4 + 4 stress tests
    printed = capsys.readouterr().out.replace("\n", " ")
    assert "ENAMEL (re-timed on its stress levels): eff@1 " in printed and "pass@1 1.000" in printed


@pytest.mark.parametrize("timing", ["given", "stress", "both"])
def test_humaneval_timing_tests_choice(
    tmp_path: Path,
    enamel_csv: Path,
    samples: Path,
    timing: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = len(load_base(None)[0].tests)
    timed, checked = final_jobs(run(tmp_path, "humaneval", enamel_csv, samples, timing, "--json"))
    expected_timed = {"given": (given,), "stress": LEVEL_TESTS, "both": (given + 20,)}[timing]
    assert timed in expected_timed
    assert checked == given  # stress tests time; they never judge


def test_a_sample_failing_a_stress_input_keeps_its_verdict_and_pass_at_1(
    tmp_path: Path, enamel_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Right on HumanEval's tests, wrong on every stress input (they hold negative numbers):
    reported as failing while timed, never as a wrong answer."""
    problem = load_base(None)[0]
    path = tmp_path / "wrong-on-stress.jsonl"
    solution = problem.prompt + "    if min(numbers) < 0:\n        return None\n" + BODY
    path.write_text(json.dumps({"task_id": problem.native_id, "solution": solution}) + "\n")
    summaries = {}
    for timing in ("given", "stress"):
        outcomes = load_run(run(tmp_path, "humaneval", enamel_csv, path, timing, "--json")).outcomes
        summaries[timing] = sample_summary(outcomes)
        [sample] = outcomes[0].candidates
        assert sample.correct and sample.verdict == "passed"
        if timing == "stress":
            assert sample.time_s is None and sample.timing_failure is not None
            assert "wrong_answer" in sample.timing_failure
    assert summaries["stress"].pass_at_k == summaries["given"].pass_at_k == {"pass@1": 1.0}
    assert summaries["stress"].verdicts == {"passed": 1}


def test_effk_command_scores_a_samples_file(
    tmp_path: Path, enamel_csv: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "scores.jsonl"
    code = main([
        "effk", "--data", str(enamel_csv), "--solutions", str(samples), "-k", "1",
        "--save", str(saved), "--json",
    ])  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["problems"] == 1 and printed["metrics"]["pass@1"] == 1.0
    assert 0.0 <= printed["metrics"]["eff@1"] <= 1.5
    [row] = [json.loads(line) for line in saved.read_text().splitlines()]
    assert row["problem_id"] == "enamel/HumanEval/0" and len(row["levels"][0]) == 4
    assert main(["effk", "--data", str(enamel_csv), "-k", "0"]) == 2
