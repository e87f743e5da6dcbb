"""Do two sweeps of the same samples agree? %Opt decisions, ratios and CPU, side by side.

Judges the same samples (GPT-4's HumanEval generations, LDB seeds) twice per setting, each
sweep in a fresh run directory with the reference cache off (`cache=False`), one sweep after
the other on the same machine, and prints per setting:

- decided agreement: of the problems whose candidate is decided (optimized / not optimized)
  in both sweeps, the share with the same decision; flips are the others;
- undecided and unresolved candidates per sweep (unresolved: no test above the harness's
  resolution), and the paper's point-estimate %Opt with its agreement between sweeps;
- the median and p90 over problems of the ratio difference between sweeps, |r1/r2 - 1| of
  the interval's centre (time / the fastest reference's);
- CPU seconds per sweep (this process and its reaped children: the fork servers and every
  run they forked) and wall seconds.

Settings: `given-fixed` (given tests, E=12: today's default and the paper protocols),
`given` (given tests, adaptive rounds), `stress` (ENAMEL's stress inputs, adaptive: the
default). Stress inputs are built once before the sweeps (their disk cache is not a judge
cache: it holds inputs and expected values, never timings).

    python bench/replication.py [--limit N] [--workers 2] [--settings given-fixed,given,stress]

Targets (issue 21): decided agreement >= 99.5%; <= 5% undecided with stress; median ratio
difference <= 2%, p90 <= 5%; default-settings CPU <= 3x given-fixed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from perfcodegen import api
from perfcodegen.metrics.run import load_run
from perfcodegen.problems._io import shared_data_dir

SAMPLES = "llm_samples/ldb_seeds/humaneval/gpt-4-1106-preview/seed.jsonl"
SETTINGS: dict[str, dict[str, Any]] = {
    "given-fixed": {"timing_tests": "given", "rounds": "fixed", "repeats": 12},
    "given": {"timing_tests": "given", "rounds": "adaptive"},
    "stress": {"timing_tests": "stress", "rounds": "adaptive"},
}
DECIDED = ("optimized", "not_optimized")


@dataclass
class Sweep:
    cpu_s: float
    wall_s: float
    figures: dict[str, dict[str, Any]]
    """Problem id -> the sample's decision, ratio, point ratio, pass."""


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def sweep(samples: Path, out: Path, common: dict[str, Any], setting: dict[str, Any]) -> Sweep:
    cpu, wall = cpu_now(), time.perf_counter()
    await api.aevaluate("humaneval", samples, out=out, cache=False, **common, **setting)
    cpu, wall = cpu_now() - cpu, time.perf_counter() - wall
    figures: dict[str, dict[str, Any]] = {}
    for outcome in load_run(out).outcomes:
        for c in outcome.candidates:
            point = (
                c.time_s / outcome.reference_time_s
                if c.time_s and outcome.reference_time_s
                else None
            )
            figures[outcome.problem_id] = {
                "correct": c.correct, "decision": c.decision, "ratio": c.ratio,
                "point": point, "level": outcome.timed_level, "failure": c.timing_failure,
            }  # fmt: skip
    return Sweep(cpu, wall, figures)


def percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def compare(first: Sweep, second: Sweep) -> dict[str, Any]:
    both = [p for p in first.figures if p in second.figures and first.figures[p]["correct"]]
    pairs = [(first.figures[p], second.figures[p]) for p in both]
    decided = [(a, b) for a, b in pairs if a["decision"] in DECIDED and b["decision"] in DECIDED]
    agree = sum(a["decision"] == b["decision"] for a, b in decided)
    diffs = [abs(a["ratio"] / b["ratio"] - 1) for a, b in pairs if a["ratio"] and b["ratio"]]
    points = [(a["point"], b["point"]) for a, b in pairs if a["point"] and b["point"]]
    point_agree = sum((x < 0.9) == (y < 0.9) for x, y in points)

    def count(decision: str, sweep_figures: list[dict[str, Any]]) -> int:
        return sum(f["decision"] == decision for f in sweep_figures)

    firsts, seconds = [a for a, _ in pairs], [b for _, b in pairs]
    differing = [
        f"{p}: {a['decision']} {a['ratio'] or 0:.3f} L{a['level']} / "
        f"{b['decision']} {b['ratio'] or 0:.3f} L{b['level']}"
        for p, (a, b) in zip(both, pairs, strict=False)
        if a["decision"] != b["decision"]
        or (a["ratio"] and b["ratio"] and abs(a["ratio"] / b["ratio"] - 1) > 0.05)
    ]
    return {
        "differing": differing,
        "correct": len(pairs),
        "decided_both": len(decided),
        "decided_agreement": agree / len(decided) if decided else None,
        "flips": len(decided) - agree,
        "undecided": (count("undecided", firsts), count("undecided", seconds)),
        "unresolved": (count("unresolved", firsts), count("unresolved", seconds)),
        "optimized": (count("optimized", firsts), count("optimized", seconds)),
        "timing_failed": (
            sum(bool(f["failure"]) for f in firsts),
            sum(bool(f["failure"]) for f in seconds),
        ),
        "point_opt": (sum(x < 0.9 for x, _ in points), sum(y < 0.9 for _, y in points)),
        "point_agreement": point_agree / len(points) if points else None,
        "ratio_diff_median": statistics.median(diffs) if diffs else None,
        "ratio_diff_p90": percentile(diffs, 0.9),
        "ratio_pairs": len(diffs),
        "cpu_s": (first.cpu_s, second.cpu_s),
        "wall_s": (first.wall_s, second.wall_s),
    }


def show(name: str, row: dict[str, Any]) -> None:
    def pct(value: float | None) -> str:
        return "-" if value is None or math.isnan(value) else f"{100 * value:.1f}%"

    correct = row["correct"] or 1
    print(f"\n[{name}] {row['correct']} correct programs in both sweeps")
    print(
        f"  decided agreement   {pct(row['decided_agreement'])} of {row['decided_both']} "
        f"decided in both ({row['flips']} flips)"
    )
    print(
        f"  undecided           {row['undecided'][0]}, {row['undecided'][1]} "
        f"({pct(max(row['undecided']) / correct)} at most)"
    )
    print(f"  unresolved          {row['unresolved'][0]}, {row['unresolved'][1]}")
    print(f"  optimized (decided) {row['optimized'][0]}, {row['optimized'][1]}")
    print(f"  timing failed       {row['timing_failed'][0]}, {row['timing_failed'][1]}")
    print(
        f"  point %Opt          {row['point_opt'][0]}, {row['point_opt'][1]} "
        f"(agreement {pct(row['point_agreement'])})"
    )
    print(
        f"  ratio difference    median {pct(row['ratio_diff_median'])}, "
        f"p90 {pct(row['ratio_diff_p90'])} over {row['ratio_pairs']} problems"
    )
    print(f"  CPU per sweep       {row['cpu_s'][0]:.1f} s, {row['cpu_s'][1]:.1f} s "
          f"(wall {row['wall_s'][0]:.1f} s, {row['wall_s'][1]:.1f} s)")  # fmt: skip
    for line in row["differing"]:
        print(f"    differs: {line}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N problems (default all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settings", default="given-fixed,given,stress")
    parser.add_argument("--samples", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--shared", type=Path, default=shared_data_dir(), help="shared data dir")
    args = parser.parse_args()
    shared = args.shared
    samples = args.samples or (shared / SAMPLES if shared else None)
    if samples is None or not samples.exists():
        raise SystemExit("no samples: pass --samples PATH (a JSONL of task_id, solution rows)")
    common: dict[str, Any] = {"limit": args.limit, "workers": args.workers, "show_progress": False}
    if shared is not None:
        common["load_options"] = {"enamel": str(shared / "enamel")}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="replication-") as scratch:
        # Stress inputs and expected values, built (or read from their cache) before timing.
        await api.aevaluate("humaneval", samples, out=Path(scratch) / "warm", cache=False,
                            **common, timing_tests="stress", measure="none")  # fmt: skip
        for name in args.settings.split(","):
            sweeps = [
                await sweep(samples, Path(scratch) / f"{name}-{i}", common, SETTINGS[name])
                for i in range(2)
            ]
            results[name] = compare(*sweeps)
            show(name, results[name])
    if "given-fixed" in results and "stress" in results:
        base = statistics.fmean(results["given-fixed"]["cpu_s"])
        cost = statistics.fmean(results["stress"]["cpu_s"])
        print(f"\ndefault (stress, adaptive) CPU / given-fixed CPU: {cost / base:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({**results, "limit": args.limit}, indent=2, default=asdict))


if __name__ == "__main__":
    asyncio.run(main())
