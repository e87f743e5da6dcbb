"""Figures for the HTML report, drawn by matplotlib and inlined as SVG.

Why matplotlib (SVG) rather than plotly: the report is meant to read like a paper's appendix
and to work offline as one small file. SVG from matplotlib needs no JavaScript (plotly would
inline ~4 MB of it per report), prints and zooms sharply, and uses the same typography as
the figures researchers already put in papers. Everything goes through `Figure` objects (no
pyplot state), so drawing is safe in any process.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec

from perfcodegen.errors import MissingExtraError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PALETTE = ("#0b4f8a", "#c0392b", "#2e8b57", "#7d3c98", "#d68910", "#5d6d7e")
STYLE: dict[str, Any] = {
    "font.family": "serif",
    "font.serif": ["DejaVu Serif"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6,
    "svg.fonttype": "none",  # text stays text: selectable, small
    "svg.hashsalt": "perfcodegen",  # stable ids: the same data draws the same file
}
WIDTH_IN, HEIGHT_IN = 6.0, 2.8
P = ParamSpec("P")


def _figure(columns: int = 1) -> tuple[Figure, list[Axes]]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, list(axes)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: inlined in HTML
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)


def _styled(draw: Callable[P, str]) -> Callable[P, str]:
    """Draw under the report's style (serif, light grid, text kept as SVG text)."""

    @functools.wraps(draw)
    def styled(*args: P.args, **kwargs: P.kwargs) -> str:
        try:
            from matplotlib import rc_context
        except ImportError as exc:
            raise MissingExtraError("matplotlib", "report") from exc
        with rc_context(STYLE):  # type: ignore[arg-type]
            return draw(*args, **kwargs)

    return styled


@_styled
def k_curves(ks: Sequence[int], series: Mapping[str, Mapping[str, Sequence[float]]]) -> str:
    """%Correct and %Opt against k, one line per view (e.g. Base, perfcodegen)."""
    figure, axes = _figure(2)
    for axis, metric in zip(axes, ("%Correct", "%Opt"), strict=True):
        for index, (label, values) in enumerate(series.items()):
            style = "--" if label == "Base" else "-"
            axis.plot(
                ks,
                values[metric],
                style,
                marker="o",
                markersize=4,
                color=PALETTE[index % len(PALETTE)],
                label=label,
            )
        axis.set_xlabel("k (samples)")
        axis.set_ylabel(metric)
        axis.set_ylim(0, 100)
        axis.set_xticks(list(ks))
        axis.set_title(f"{metric}@k")
    axes[0].legend(loc="lower right")
    return _svg(figure)


def _empty(figure: Any, axis: Any) -> str:
    """A figure that says it has nothing to show (never a blank plot)."""
    axis.text(0.5, 0.5, "no solved problem with timings", ha="center", va="center",
              transform=axis.transAxes)  # fmt: skip
    return _svg(figure)


@_styled
def speedup_histogram(speedups: Mapping[str, Sequence[float]], opt_threshold: float) -> str:
    """Per-problem speedups (reference time / program time) on a log2 axis; one step
    histogram per run, with 1x and the %Opt threshold marked."""
    figure, (axis,) = _figure()
    values = [v for series in speedups.values() for v in series if v > 0]
    if not values:
        return _empty(figure, axis)
    # Quarter-octave bins centred on round ratios (1x sits mid-bin), at least 0.5x to 2x.
    low = min(-1.0, math.floor(min(math.log2(v) for v in values) * 4) / 4) - 0.125
    high = max(1.0, math.ceil(max(math.log2(v) for v in values) * 4) / 4) + 0.125
    bins = [2 ** (low + step * 0.25) for step in range(round((high - low) / 0.25) + 1)]
    for index, (label, series) in enumerate(speedups.items()):
        axis.hist(
            [v for v in series if v > 0],
            bins=bins,
            histtype="stepfilled" if len(speedups) == 1 else "step",
            color=PALETTE[index % len(PALETTE)],
            alpha=0.85,
            linewidth=1.4,
            label=f"{label} ({len(series)})",
        )
    axis.set_xscale("log", base=2)
    axis.set_xlim(bins[0], bins[-1])
    axis.set_xticks([2.0**e for e in range(math.ceil(low), math.floor(high) + 1)])
    axis.axvline(1.0, color="#333333", linewidth=0.9)
    axis.axvline(opt_threshold, color="#c0392b", linewidth=0.9, linestyle=":")
    axis.text(
        opt_threshold,
        1.0,
        " %Opt threshold",
        color="#c0392b",
        fontsize=7,
        transform=axis.get_xaxis_transform(),
        va="top",
    )
    axis.xaxis.set_major_formatter(_times_formatter())
    axis.set_xlabel("speedup over the fastest reference (log scale)")
    axis.set_ylabel("problems")
    axis.legend(loc="upper left")
    return _svg(figure)


@_styled
def runtime_scatter(points: Sequence[tuple[float, float]], opt_factor: float) -> str:
    """Final program time against the reference's, per solved problem (log-log); below the
    dotted line a problem counts as optimized."""
    figure, (axis,) = _figure()
    if not points:
        return _empty(figure, axis)
    reference = [1000 * r for r, _ in points]
    final = [1000 * f for _, f in points]
    low, high = min(reference + final) / 1.5, max(reference + final) * 1.5
    axis.plot([low, high], [low, high], color="#333333", linewidth=0.9, label="same time")
    axis.plot(
        [low, high],
        [low * opt_factor, high * opt_factor],
        ":",
        color="#c0392b",
        linewidth=0.9,
        label=f"{opt_factor:g} x reference (%Opt)",
    )
    axis.scatter(
        reference,
        final,
        s=14,
        color=PALETTE[0],
        alpha=0.8,
        zorder=3,
        label=f"problems ({len(points)})",
    )
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlim(low, high)
    axis.set_ylim(low, high)
    axis.set_xlabel("fastest reference, total time (ms)")
    axis.set_ylabel("final program (ms)")
    axis.legend(loc="upper left")
    return _svg(figure)


@_styled
def bars_with_ci(
    labels: Sequence[str],
    metrics: Mapping[str, Sequence[tuple[float, tuple[float, float] | None]]],
) -> str:
    """One panel per metric (e.g. %Opt, %Correct): a bar per run with its 95% interval."""
    figure, axes = _figure(len(metrics))
    positions = list(range(len(labels)))
    short = [label if len(label) <= 18 else label[:17] + "…" for label in labels]
    for axis, (metric, values) in zip(axes, metrics.items(), strict=True):
        heights = [value for value, _ in values]
        errors = [
            [max(0.0, value - ci[0]) if ci else 0.0 for value, ci in values],
            [max(0.0, ci[1] - value) if ci else 0.0 for value, ci in values],
        ]
        axis.bar(
            positions,
            heights,
            yerr=errors,
            capsize=3,
            width=0.6,
            color=[PALETTE[i % len(PALETTE)] for i in positions],
        )
        axis.set_xticks(positions, short, rotation=15, ha="right")
        axis.set_ylim(0, 100)
        axis.set_ylabel(metric)
        axis.set_title(f"{metric} (95% CI)")
        axis.grid(axis="x", visible=False)
    return _svg(figure)


def _times_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _position: f"{value:g}x")
