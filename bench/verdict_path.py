"""The verdict path against EvalPlus: the same samples, the same tests, the same workers.

Judges a samples file on HumanEval+ (or MBPP+) twice, each tool as a user runs it, end to end
in its own process (interpreter start, dataset loading with warm caches, judging, results):
  perfcodegen eval <benchmark> --variant plus --measure none --workers N
  evalplus.evaluate --dataset <benchmark> --parallel N --i-just-wanna-run
and prints both wall times side by side, their ratio, and how often their pass/fail verdicts
(base and plus tests together) agree. EvalPlus's own time is also given up to the moment its
results file is written, without the up-to-20 s its watchdog thread adds at exit.

This script installs nothing. EvalPlus runs from `--evalplus-python` (default: this
interpreter, if `import evalplus` works), e.g. a separate venv with `pip install evalplus`.
Each tool runs once untimed first, so both time a warm dataset cache.

  python bench/verdict_path.py                     # GPT-4 generations, HumanEval+, 2 workers
  python bench/verdict_path.py --evalplus-python /tmp/evp/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from perfcodegen.problems._io import shared_data_dir

SAMPLES = "llm_samples/ldb_seeds/humaneval/gpt-4-1106-preview/seed.jsonl"
DATA = {"humaneval": "humanevalplus/HumanEvalPlus.jsonl.gz", "mbpp": "mbppplus/MbppPlus.jsonl.gz"}
OVERRIDE = {"humaneval": "HUMANEVAL_OVERRIDE_PATH", "mbpp": "MBPP_OVERRIDE_PATH"}


def run_perfcodegen(benchmark: str, data: Path, samples: Path, workers: int, out: Path) -> float:
    command = [
        sys.executable, "-m", "perfcodegen", "eval", benchmark, "--variant", "plus",
        "--data", str(data), "--solutions", str(samples), "--measure", "none",
        "--workers", str(workers), "--out", str(out), "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_evalplus(python: str, benchmark: str, data: Path, samples: Path, workers: int) -> tuple[float, float]:
    """(wall time to exit, wall time to its results file)."""
    results = samples.with_name(samples.stem + "_eval_results.json")
    results.unlink(missing_ok=True)
    env = dict(os.environ, **{OVERRIDE[benchmark]: str(data)})
    command = [
        python, "-m", "evalplus.evaluate", "--dataset", benchmark, "--samples", str(samples),
        "--parallel", str(workers), "--i-just-wanna-run",
    ]  # fmt: skip
    started = time.time()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ended = time.time()
    return ended - started, results.stat().st_mtime - started


def verdicts_evalplus(samples: Path) -> dict[tuple[str, int], bool]:
    results = json.loads(samples.with_name(samples.stem + "_eval_results.json").read_text())
    return {
        (task, index): row["base_status"] == "pass" and row["plus_status"] in ("pass", None)
        for task, rows in results["eval"].items()
        for index, row in enumerate(rows)
    }


def verdicts_ours(run: Path) -> dict[tuple[str, int], bool]:
    from perfcodegen.store import RunStore

    with RunStore(run) as store:
        return {
            (c.problem_id.split("/", 1)[1], c.sample_index): c.verdict == "passed"
            for c in store.candidates()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", choices=sorted(DATA), default="humaneval")
    parser.add_argument("--samples", type=Path, default=None, help=f"default: shared data {SAMPLES}")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--evalplus-python", default=sys.executable)
    args = parser.parse_args()
    shared = shared_data_dir()
    if shared is None and args.samples is None:
        raise SystemExit("needs ../shared/data (or --samples and a local dataset)")
    samples_src = args.samples or (shared / SAMPLES if shared else None)
    data = shared / DATA[args.benchmark] if shared else None
    assert samples_src is not None and data is not None
    probe = subprocess.run([args.evalplus_python, "-c", "import evalplus"], capture_output=True)
    if probe.returncode != 0:
        raise SystemExit(f"evalplus is not importable by {args.evalplus_python}; pass --evalplus-python")
    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples.jsonl"
        samples.write_text(samples_src.read_text())
        rows = len(samples.read_text().splitlines())
        # Warm both dataset caches (expected outputs), untimed.
        run_perfcodegen(args.benchmark, data, samples, args.workers, Path(tmp) / "warm")
        run_evalplus(args.evalplus_python, args.benchmark, data, samples, args.workers)
        ours = run_perfcodegen(args.benchmark, data, samples, args.workers, Path(tmp) / "run")
        theirs, theirs_results = run_evalplus(args.evalplus_python, args.benchmark, data, samples, args.workers)
        a, b = verdicts_ours(Path(tmp) / "run"), verdicts_evalplus(samples)
    common = sorted(set(a) & set(b))
    agree = sum(a[key] == b[key] for key in common)
    print(f"{args.benchmark}+: {rows} samples, {args.workers} workers, warm caches, end to end")
    print(f"perfcodegen eval (verdicts only)   {ours:8.1f} s")
    print(f"evalplus.evaluate                  {theirs:8.1f} s   (results written at {theirs_results:.1f} s)")
    print(f"ratio perfcodegen / evalplus        {ours / theirs:8.2f}   (to its results: {ours / theirs_results:.2f}; goal <= 1.0)")
    print(f"pass: perfcodegen {sum(a.values())}, evalplus {sum(b.values())}; "
          f"agreement {agree}/{len(common)} ({100 * agree / max(1, len(common)):.2f}%)")  # fmt: skip
    for key in common:
        if a[key] != b[key]:
            print(f"    {key[0]} #{key[1]}: perfcodegen {'pass' if a[key] else 'fail'}, evalplus {'pass' if b[key] else 'fail'}")


if __name__ == "__main__":
    main()
