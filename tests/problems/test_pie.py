"""PIE loader and the CodeNet page parser it uses (fixtures + the shared PIE/CodeNet data)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from perfcodegen.errors import DataError
from perfcodegen.problems import Problem, codenet
from perfcodegen.problems._io import shared_data_dir
from perfcodegen.problems.registry import LoadOptions, load_benchmark

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAIRS = FIXTURES / "pie" / "pairs.jsonl"
PAGES = FIXTURES / "codenet" / "problem_descriptions"
PROBLEM_LIST = FIXTURES / "codenet" / "problem_list.csv"


def _load(data: Path = PAIRS, **extra: str) -> dict[str, Problem]:
    extra.setdefault("descriptions", str(PAGES))
    return {p.native_id: p for p in load_benchmark("pie", LoadOptions(data=data, extra=extra))}


def test_atcoder_page_samples_and_text() -> None:
    page = codenet.parse_description((PAGES / "p90001.html").read_text())
    assert [(s.number, s.stdin, s.expected_stdout) for s in page.samples] == [
        (1, "2 5\n", "10\n"),
        (2, "100 100\n", "10000\n"),
    ]
    assert "Problem Statement\n\nGiven integers A and B, print A × B." in page.text
    assert "<" not in page.text


def test_aizu_page_unnumbered_and_japanese_headings_script_ignored() -> None:
    page = codenet.parse_description((PAGES / "p90002.html").read_text())
    assert [(s.number, s.stdin, s.expected_stdout) for s in page.samples] == [
        (1, "1\n2\n0\n", "3\n"),
        (2, "5\n0\n", "5\n"),
    ]
    assert page.text.startswith("Sum of Lines\n")
    assert "≤ 109" in page.text and "Sample Input 9" not in page.text
    assert "a1\na2\n...\n0" in page.text  # <pre> keeps its lines


def test_combined_sample_heading_is_skipped() -> None:
    assert codenet.parse_description((PAGES / "p90003.html").read_text()).samples == []


def test_pairs_with_public_sample_tests_and_limits() -> None:
    problems = _load(problem_list=str(PROBLEM_LIST))
    assert list(problems) == ["p90001/s1-s2", "p90002/s3-s4", "p90001/s5-s6", "p90003/s7-s8"]
    multiply = problems["p90001/s1-s2"]
    assert multiply.id == "pie/p90001/s1-s2"
    assert multiply.input_program is not None and "for _ in range(b)" in multiply.input_program
    assert multiply.references == ["a, b = map(int, input().split())\nprint(a * b)\n"]
    assert multiply.is_stdio and multiply.prompt == multiply.input_program
    assert [(t.name, t.stdin, t.expected_stdout, t.public) for t in multiply.tests] == [
        ("sample/1", "2 5\n", "10\n", True),
        ("sample/2", "100 100\n", "10000\n", True),
    ]
    assert multiply.private_tests == []
    assert multiply.metadata.time_limit_s == 2.0 and multiply.metadata.memory_limit_mb == 1024.0
    extra = multiply.metadata.extra
    assert extra["codenet"]["cpu_time_v0"] == 120 and extra["codenet"]["memory_v1"] == 8000
    assert extra["dataset"] == "AtCoder" and "no private tests" in extra["private_tests"]
    assert "Given integers A and B" in multiply.statement
    assert problems["p90003/s7-s8"].tests == []
    assert problems["p90003/s7-s8"].metadata.time_limit_s is None


def test_descriptions_read_from_a_tarball(tmp_path: Path) -> None:
    archive = tmp_path / "problem_descriptions.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(PAGES, arcname="problem_descriptions")
    from_tar = _load(descriptions=str(archive))
    from_folder = _load()
    assert [p.model_dump() for p in from_tar.values()] == [
        p.model_dump() for p in from_folder.values()
    ]


def test_missing_page_and_missing_options(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    problems = _load(descriptions=str(pages))
    assert problems["p90001/s1-s2"].statement == "" and problems["p90001/s1-s2"].tests == []
    assert problems["p90001/s1-s2"].metadata.extra["missing_description"] is True
    with pytest.raises(DataError, match="needs --data"):
        load_benchmark("pie", LoadOptions(extra={"descriptions": str(PAGES)}))
    with pytest.raises(DataError, match="extra descriptions=PATH"):
        load_benchmark("pie", LoadOptions(data=PAIRS))
    with pytest.raises(DataError, match="descriptions not found"):
        _load(descriptions=str(tmp_path / "nope.tar.gz"))
    not_tar = tmp_path / "pages.tar.gz"
    not_tar.write_text("plain text")
    with pytest.raises(DataError, match="not a readable tar archive"):
        _load(descriptions=str(not_tar))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": None}, r"pairs\.jsonl:2: missing field 'target'"),
        ({"input": 5}, r"pairs\.jsonl:2: field 'input' should be str"),
        (
            {"submission_id_v0": "s1", "submission_id_v1": "s2", "problem_id": "p90001"},
            r":2: pair 'p90001/s1-s2' repeats",
        ),
    ],
)
def test_malformed_rows(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    rows = [json.loads(line) for line in PAIRS.read_text().splitlines()]
    rows[1].update(change)
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match=message):
        _load(data=path)


def test_bad_problem_list(tmp_path: Path) -> None:
    bad = tmp_path / "problem_list.csv"
    bad.write_text("id,name,dataset,time_limit,memory_limit\np90001,x,AtCoder,fast,1\n")
    with pytest.raises(DataError, match=r"row 1: field 'time_limit' should be a number"):
        _load(problem_list=str(bad))


@pytest.mark.shared_data
def test_shared_pie_reference_pairs() -> None:
    data = shared_data_dir()
    if data is None:
        pytest.skip("../shared/data is absent")
    options = LoadOptions(
        data=data / "pie" / "py_reference.jsonl",
        extra={
            "descriptions": str(data / "codenet" / "problem_descriptions.tar.gz"),
            "problem_list": str(data / "codenet" / "problem_list.csv"),
        },
    )
    problems = load_benchmark("pie", options)
    assert len(problems) == 1000 and len({p.id for p in problems}) == 1000
    assert len({p.metadata.extra["problem_id"] for p in problems}) == 213
    with_samples = {p.metadata.extra["problem_id"] for p in problems if p.public_tests}
    assert len(with_samples) >= 210
    assert all(not p.private_tests and p.statement for p in problems)
    assert all(p.metadata.time_limit_s for p in problems)
    first = problems[0]
    assert first.native_id == "p03371/s504204235-s825991485"
    assert (
        first.tests[0].stdin == "1500 2000 1600 3 2\n"
        and first.tests[0].expected_stdout == "7900\n"
    )
