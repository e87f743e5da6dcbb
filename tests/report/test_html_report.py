"""The HTML report's content: one self-contained page with the setup, tables, figures and a
section per problem (final program, lineage, conversation); compare pages across runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perfcodegen.cli import main

from .run_builders import perfcodegen_outcomes, write_detailed_run, write_run

pytest.importorskip("matplotlib", reason="the HTML report needs perfcodegen[report]")


def render(argv: list[str], page: Path) -> str:
    assert main([*argv, "--html", str(page)]) == 0
    return page.read_text()


def assert_self_contained(html: str) -> None:
    assert "<script" not in html.lower()
    addresses = re.findall(r"(?:src|href)=\"([^\"#][^\"]*)\"", html)
    assert addresses == []  # nothing to fetch: no links out, no images, no fonts
    assert "http://" not in html.replace("http://www.w3.org", "")


def test_run_page_has_setup_tables_figures_and_problem_sections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_detailed_run(tmp_path / "detailed", model="openai/my-model")
    html = render(["report", str(run)], tmp_path / "report.html")
    assert_self_contained(html)
    assert "openai/my-model" in html and "perfcodegen (nl2code)" in html
    assert "Judge isolation" in html and "2 scored, 1 errored" in html
    assert html.count('<figure class="plot">') == 3  # k curves, speedups, runtime scatter
    assert html.count("<svg") == 3 and "Figure 3." in html
    # P1: final program s0.p1, 10 ms / 8 ms = 1.25x, lineage root first, whole conversation.
    section = html[html.index('<details id="run1-p1">') : html.index('<details id="run1-p2">')]
    assert "1.25x" in section and "Final program (s0.p1)" in section
    assert section.index("<td>s0</td>") < section.index("<td>s0.p1</td>")
    assert "Make it faster." in section and "&lt;fast please&gt;" in section
    assert 'class="code"' in section  # highlighted by pygments
    # P3 errored: listed as an error, not as a 0% problem.
    errored = html[html.index('<details id="run1-p3">') :]
    assert "boom" in errored[: errored.index("</details>")]


def test_run_page_tables_match_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_run(tmp_path / "pcg", perfcodegen_outcomes())
    html = render(["report", str(run), "--k", "1,2"], tmp_path / "report.html")
    assert '<td class="r">66.67 (+33.33)</td>' in html
    assert "Best@k (Table I)" in html


def test_compare_page_escapes_names_and_compares_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_a = write_run(tmp_path / "a", perfcodegen_outcomes(), name="<b>a</b>")
    run_b = write_detailed_run(tmp_path / "b")
    argv = ["compare", str(run_a), str(run_b), "--k", "1", "--resamples", "50"]
    html = render(argv, tmp_path / "compare.html")
    assert_self_contained(html)
    assert "<b>a</b>" not in html and "&lt;b&gt;a&lt;/b&gt;" in html
    assert html.count('<figure class="plot">') == 2  # %Opt/%Correct bars, speedup outlines
    rows = dict(re.findall(r"<tr><td>(P\d)</td>(.*?)</tr>", html))
    assert "1.25x" in rows["P1"] and "error" in rows["P3"]
