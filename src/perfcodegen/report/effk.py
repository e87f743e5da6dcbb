"""ENAMEL's eff@k of a run, kept in its directory (`effk.json`) once `run` has re-timed its
samples, so that `report` (terminal, Markdown and `--json`) shows it with the problems it
rests on and names those left out (a reference that failed a stress level, ...)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfcodegen.efficiency import EfficiencyReport
from perfcodegen.report.tables import Table

EFFK_FILE = "effk.json"


@dataclass(frozen=True)
class EffkSummary:
    metrics: dict[str, float | None]
    """'eff@1', 'pass@1', ... over the problems scored."""
    scored: list[str]
    left_out: dict[str, str] = field(default_factory=dict)
    """Problem id -> why eff@k does not score it."""

    def line(self) -> str:
        """One line: the figures and what they rest on."""
        figures = ", ".join(f"{name} {value:.3f}" for name, value in self.metrics.items() if value is not None)
        total = len(self.scored) + len(self.left_out)
        rests = f"over {len(self.scored)} of {total} problem(s)"
        return f"{figures or 'no problem scored'} ({rests})"

    def left_out_lines(self) -> list[str]:
        return [f"left out of eff@k: {pid} ({why})" for pid, why in sorted(self.left_out.items())]

    def table(self, run_name: str) -> Table:
        rows = [[name, "n/a" if value is None else f"{value:.3f}"] for name, value in self.metrics.items()]
        return Table(
            f"{run_name}: ENAMEL eff@k over {len(self.scored)} problem(s)",
            ["metric", "value"],
            rows,
            self.left_out_lines(),
        )


def summarize(report: EfficiencyReport, ks: Sequence[int]) -> EffkSummary:
    metrics = {f"{name}@{k}": report.metric(name, k) for k in sorted(set(ks)) for name in ("eff", "pass")}
    return EffkSummary(metrics, sorted(p.problem_id for p in report.problems), dict(report.skipped))


def write_effk(run_dir: Path, summary: EffkSummary) -> Path:
    path = Path(run_dir) / EFFK_FILE
    document = {"metrics": summary.metrics, "scored": summary.scored, "left_out": summary.left_out}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def read_effk(run_dir: Path) -> EffkSummary | None:
    """The run's eff@k, if `run` computed it (None otherwise, or if the file is unreadable)."""
    path = Path(run_dir) / EFFK_FILE
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return EffkSummary(
        metrics=dict(document.get("metrics", {})),
        scored=list(document.get("scored", [])),
        left_out=dict(document.get("left_out", {})),
    )
