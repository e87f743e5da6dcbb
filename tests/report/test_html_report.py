from __future__ import annotations

from pathlib import Path

import pytest

from perfcodegen.cli import main

from .run_builders import perfcodegen_outcomes, write_run


def test_report_html_has_tables_and_inline_svg(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    page = tmp_path / "report.html"
    assert main(["report", str(run), "--k", "1,2", "--html", str(page)]) == 0
    html = page.read_text()
    assert html.count("<svg") == 2  # %Opt vs k and the per-problem speedup distribution
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "<td>66.67 (+33.33)</td>" in html
    assert "%Opt vs k" in html


def test_compare_html_escapes_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_a = write_run(tmp_path / "a", perfcodegen_outcomes(), name="<b>a</b>")
    run_b = write_run(tmp_path / "b", perfcodegen_outcomes())
    page = tmp_path / "compare.html"
    argv = ["compare", str(run_a), str(run_b), "--html", str(page), "--resamples", "50"]
    assert main(argv) == 0
    html = page.read_text()
    assert "<b>a</b>" not in html and "&lt;b&gt;a&lt;/b&gt;" in html
    assert html.count("<svg") == 1
