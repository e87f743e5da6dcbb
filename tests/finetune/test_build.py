"""Data builders of ECCO's three fine-tuning methods on the ECCO layout and PIE rows with users."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from finetune.conftest import CODENET_PAGES, PIE_EVAL, PIE_TRAIN, read_rows
from perfcodegen.cli import main
from perfcodegen.finetune.build import BuildSettings, build
from perfcodegen.finetune.trajectory import percentile_positions

pytest.importorskip("datasets", reason="the finetune extra (datasets) is not installed")

REV_SLOW = "w = input().split()\nout = []\nfor x in w:\n    out.insert(0, x)\nprint(' '.join(out))\n"
REV_FAST = "print(' '.join(input().split()[::-1]))\n"
ADD_FAST = "a, b = map(int, input().split())\nprint(a + b)\n"
I_EFF = "Optimize the python program below to be functionally equivalent but run faster and use less memory."
EDIT_ANSWER = "### Optimized (Runtime and Space) version of Program above:"


def fence(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def all_rows(out: Path) -> list[dict[str, object]]:
    return read_rows(out / "train.jsonl") + read_rows(out / "validation.jsonl")


def test_vanilla_edit_rows_are_ieff_prompts_and_fenced_fast_programs(ecco_data: Path, tmp_path: Path) -> None:
    report = build(BuildSettings(benchmark="ecco", data=ecco_data), tmp_path / "out")
    rows = {row["id"]: row for row in all_rows(tmp_path / "out")}
    assert rows["ecco/edit/p10002/0"]["messages"] == [
        {"role": "user", "content": f"{I_EFF}\n### Program:\n{REV_SLOW.rstrip()}\n{EDIT_ANSWER}"},
        {"role": "assistant", "content": fence(REV_FAST)},
    ]
    # p00001 is in the test split; p10002's second pair repeats its first; p10003's second is a no-op
    assert sorted(rows) == ["ecco/edit/p10001/0", "ecco/edit/p10001/1", "ecco/edit/p10002/0", "ecco/edit/p10003/0"]
    assert report.excluded_eval_problems == ["p00001"]
    assert (report.duplicates, report.skipped) == (1, 1)
    assert all(row["format"] == "vanilla" and row["paradigm"] == "edit" for row in rows.values())


def test_no_problem_is_in_both_splits_and_the_dataset_matches_the_jsonl(ecco_data: Path, tmp_path: Path) -> None:
    import datasets

    out = tmp_path / "out"
    report = build(BuildSettings(benchmark="ecco", data=ecco_data, validation_fraction=0.3), out)
    train, validation = read_rows(out / "train.jsonl"), read_rows(out / "validation.jsonl")
    assert train and validation
    assert not {r["origin"] for r in train} & {r["origin"] for r in validation}
    assert report.examples == {"train": len(train), "validation": len(validation)}
    on_disk = datasets.load_from_disk(str(out / "dataset"))
    assert on_disk["train"].to_list() == train
    assert on_disk["validation"].to_list() == validation


def test_vanilla_nl2code_rows_are_igen_prompts_without_test_problems(ecco_data: Path, tmp_path: Path) -> None:
    report = build(BuildSettings(benchmark="ecco", paradigm="nl2code", data=ecco_data), tmp_path / "out")
    rows = {row["id"]: row for row in all_rows(tmp_path / "out")}
    assert sorted(rows) == ["ecco/generate/p10001", "ecco/generate/p10002", "ecco/generate/p10003"]
    assert rows["ecco/generate/p10001"]["messages"] == [
        {
            "role": "user",
            "content": "Write a python code which is correct and efficient in terms of runtime and "
            "memory usage for the following problem description.\n##Problem Name:\np10001\n"
            "##Problem Description:\nGiven two integers a and b, print a + b.\n"
            "## Sample Inputs:\n2 3\n\n10 7\n##Sample Outputs:\n5\n\n17",
        },
        {"role": "assistant", "content": fence(ADD_FAST)},
    ]
    assert report.excluded_eval_problems == ["p00002"]  # generate/test holds p00001-p00003
    assert report.skipped == 1  # p10004 has no program


def test_exec_rows_carry_the_judged_public_test_results_and_resume(ecco_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    settings = BuildSettings(benchmark="ecco", format="exec", data=ecco_data, repeats=2)
    build(settings, out)
    rows = {row["id"]: row for row in all_rows(out)}
    prompt = rows["ecco/edit/p10001/0"]["messages"][0]["content"]
    head, _, vanilla = prompt.partition("\n\n" + I_EFF)
    assert head.startswith(
        "Execution results of the program below on the public tests:\n"
        "Your solution was functionally CORRECT\n"
    )
    for index in (0, 1):  # p10001 has two public tests; both pass with measured figures
        stats = head.split(f"-- Stats for test case {index} --\n")[1].splitlines()
        assert stats[0] == "Correct: PASSED"
        assert stats[1].startswith("Run time: ") and stats[1].endswith(" s")
        assert float(stats[1].split()[2]) > 0
        assert stats[2].startswith("Memory: ") and stats[2].endswith(" KB")
    assert "test case 2" not in head
    assert vanilla.endswith(EDIT_ANSWER) and "r += 1" in vanilla
    assert rows["ecco/edit/p10001/0"]["messages"][1]["content"] == fence(ADD_FAST)

    def judged() -> list[tuple[str, str]]:
        with sqlite3.connect(out / "judging" / "run.sqlite") as db:
            return sorted(db.execute("SELECT key, result FROM judge_runs").fetchall())

    before, first_rows = judged(), (out / "train.jsonl").read_text()
    build(settings, out)  # every job is replayed from the store: nothing runs again
    assert judged() == before and (out / "train.jsonl").read_text() == first_rows


def test_trajectory_picks_the_percentile_programs_of_each_user(tmp_path: Path) -> None:
    settings = BuildSettings(
        benchmark="pie", format="trajectory", data=PIE_TRAIN, eval_data=[PIE_EVAL],
        load_options={"descriptions": str(CODENET_PAGES)}, validation_fraction=0.0,
    )
    report = build(settings, tmp_path / "out")
    rows = {row["id"]: row for row in read_rows(tmp_path / "out" / "train.jsonl")}
    pie = {r["submission_id_v0"]: r["input"] for r in read_rows(PIE_TRAIN)}
    pie |= {r["submission_id_v1"]: r["target"] for r in read_rows(PIE_TRAIN)}
    # u3 has two programs only; u4's problem p90003 is an evaluation problem
    assert sorted(rows) == ["pie/p90001/u1", "pie/p90002/u2"]
    assert report.excluded_eval_problems == ["p90003"]

    def expected(picks: list[str], target: str) -> list[dict[str, str]]:
        steps = "".join(f"##{i} iteration program:\n{pie[s].rstrip()}\n" for i, s in enumerate(picks, 1))
        return [
            {"role": "user", "content": steps + "### Final iteration program:"},
            {"role": "assistant", "content": fence(pie[target])},
        ]

    # u1, slowest first: s10 (300 ms), s11 (200), s12 (150), s13 (40), s14 (20): n = 5,
    # positions round(0), round(0.33 x 4 = 1.32) = 1, round(0.66 x 4 = 2.64) = 3
    assert rows["pie/p90001/u1"]["messages"] == expected(["s10", "s11", "s13"], "s14")
    # u2: s20 (90), s22 (60), s21 (30): n = 3, positions 0, round(0.66) = 1, round(1.32) = 1
    assert rows["pie/p90002/u2"]["messages"] == expected(["s20", "s22", "s22"], "s21")


@pytest.mark.parametrize(
    ("count", "positions"), [(3, [0, 1, 1]), (4, [0, 1, 2]), (5, [0, 1, 3]), (7, [0, 2, 4]), (101, [0, 33, 66])]
)
def test_percentile_positions(count: int, positions: list[int]) -> None:
    assert percentile_positions(count) == positions


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "exec", "--paradigm", "nl2code"], "needs --paradigm edit"),
        (["--method", "trajectory"], "no trajectory"),
        (["--method", "fancy"], "--method must be one of"),
    ],
)
def test_build_user_errors_are_one_line(
    ecco_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["finetune", "build", "ecco", "--data", str(ecco_data), "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_pie_without_evaluation_problems_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["finetune", "build", "pie", "--data", str(PIE_TRAIN), "--option", f"descriptions={CODENET_PAGES}"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    assert "--eval-data" in capsys.readouterr().err
