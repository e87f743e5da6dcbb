"""What `optimize` leaves behind: a markdown report, a unified diff (patch), and `--apply`."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from perfcodegen.optimize.loop import OptimizeResult


def unified_diff(result: OptimizeResult) -> str:
    if result.new_source is None:
        return ""
    name = result.target.path.name
    return "".join(
        difflib.unified_diff(
            result.target.source.splitlines(keepends=True),
            result.new_source.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )


def render_markdown(result: OptimizeResult) -> str:
    target = result.target
    lines = [f"# perfcodegen optimize: `{target.path.name}::{target.function}`", ""]
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(result.input_counts.items()))
    lines += [
        f"Inputs checked (original vs candidate, results and arguments after the call): {counts}.",
        "",
    ]
    lines += ["## Attempts", "", "| round | outcome | detail |", "|---|---|---|"]
    for attempt in result.attempts:
        detail = attempt.detail.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {attempt.round + 1} | {attempt.outcome} | {detail[:300]} |")
    lines.append("")
    if not result.found:
        lines += ["**No verified faster version was found.** The file is unchanged.", ""]
        return "\n".join(lines)
    lines += ["## Speedup per size (paired timing, CPU time of one call)", ""]
    lines += ["| input | original (ms) | candidate (ms) | speedup |", "|---|---:|---:|---:|"]
    for timing in result.timings:
        lines.append(
            f"| {timing.label} | {1000 * timing.original_s:.3f} | {1000 * timing.candidate_s:.3f} "
            f"| {timing.speedup:.2f}x |"
        )
    lines.append("")
    if result.growth_original and result.growth_candidate:
        lines += [
            "## Growth",
            "",
            f"- original: {result.growth_original.label()} ({result.growth_original.describe()})",
            f"- candidate: {result.growth_candidate.label()} ({result.growth_candidate.describe()})",
            "",
        ]
    lines += ["## Diff", "", "```diff", unified_diff(result).rstrip("\n"), "```", ""]
    return "\n".join(lines)


def write_outputs(result: OptimizeResult, out: Path) -> tuple[Path, Path | None]:
    """`<out>/report.md` and, when a version was accepted, `<out>/<file>.patch`."""
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.md"
    report.write_text(render_markdown(result), encoding="utf-8")
    if not result.found:
        return report, None
    patch = out / f"{result.target.path.stem}.{result.target.function}.patch"
    patch.write_text(unified_diff(result), encoding="utf-8")
    return report, patch


def apply(result: OptimizeResult) -> Path:
    """Write the accepted version into the user's file, keeping `<file>.orig` as a backup."""
    if result.new_source is None:
        raise ValueError("nothing to apply")
    path = result.target.path
    backup = path.with_name(path.name + ".orig")
    shutil.copy2(path, backup)
    path.write_text(result.new_source, encoding="utf-8")
    return backup
