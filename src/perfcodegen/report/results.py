"""A run's figures as one typed object (as inspect_ai returns an `EvalLog`): what
`perfcodegen.evaluate`, `perfcodegen.run` and `perfcodegen.report(run_dir)` return.

    metrics = perfcodegen.report("runs/mine")
    metrics.pass_at_k["pass@1"]        # on every test (base + plus on HumanEval+)
    metrics.base_pass_at_k             # EvalPlus's base figure, when there are plus tests
    metrics.best_k[-1].base.opt_pct    # %Opt at the largest k, with its counts
    print(metrics)                     # the headline figures, one per line
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perfcodegen.errors import PerfCodegenError
from perfcodegen.metrics.bestk import BestKMetrics
from perfcodegen.metrics.samples import SampleSummary
from perfcodegen.report.build import BestKRow, RunReport


@dataclass(frozen=True)
class RunMetrics:
    """The figures of one run directory (finished problems only)."""

    run_dir: Path
    benchmark: str
    model: str
    method: str
    problems: int
    """Problems scored (finished without an error)."""
    samples: SampleSummary
    """Per-sample figures: pass@k, verdict counts, timed samples against the reference."""
    base_pass_at_k: dict[str, float] | None
    """pass@k on the benchmark's base tests alone, when it has EvalPlus's plus tests (then
    `pass_at_k` is EvalPlus's base + plus figure)."""
    best_k: list[BestKRow]
    """Table I per k: %Correct, %Opt (`optimized` of `opt_problems`), Speedup, Base and the
    method."""
    report: RunReport
    """Everything `perfcodegen report --json` prints (ECCO tables, costs, definitions)."""
    errors: dict[str, str] = field(default_factory=dict)
    """Problems that ended in an error (id -> message): not scored."""
    notes: list[str] = field(default_factory=list)
    done: int = 0
    """Problems finished by the call that returned this (0 for `perfcodegen.report`)."""

    @property
    def pass_at_k(self) -> dict[str, float]:
        return self.samples.pass_at_k

    @property
    def final(self) -> BestKMetrics | None:
        """The method's view at the largest k (Base for runs without refinements)."""
        if not self.best_k:
            return None
        row = self.best_k[-1]
        return row.method or row.base

    @property
    def opt_pct(self) -> float | None:
        return self.final.opt_pct if self.final else None

    @property
    def speedup(self) -> float | None:
        return self.final.speedup if self.final else None

    def __str__(self) -> str:
        lines = [f"{self.run_dir}: {self.benchmark}, {self.method}, {self.problems} problem(s) scored"]
        for name, value in self.pass_at_k.items():
            base = (self.base_pass_at_k or {}).get(name)
            shown = f"base {100 * base:.2f}%, base + plus {100 * value:.2f}%" if base is not None else f"{100 * value:.2f}%"
            lines.append(f"{name}: {shown}")
        if (final := self.final) is not None:
            lines.append(
                f"Best@{final.k}: %Correct {final.correct_pct:.2f}, %Opt {final.opt_pct:.2f} "
                f"({final.optimized} of {final.opt_problems}), Speedup "
                + (f"{final.speedup:.3f}" if final.speedup is not None else "n/a")
            )
        if self.errors:
            lines.append(f"{len(self.errors)} problem(s) ended in an error (not scored)")
        return "\n".join(lines)


def run_metrics(run_dir: Path, ks: Sequence[int] | None = None, *, notes: Sequence[str] = (),
                done: int = 0, errors: dict[str, str] | None = None) -> RunMetrics:  # fmt: skip
    """The figures of `run_dir` (`ks`: Best@k budgets, default 1, 8, 20 up to k)."""
    from perfcodegen.metrics.run import load_run
    from perfcodegen.metrics.samples import sample_summary
    from perfcodegen.report.build import build_run_reports
    from perfcodegen.report.failures import base_pass_at_k, run_checks

    run = load_run(Path(run_dir))
    report = build_run_reports([run], list(ks) if ks else None)[0]
    try:
        base = base_pass_at_k(run_checks(Path(run_dir))[1])
    except PerfCodegenError:  # the benchmark cannot be loaded here: no base/plus split
        base = None
    return RunMetrics(
        run_dir=Path(run_dir),
        benchmark=report.benchmark,
        model=report.model,
        method=report.method,
        problems=report.problems,
        samples=sample_summary(run.outcomes),
        base_pass_at_k=base,
        best_k=report.best_k,
        report=report,
        errors={**report.errors, **(errors or {})},
        notes=[*notes, *report.notes],
        done=done,
    )
