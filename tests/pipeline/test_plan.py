"""One plan of a run (`perfcodegen.plan`): the CLI and the API derive the same config from
the same settings; `rescore` finds every job of a run whose tests include stress tests; a
backend refuses a timing mode it cannot run instead of running it somewhere else."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest

import perfcodegen
from perfcodegen.backends.judge0 import Judge0Backend
from perfcodegen.cli import main
from perfcodegen.config import RunConfig, RuntimeOptions
from perfcodegen.errors import PerfCodegenError
from perfcodegen.judge import Judge, JudgeConfig, MeasureMode
from perfcodegen.judge.backend import UnsupportedMode
from perfcodegen.plan import plan_run
from perfcodegen.problems.humaneval import load_base
from perfcodegen.rescore import rescore
from perfcodegen.store import RunStore
from perfcodegen.vocabulary import Measure, stress_level

SETTINGS = {"method": "base", "k": 1, "measure": "none", "problems": ["HumanEval/0"],
            "max_references": 0, "temperature": 0.2, "timing_tests": "given"}  # fmt: skip
ARGV = ["--method", "base", "-k", "1", "--measure", "none", "--problems", "HumanEval/0",
        "--max-references", "0", "--temperature", "0.2", "--timing-tests", "given"]  # fmt: skip


def _config_without_name(run_dir: Path) -> dict[str, object]:
    saved = json.loads((run_dir / "config.json").read_text())
    return {k: v for k, v in saved.items() if k != "name"}


def test_the_cli_and_the_api_give_the_same_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "humaneval", "-m", "mock/m", *ARGV, "--out", "cli", "--json"]) == 0
    api = perfcodegen.run("humaneval", model="mock/m", out="api", show_progress=False, **SETTINGS)
    assert _config_without_name(tmp_path / "cli") == _config_without_name(api.run_dir)
    saved = RunConfig.model_validate(json.loads((tmp_path / "cli" / "config.json").read_text()))
    assert saved.measurement.max_references is None  # 0: every reference, on both paths
    # Without --out both name the same default folder: the API resumes the CLI's run.
    assert main(["run", "humaneval", "-m", "mock/m", *ARGV, "--json"]) == 0
    again = perfcodegen.run("humaneval", model="mock/m", show_progress=False, **SETTINGS)
    assert (again.done, again.skipped) == (0, 1)
    capsys.readouterr()


def _enamel_csv(path: Path) -> Path:
    """ENAMEL's layout for HumanEval/0 with a small generator at three size levels."""
    problem = load_base(None)[0]
    generator = (
        "def generate_input(size, lid, cid):\n"
        "    return [random.random() for _ in range(size)], 0.3\n"
    )
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["task_id", "prompt", "input_generator", "input_levels",
                         "reference_solution", "checker", "entry_point"])  # fmt: skip
        writer.writerow([problem.native_id, problem.prompt.rstrip("\n"), generator, "2 4 8",
                         problem.references[0][len(problem.prompt):], "", problem.entry_point])  # fmt: skip
    return path


def test_rescore_of_an_enamel_run_finds_every_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ENAMEL's stress tests are part of its tests, and they need larger output limits: both
    enter every job's key, so rescore must plan the run exactly as the run did."""
    data = _enamel_csv(tmp_path / "enamel.csv")
    out = tmp_path / "run"
    argv = ["eval", "enamel", "--data", str(data), "--solutions", "reference", "--repeats", "2",
            "--measure", "wall", "--out", str(out), "--json"]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    config = RunConfig.model_validate(json.loads((out / "config.json").read_text()))
    plan = plan_run(config, RuntimeOptions(out=out), stored=True)
    assert any(stress_level(t) is not None for t in plan.problems[0].tests)
    with RunStore(out) as store:
        before = [p.result for p in store.problems()]
    assert asyncio.run(rescore(out)) == 1  # a missing job would raise
    with RunStore(out) as store:
        assert [p.result for p in store.problems()] == before


def test_a_backend_refuses_a_measure_it_cannot_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["eval", "humaneval", "--problems", "HumanEval/0", "--backend", "judge0",
            "--judge0-url", "http://127.0.0.1:9", "--isolation", "partial",
            "--measure", "instructions", "--out", str(out)]  # fmt: skip
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "cannot run 'instructions' jobs" in error and "Traceback" not in error
    assert not out.exists()  # refused before the run folder is written


def test_the_judge_refuses_a_job_mode_its_backend_lacks() -> None:
    (problem,) = perfcodegen.load("humaneval", problems=["HumanEval/0"])

    async def go() -> None:
        judge = Judge(JudgeConfig(), backend=Judge0Backend("http://127.0.0.1:9"))
        job = judge.make_job(problem.references[:1], problem, MeasureMode.INSTRUCTIONS)
        try:
            with pytest.raises(UnsupportedMode, match="instructions"):
                await judge.run(job)
        finally:
            await judge.aclose()

    asyncio.run(go())
    assert issubclass(UnsupportedMode, PerfCodegenError)


def test_measure_names_its_job_mode_and_unit() -> None:
    assert [(m.mode, m.unit) for m in Measure] == [
        (MeasureMode.PAIRED, "s"), (MeasureMode.WALL, "s"),
        (MeasureMode.INSTRUCTIONS, "instructions"), (None, ""),
    ]  # fmt: skip
    assert RunConfig(name="n", benchmark="humaneval", model="m", measure="wall").measurement.measure is Measure.WALL
