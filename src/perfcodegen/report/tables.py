"""Reports as plain tables of strings, rendered alike on the terminal, in Markdown and HTML."""

from __future__ import annotations

from dataclasses import dataclass, field

from perfcodegen.metrics.bestk import DECISIONS, BestKMetrics
from perfcodegen.metrics.cost import Cost
from perfcodegen.metrics.ecco import EditMetrics, GenerationMetrics
from perfcodegen.metrics.stats import ConfidenceInterval, ZTest
from perfcodegen.report.build import BestKRow, CompareReport, EccoEntry, RunReport

MISSING = "–"


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def fmt(value: float | None, digits: int = 2) -> str:
    return MISSING if value is None else f"{value:.{digits}f}"


def fmt_delta(value: float | None) -> str:
    return "" if value is None else f" ({value:+.2f})"


def fmt_z(test: ZTest | None) -> str:
    return MISSING if test is None else f"z={test.z:.3f} p={test.p_value:.3g}"


def fmt_ci(interval: ConfidenceInterval | None) -> str:
    return MISSING if interval is None else f"[{interval.low:.2f}, {interval.high:.2f}]"


def _best_k_cells(metrics: BestKMetrics, base: BestKMetrics | None) -> list[str]:
    opt_delta = None if base is None else metrics.opt_pct - base.opt_pct
    correct_delta = None if base is None else metrics.correct_pct - base.correct_pct
    return [
        fmt(metrics.opt_pct) + fmt_delta(opt_delta),
        fmt(metrics.correct_pct) + fmt_delta(correct_delta),
        fmt(metrics.speedup),
        fmt(metrics.pass_at_k_pct),
        fmt_decisions(metrics.decisions),
    ]


def fmt_decisions(counts: dict[str, int]) -> str:
    """'optimized / not / undecided / unresolved' counts beside the point-estimate %Opt."""
    if not counts or counts.get("no interval", 0) == sum(counts.values()):
        return MISSING
    cells = [counts.get(name, 0) for name in DECISIONS[:4]]
    untimed = counts.get("no interval", 0)
    return " / ".join(map(str, cells)) + (f" (+{untimed} untimed)" if untimed else "")


def ratio_table(report: RunReport) -> Table | None:
    """Per problem: the final program's time / the fastest reference's, 95% interval, decision."""
    rows = [
        [s.problem_id, f"{s.ratio[0]:.3f}", f"[{s.ratio[1]:.3f}, {s.ratio[2]:.3f}]",
         s.decision or MISSING, str(s.rounds or MISSING)]
        if s.ratio is not None
        else [s.problem_id, MISSING, MISSING, s.decision or s.timing_failure or MISSING,
              str(s.rounds or MISSING)]
        for s in report.ratios
        if s.decision is not None or s.timing_failure is not None
    ]  # fmt: skip
    if not rows:
        return None
    columns = ["Problem", "ratio", "95% interval", "%Opt decision", "rounds"]
    note = "ratio: final program's time / the fastest reference's (below 0.9: optimized)."
    return Table(f"{report.name}: per-problem ratios with 95% intervals", columns, rows, [note])


def best_k_table(report: RunReport) -> Table:
    """Table I, one block of rows per k (Base, then the method with its gain over Base), so
    that any number of budgets stays as narrow as one."""
    columns = ["Method", "k", "%Opt (Δ vs Base)", "%Correct (Δ vs Base)", "Speedup", "pass@k",
               "%Opt decisions o/n/u/r"]  # fmt: skip
    rows: list[list[str]] = []
    for row in report.best_k:
        rows.append(["Base", str(row.k), *_best_k_cells(row.base, None)])
        if row.method is not None:
            rows.append([report.method, str(row.k), *_best_k_cells(row.method, row.base)])
    return Table(f"{report.name}: Best@k (Table I)", columns, rows, _significance(report.best_k))


def errors_table(report: RunReport) -> Table:
    """Problems that ended in an error, apart from the scored ones."""
    rows = [[problem_id, message] for problem_id, message in sorted(report.errors.items())]
    note = "Not scored; rerun the same command to retry them (finished problems are kept)."
    return Table(f"{report.name}: {len(rows)} errored problem(s)", ["Problem", "Error"], rows, [note])


def _significance(rows: list[BestKRow]) -> list[str]:
    lines = [
        f"k={row.k}: Base vs method, %Opt {fmt_z(row.opt_test)}; %Correct {fmt_z(row.correct_test)}"
        for row in rows
        if row.opt_test is not None
    ]
    if lines:
        lines.append(
            "Pooled two-proportion z-test (Section VIII-E); negative z: the method is better."
        )
    return lines


def edit_columns() -> list[str]:
    return ["pass@1", "speedup", "memory reduction", "%runtime opt", "%memory opt", "pairs"]


def generation_columns() -> list[str]:
    return ["pass@1", "runtime%", "memory%", "programs"]


def edit_cells(e: EditMetrics) -> list[str]:
    return [
        fmt(e.pass_at_1_pct),
        fmt(e.speedup),
        fmt(e.memory_reduction),
        fmt(e.runtime_optimized_pct),
        fmt(e.memory_optimized_pct),
        str(e.speedup_pairs),
    ]


def generation_cells(g: GenerationMetrics) -> list[str]:
    return [fmt(g.pass_at_1_pct), fmt(g.runtime_pct), fmt(g.memory_pct), str(g.runtime_programs)]


def ecco_cells(entry: EccoEntry) -> list[str]:
    if entry.edit is not None:
        return edit_cells(entry.edit)
    return generation_cells(entry.generation) if entry.generation is not None else []


def cost_table(costs: dict[str, Cost]) -> Table:
    columns = ["Run", "problems", "calls", "per prob.", "tok in", "tok out"]
    rows = [
        [
            name,
            str(c.problems),
            str(c.model_calls),
            fmt(c.calls_per_problem),
            str(c.prompt_tokens),
            str(c.completion_tokens),
        ]
        for name, c in costs.items()
    ]
    return Table("Cost", columns, rows)


def definitions_table(report: RunReport) -> Table | None:
    """The same run scored under each published definition (paper vs released code)."""
    if report.best_k_definitions:
        rows = [
            [str(r.k), r.definition, fmt(r.opt_pct), fmt(r.correct_pct), fmt(r.speedup)]
            for r in report.best_k_definitions
        ]
        columns = ["k", "definition", "%Opt", "%Correct", "Speedup"]
        return Table(f"{report.name}: {report.method} under each definition", columns, rows)
    if report.percentile_definitions:
        rows = [
            [r.definition, fmt(r.runtime_pct), fmt(r.memory_pct)]
            for r in report.percentile_definitions
        ]
        columns = ["definition", "runtime%", "memory%"]
        return Table(f"{report.name}: ECCO percentiles under each definition", columns, rows)
    return None


def run_tables(report: RunReport) -> list[Table]:
    tables = []
    if report.best_k:
        tables.append(best_k_table(report))
    if report.edit is not None:
        title = f"{report.name}: history-based editing (ECCO)"
        tables.append(Table(title, edit_columns(), [edit_cells(report.edit)]))
    if report.generation is not None:
        title = f"{report.name}: NL-instructed generation (ECCO)"
        tables.append(Table(title, generation_columns(), [generation_cells(report.generation)]))
    if (definitions := definitions_table(report)) is not None:
        tables.append(definitions)
    if (ratios := ratio_table(report)) is not None:
        tables.append(ratios)
    tables.append(cost_table({report.name: report.cost}))
    tables[-1].notes.extend(report.notes)
    if report.errors:
        tables.append(errors_table(report))
    return tables


def compare_tables(report: CompareReport) -> list[Table]:
    tables = []
    for at_k in report.best_k:
        subset = f", common subset of {at_k.subset_size}" if at_k.subset_size is not None else ""
        main = ["Run", "Method", "%Opt (Δ vs first)", "%Correct (Δ vs first)", "Speedup"]
        rows = [
            [
                e.run,
                e.method,
                fmt(e.metrics.opt_pct) + fmt_delta(e.opt_delta),
                fmt(e.metrics.correct_pct) + fmt_delta(e.correct_delta),
                fmt(e.metrics.speedup),
            ]
            for e in at_k.entries
        ]
        tables.append(Table(f"Best@{at_k.k} (Table II style{subset})", main, rows))
        # Significance in a table of its own: side by side the two do not fit a page or
        # an 80-column terminal.
        tests = ["Run", "%Opt z-test", "%Correct z-test", "%Opt CI", "%Correct CI", "Speedup CI"]
        rows = [
            [
                e.run,
                fmt_z(e.opt_test),
                fmt_z(e.correct_test),
                fmt_ci(e.opt_ci),
                fmt_ci(e.correct_ci),
                fmt_ci(e.speedup_ci),
            ]
            for e in at_k.entries
        ]
        tables.append(Table(f"Best@{at_k.k}: tests against the first run, 95% CIs", tests, rows))
    for paradigm, title, columns in (
        ("edit", "History-based editing (ECCO)", edit_columns()),
        ("nl2code", "NL-instructed generation (ECCO)", generation_columns()),
    ):
        entries = [e for e in report.ecco if e.paradigm == paradigm]
        if entries:
            rows = [[e.run, e.method, *ecco_cells(e), fmt_z(e.pass_test)] for e in entries]
            tables.append(Table(title, ["Run", "Method", *columns, "pass@1 z-test"], rows))
    tables.append(cost_table(report.costs))
    tables[-1].notes.extend(report.notes)
    return tables
