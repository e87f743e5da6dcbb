"""An ENAMEL run keeps its eff@k: `report` (and `--json`) shows it with the problems it rests
on, and names the problem left out (its reference fails a stress level)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from perfcodegen.cli import main
from perfcodegen.problems.humaneval import load_base

CHECKER = "def __check(input, answer, output):\n    return type(output) == type(answer) and output == answer\n"
ROWS = {  # task index -> (input generator, reference body, sample body)
    0: (
        "def generate_input(size: int, lid: int, cid: int):\n"
        "    return [random.uniform(-size, size) for _ in range(size)], random.uniform(0.1, 0.5)\n",
        "    ordered = sorted(numbers)\n"
        "    return any(b - a < threshold for a, b in zip(ordered, ordered[1:]))\n",
        "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1 :])\n",
    ),
    2: (  # the reference raises from level 2 (size 16) on: eff@k cannot score this problem
        "def generate_input(size: int, lid: int, cid: int):\n    return (size + random.random(),)\n",
        "    if number >= 16:\n        raise ValueError('too big')\n    return number % 1.0\n",
        "    return number % 1.0\n",
    ),
}


def test_report_shows_effk_and_names_the_problems_it_leaves_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # stress tests are cached there
    problems = load_base(None)
    data, samples = tmp_path / "enamel.csv", tmp_path / "samples.jsonl"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["task_id", "prompt", "input_generator", "input_levels", "reference_solution", "checker", "entry_point"])  # fmt: skip
        for index, (generator, reference, _) in ROWS.items():
            p = problems[index]
            writer.writerow([p.native_id, p.prompt, generator, "4 8 16 32", reference, CHECKER, p.entry_point])  # fmt: skip
    samples.write_text("".join(
        json.dumps({"task_id": problems[i].native_id, "solution": problems[i].prompt + body}) + "\n"
        for i, (_, _, body) in ROWS.items()
    ))  # fmt: skip
    out = tmp_path / "run"
    argv = ["run", "enamel", "--data", str(data), "--model", f"replay/{samples}", "--method",
            "base", "-k", "1", "--repeats", "2", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "pass@1 1.000 (over 1 of 2 problem(s))" in printed
    assert "left out of eff@k: enamel/HumanEval/2 (the reference does not pass every stress level)" in printed
    assert main(["report", str(out), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    effk = entry["eff_at_k"]
    assert set(effk["metrics"]) == {"eff@1", "pass@1"} and effk["metrics"]["pass@1"] == 1.0
    assert effk["scored"] == ["enamel/HumanEval/0"]
    assert list(effk["left_out"]) == ["enamel/HumanEval/2"]
    assert main(["report", str(out)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "run: ENAMEL eff@k over 1 problem(s)" in shown and "left out of eff@k: enamel/HumanEval/2" in shown
