"""The run's figures as a typed object from the Python API (`perfcodegen.evaluate`,
`perfcodegen.report(run_dir)`), HumanEval+'s base and plus pass@1 side by side (API and
`eval` at 80 columns), and bad setting values as `PerfCodegenError`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import perfcodegen
from perfcodegen.cli import main
from perfcodegen.errors import PerfCodegenError
from perfcodegen.report.results import RunMetrics

HALF = {
    "task_id": "HumanEval/900",
    "prompt": 'def half(x):\n    """Half of x.\n    >>> half(4)\n    2.0\n    """\n',
    "entry_point": "half",
    "canonical_solution": "    return (x / 2, [x]) if x > 100 else x / 2\n",
    "base_input": [[4], [3]],
    "plus_input": [[1000], [-1]],
    "atol": 1e-6,
    "test": "def check(candidate):\n    pass\n",
}
DOUBLE = {
    **HALF,
    "task_id": "HumanEval/901",
    "prompt": 'def double(x):\n    """Twice x.\n    >>> double(4)\n    8\n    """\n',
    "entry_point": "double",
    "canonical_solution": "    return 2 * x\n",
}


@pytest.fixture
def plus_data(tmp_path: Path) -> dict[str, object]:
    """A HumanEval+ file of two problems, and samples: `half` passes the base tests and fails
    the plus tests; `double` passes both."""
    data = tmp_path / "HumanEvalPlus.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in (HALF, DOUBLE))
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        json.dumps({"task_id": "HumanEval/900", "completion": "    return x / 2\n"}) + "\n"
        + json.dumps({"task_id": "HumanEval/901", "completion": "    return x + x\n"}) + "\n"
    )
    return {
        "samples": str(samples), "variant": "plus", "data": str(data), "measure": "none",
        "load_options": {"cache_dir": str(tmp_path / "cache")}, "show_progress": False,
    }  # fmt: skip


def test_evaluate_returns_the_metrics_with_base_and_plus(
    plus_data: dict[str, object], tmp_path: Path
) -> None:
    settings = dict(plus_data)
    samples = str(settings.pop("samples"))
    metrics = perfcodegen.evaluate("humaneval", samples, out=tmp_path / "run", **settings)
    assert isinstance(metrics, RunMetrics)
    assert metrics.done == 2 and metrics.problems == 2 and not metrics.errors
    assert metrics.base_pass_at_k == {"pass@1": 1.0}
    assert metrics.pass_at_k == {"pass@1": 0.5}
    assert metrics.samples.verdicts == {"passed": 1, "wrong_answer": 1}
    final = metrics.final
    assert final is not None and final.k == 1 and final.correct_pct == 50.0
    again = perfcodegen.report(tmp_path / "run")
    assert isinstance(again, RunMetrics)
    assert (again.pass_at_k, again.base_pass_at_k) == (metrics.pass_at_k, metrics.base_pass_at_k)
    assert "pass@1: base 100.00%, base + plus 50.00%" in str(again)


def test_eval_prints_base_and_plus_side_by_side_at_80_columns(
    plus_data: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "eval", "humaneval", "--solutions", str(plus_data["samples"]), "--variant", "plus",
        "--data", str(plus_data["data"]), "--measure", "none", "--timing-tests", "given",
        "--option", f"cache_dir={tmp_path / 'cache'}", "--out", str(tmp_path / "run"),
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    # every line fits 80 columns, except a path printed whole to be copied (never broken)
    assert max(len(line) for line in out.splitlines() if str(tmp_path) not in line) <= 80
    text = " ".join(out.split())
    assert "pass@1 base tests │ 100.00%" in text
    assert "pass@1 base + plus │ 50.00%" in text
    written = Path(str(plus_data["samples"])).with_name("samples_eval_results.json")  # EvalPlus's
    results = json.loads(written.read_text())["eval"]
    half = results["HumanEval/900"][0]
    assert (half["base_status"], half["plus_status"]) == ("pass", "fail")
    assert half["plus_fail_tests"] == [[1000]]
    assert main([*argv, "--json"]) == 0  # resumed: nothing judged again
    figures = json.loads(capsys.readouterr().out)
    assert figures["base_pass_at_k"] == {"pass@1": 1.0} and figures["pass_at_k"] == {"pass@1": 0.5}
    assert main(["report", str(tmp_path / "run")]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "run: pass@k (EvalPlus)" in shown and "pass@1 │ 100.00 │ 50.00" in shown
    assert main(["report", str(tmp_path / "run"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["base_pass_at_k"] == {"pass@1": 1.0}


def test_percent_opt_comes_with_its_counts(tmp_path: Path) -> None:
    metrics = perfcodegen.evaluate(
        "humaneval", "reference", out=tmp_path / "run", problems=["HumanEval/0", "HumanEval/2"],
        repeats=3, show_progress=False, timing_tests="given",
    )
    final = metrics.final
    assert final is not None and final.problems == 2 and final.opt_problems == 2
    assert 0 <= final.optimized <= 2 and final.speedup is not None
    assert f"({final.optimized} of 2)" in str(metrics)
    assert metrics.base_pass_at_k is None  # no plus tests: pass@k is the base figure


@pytest.mark.parametrize(
    ("setting", "value"), [("measure", "fast"), ("repeats", "many"), ("workers", "two")]
)
def test_a_bad_setting_value_is_a_perfcodegen_error(setting: str, value: str) -> None:
    with pytest.raises(PerfCodegenError, match=f"^{setting}: ") as raised:
        perfcodegen.evaluate("humaneval", **{setting: value})
    assert "pydantic" not in str(raised.value) and "\n" not in str(raised.value)


def test_a_bad_selection_value_is_a_perfcodegen_error() -> None:
    with pytest.raises(PerfCodegenError, match=r"^limit: "):
        perfcodegen.load("humaneval", limit="some")


def test_report_of_a_folder_that_is_no_run_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(PerfCodegenError, match="not a perfcodegen run"):
        perfcodegen.report(tmp_path)
